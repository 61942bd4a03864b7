import assert from 'node:assert/strict';
import { createSign, generateKeyPairSync, KeyObject, randomUUID } from 'node:crypto';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadSettings, Settings } from '../src/config/settings';
import { fileWorkflowIdOf, objectVersionOf } from '../src/domain/keys';
import { rowsIn } from '../src/domain/statusEntry';
import { SnsMessage, snsStringToSign } from '../src/domain/notifications/snsMessage';
import { EndpointProcess, startEndpointProcess } from '../src/endpoint/endpointProcess';
import type { EndpointLog } from '../src/endpoint/notificationHandler';
import type { Moto } from '../src/dev/moto';
import { DuckDBInstance, openDuckDb } from '../src/parquet/duckdb';
import { localTemporal } from './support/temporal';
import { runCli } from './support/cli';
import { deploymentEnv, newBucket, readReports, RunningWorker, s3For, sharedMoto, startWorker, waitFor } from './support/harness';
import { eventsSql, writeParquet } from './support/eventFiles';

const REGION = 'us-east-1';
const CERT_URL = `https://sns.${REGION}.amazonaws.com/SimpleNotificationService-9c6465fa7f48f5cacd23014631ec1136.pem`;

type Unsigned = Omit<Extract<SnsMessage, { Type: 'Notification' }>, 'Signature'> | Omit<Extract<SnsMessage, { Type: 'SubscriptionConfirmation' }>, 'Signature'>;

/** Plays SNS: a key pair of its own whose public half the endpoint's injected fetcher serves as the certificate. */
class Sns {
  readonly publicKeyPem: string;
  private readonly privateKey: KeyObject;

  constructor() {
    const { publicKey, privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
    this.publicKeyPem = publicKey.export({ type: 'spki', format: 'pem' }).toString();
    this.privateKey = privateKey;
  }

  sign(m: Unsigned, algorithm?: 'RSA-SHA1' | 'RSA-SHA256'): SnsMessage {
    const alg = algorithm ?? (m.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
    const Signature = createSign(alg)
      .update(snsStringToSign({ ...m, Signature: '' } as SnsMessage), 'utf8')
      .sign(this.privateKey, 'base64');
    return { ...m, Signature } as SnsMessage;
  }
}

/** What S3 posts to the topic for one created object: the key URL-encoded, a space as '+'. */
function s3Created(bucket: string, key: string, size: number, eTag: string): string {
  const encoded = encodeURIComponent(key).replace(/%20/g, '+').replace(/%2F/g, '/');
  return JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        awsRegion: REGION,
        eventTime: new Date().toISOString(),
        eventName: 'ObjectCreated:Put',
        s3: { s3SchemaVersion: '1.0', bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` }, object: { key: encoded, size, eTag } },
      },
    ],
  });
}

interface Uploaded {
  key: string;
  size: number;
  eTag: string;
  rows: number;
  workflowId: string;
}

interface Posted {
  status: number;
  body: Record<string, unknown>;
  headers: Headers;
}

/**
 * Messages signed here (versions 1 and 2, with a Subject, confirmations, retries, forgeries)
 * against the endpoint in-process, the dev server and moto's S3. moto's own SNS signs only
 * version 2 and never sends a Subject or a confirmation; the moto e2e covers that path.
 */
describe('endpoint: signed SNS messages against the dev server and moto (signatures, retries, refusals, 503)', function () {
  let env: TestWorkflowEnvironment;
  let moto: Moto;
  let s3: S3Client;
  let worker: RunningWorker;
  let endpoint: EndpointProcess;
  let settings: Settings;
  let db: DuckDBInstance;
  let dir: string;
  let bucket: string;
  let warehouse: string;
  let base: string;
  const sns = new Sns();
  const certificatesFetched: string[] = [];
  const confirmed: string[] = [];
  const logged: { level: string; message: string; fields?: Record<string, unknown> }[] = [];
  const taskQueue = `endpoint-sig-${process.pid}`;
  const id = `sig-${process.pid}`;
  const topicArn = `arn:aws:sns:${REGION}:123456789012:fme-sig-${process.pid}`;
  let rowSeq = 20;

  const log: EndpointLog = {
    debug: (message, fields) => logged.push({ level: 'debug', message, fields }),
    info: (message, fields) => logged.push({ level: 'info', message, fields }),
    warn: (message, fields) => logged.push({ level: 'warn', message, fields }),
  };

  /** A small Parquet file of its own row count (so no two share content), uploaded with PutObject. */
  async function upload(key: string): Promise<Uploaded> {
    const rows = rowSeq++;
    const path = join(dir, `${rows}.parquet`);
    await writeParquet(db, path, eventsSql(rows));
    const body = await readFile(path);
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    const eTag = (put.ETag ?? '').replace(/"/g, '');
    return { key, size: body.length, eTag, rows, workflowId: fileWorkflowIdOf(objectVersionOf(bucket, key, undefined, eTag)) };
  }

  function notification(file: Uploaded | string, o: { version?: '1' | '2'; subject?: string; topic?: string; certUrl?: string } = {}): Unsigned {
    return {
      Type: 'Notification',
      MessageId: randomUUID(),
      TopicArn: o.topic ?? topicArn,
      ...(o.subject !== undefined ? { Subject: o.subject } : {}),
      Message: typeof file === 'string' ? file : s3Created(bucket, file.key, file.size, file.eTag),
      Timestamp: new Date().toISOString(),
      SignatureVersion: o.version ?? '2',
      SigningCertURL: o.certUrl ?? CERT_URL,
      UnsubscribeURL: `https://sns.${REGION}.amazonaws.com/?Action=Unsubscribe&SubscriptionArn=${topicArn}:sub`,
    };
  }

  async function post(body: unknown, o: { integrationId?: string; to?: string; method?: string } = {}): Promise<Posted> {
    const res = await fetch(`${o.to ?? base}/v1/integrations/${o.integrationId ?? id}/notifications`, {
      method: o.method ?? 'POST',
      headers: { 'content-type': 'text/plain; charset=UTF-8', 'x-amz-sns-message-type': 'Notification' },
      ...((o.method ?? 'POST') === 'POST' ? { body: typeof body === 'string' ? body : JSON.stringify(body) } : {}),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown>, headers: res.headers };
  }

  async function workflowExists(workflowId: string): Promise<boolean> {
    try {
      await env.client.workflow.getHandle(workflowId).describe();
      return true;
    } catch (err) {
      if ((err as Error).name === 'WorkflowNotFoundError') return false;
      throw err;
    }
  }

  async function reportOf(file: Uploaded): Promise<void> {
    await waitFor(`the report of ${file.key}`, async () => {
      const entries = (await readReports(s3, bucket, 'status')).flatMap((r) => r.doc[file.key] ?? []);
      return rowsIn(entries) === file.rows ? entries : undefined;
    }, 90_000);
  }

  const started = () => endpoint.counters.get('files_started');

  before(async function () {
    this.timeout(180_000);
    env = await localTemporal();
    moto = await sharedMoto();
    s3 = s3For(moto);
    bucket = await newBucket(s3, 'sig-in');
    warehouse = await newBucket(s3, 'sig-wh');
    worker = await startWorker(env, s3, { taskQueue, warehouseBucket: warehouse });
    settings = loadSettings({
      ...deploymentEnv(env, moto, taskQueue, {
        WAREHOUSE_BUCKET: warehouse,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
        STATUS_FLUSH_DELAY: '300ms',
        INTEGRATION_CACHE_TTL: '1s',
        LOG_LEVEL: 'WARN',
      }),
    });
    endpoint = await startEndpointProcess(settings, {
      client: env.client,
      fetchCertificate: async (url) => {
        certificatesFetched.push(url);
        return sns.publicKeyPem;
      },
      confirmSubscription: async (url) => void confirmed.push(url),
      log,
    });
    base = `http://127.0.0.1:${endpoint.port}`;
    dir = await mkdtemp(join(tmpdir(), 'fme-sig-'));
    db = await openDuckDb({ memoryLimit: '128MB', threads: 1, tempDirectory: dir });

    const created = await runCli(
      ['integration', 'create', '--id', id, '--bucket', bucket, '--topic-arn', topicArn, '--status-prefix', 'status', '--environments', 'env-a,env-b', '--prefix', 'in', '--suffixes', '.parquet', '--json'],
      deploymentEnv(env, moto, taskQueue, { WAREHOUSE_BUCKET: warehouse, PUBLIC_BASE_URL: base }) as Record<string, string>,
    );
    assert.equal(created.code, 0, created.stderr);
    // The entity publishes the record the endpoint reads; wait until the endpoint knows the id.
    await waitFor('the endpoint to know the integration', async () => ((await post('{}')).status === 404 ? undefined : true), 30_000);
  });

  after(async () => {
    await endpoint?.close();
    await worker?.stop();
    db?.closeSync();
  });

  it('a version-1 (SHA1) signed Notification with a Subject starts the file workflow (200, started 1) and its report appears in the status folder', async () => {
    const file = await upload('in/v1 signed+file.parquet');
    const answer = await post(sns.sign(notification(file, { version: '1', subject: 'Amazon S3 Notification' })));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body, { started: 1, existing: 0, ignored: 0 });
    assert.equal(await workflowExists(file.workflowId), true, 'the start was durable before the 200');
    assert.ok(certificatesFetched.every((u) => u === CERT_URL));
    await reportOf(file);
  });

  it('a version-2 (SHA256) signed Notification with a Subject starts the file workflow (200, started 1) and its report appears in the status folder', async () => {
    const file = await upload('in/v2 signed é.parquet');
    const answer = await post(sns.sign(notification(file, { version: '2', subject: 'Amazon S3 Notification' })));
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body, { started: 1, existing: 0, ignored: 0 });
    assert.equal(await workflowExists(file.workflowId), true);
    await reportOf(file);
  });

  it('the certificate is fetched once per URL and cached: many messages, one fetch', () => {
    assert.deepEqual(certificatesFetched, [CERT_URL]);
  });

  it('the same notification delivered three times starts one workflow: 200 each, started 1 then existing 1 twice', async () => {
    const file = await upload('in/delivered thrice.parquet');
    const body = JSON.stringify(sns.sign(notification(file, { subject: 'Amazon S3 Notification' })));
    const before = started();
    const answers = [];
    for (let i = 0; i < 3; i++) answers.push(await post(body));
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200]);
    assert.deepEqual(answers.map((a) => a.body), [
      { started: 1, existing: 0, ignored: 0 },
      { started: 0, existing: 1, ignored: 0 },
      { started: 0, existing: 1, ignored: 0 },
    ]);
    assert.equal(started() - before, 1);
    const runs = await waitFor('the run in visibility', async () => {
      const ids: string[] = [];
      for await (const w of env.client.workflow.list({ query: `WorkflowId = '${file.workflowId}'` })) ids.push(w.runId);
      return ids.length > 0 ? ids : undefined;
    });
    assert.equal(runs.length, 1, 'one run of the file workflow');
    await reportOf(file);
    const entries = (await readReports(s3, bucket, 'status')).flatMap((r) => r.doc[file.key] ?? []);
    assert.equal(rowsIn(entries), file.rows, 'one report, not three');
  });

  it('the same notification delivered three times at once still starts one workflow (one started, two existing)', async () => {
    const file = await upload('in/delivered at once.parquet');
    const body = JSON.stringify(sns.sign(notification(file)));
    const answers = await Promise.all([post(body), post(body), post(body)]);
    assert.deepEqual(answers.map((a) => a.status), [200, 200, 200]);
    assert.equal(answers.filter((a) => a.body.started === 1).length, 1, JSON.stringify(answers.map((a) => a.body)));
    assert.equal(answers.filter((a) => a.body.existing === 1).length, 2);
    await reportOf(file);
  });

  it('a signed SubscriptionConfirmation is confirmed by fetching its SubscribeURL (200)', async () => {
    const subscribeUrl = `https://sns.${REGION}.amazonaws.com/?Action=ConfirmSubscription&TopicArn=${topicArn}&Token=2336412f37fb687f5d51e6e241d09c80`;
    const answer = await post(
      sns.sign({
        Type: 'SubscriptionConfirmation',
        MessageId: randomUUID(),
        TopicArn: topicArn,
        Message: `You have chosen to subscribe to the topic ${topicArn}.\nTo confirm the subscription, visit the SubscribeURL included in this message.`,
        Timestamp: new Date().toISOString(),
        SignatureVersion: '1',
        SigningCertURL: CERT_URL,
        SubscribeURL: subscribeUrl,
        Token: '2336412f37fb687f5d51e6e241d09c80',
      }),
    );
    assert.equal(answer.status, 200, JSON.stringify(answer.body));
    assert.deepEqual(answer.body, { confirmed: true });
    assert.deepEqual(confirmed, [subscribeUrl]);
  });

  it('a signed SubscriptionConfirmation whose SubscribeURL is on another host gets 400 BAD_SUBSCRIBE_URL and nothing is fetched', async () => {
    const before = confirmed.length;
    for (const subscribeUrl of ['https://evil.example.com/?Action=ConfirmSubscription&Token=t', `https://sns.${REGION}.amazonaws.com.evil.example.com/?Action=ConfirmSubscription`, `http://sns.${REGION}.amazonaws.com/?Action=ConfirmSubscription`]) {
      const answer = await post(
        sns.sign({
          Type: 'SubscriptionConfirmation',
          MessageId: randomUUID(),
          TopicArn: topicArn,
          Message: 'confirm',
          Timestamp: new Date().toISOString(),
          SignatureVersion: '2',
          SigningCertURL: CERT_URL,
          SubscribeURL: subscribeUrl,
          Token: 't',
        }),
      );
      assert.equal(answer.status, 400, subscribeUrl);
      assert.equal(answer.body.error, 'BAD_SUBSCRIBE_URL', subscribeUrl);
    }
    assert.equal(confirmed.length, before);
  });

  describe('refused messages start nothing', () => {
    let file: Uploaded;
    let startedBefore: number;

    before(async () => {
      file = await upload('in/must not start.parquet');
      startedBefore = started();
    });

    afterEach(async () => {
      assert.equal(await workflowExists(file.workflowId), false, 'no file workflow for the refused message');
      assert.equal(started(), startedBefore, 'the endpoint started nothing');
    });

    it('a forged message (the valid signature of a different message) gets 403 BAD_SIGNATURE', async () => {
      const other = sns.sign(notification('{"Records":[]}'));
      const forged = { ...notification(file), Signature: other.Signature };
      const answer = await post(forged);
      assert.equal(answer.status, 403);
      assert.equal(answer.body.error, 'BAD_SIGNATURE');
      // Logged without the body or the signature.
      const line = logged.find((l) => l.fields?.code === 'BAD_SIGNATURE');
      assert.ok(line, 'the refusal is logged');
      assert.ok(!JSON.stringify(logged).includes(other.Signature), 'the signature is not logged');
    });

    it('a tampered message (signed, then its Message changed to name another file) gets 403 BAD_SIGNATURE', async () => {
      const signed = sns.sign(notification(s3Created(bucket, 'in/harmless.parquet', 1, 'e')));
      const answer = await post({ ...signed, Message: s3Created(bucket, file.key, file.size, file.eTag) });
      assert.equal(answer.status, 403);
      assert.equal(answer.body.error, 'BAD_SIGNATURE');
    });

    it('a Subject added after signing, or a version-1 signature claimed as version 2, gets 403 BAD_SIGNATURE', async () => {
      const signed = sns.sign(notification(file));
      assert.equal((await post({ ...signed, Subject: 'added later' })).body.error, 'BAD_SIGNATURE');
      const sha1 = sns.sign(notification(file, { version: '2' }), 'RSA-SHA1');
      const answer = await post(sha1);
      assert.equal(answer.status, 403);
      assert.equal(answer.body.error, 'BAD_SIGNATURE');
    });

    it("a message signed with someone else's key, naming SNS's certificate URL, gets 403 BAD_SIGNATURE", async () => {
      const answer = await post(new Sns().sign(notification(file)));
      assert.equal(answer.status, 403);
      assert.equal(answer.body.error, 'BAD_SIGNATURE');
    });

    it('an unsigned message (no Signature field) gets 400 NOT_AN_SNS_MESSAGE', async () => {
      const answer = await post(notification(file));
      assert.equal(answer.status, 400);
      assert.equal(answer.body.error, 'NOT_AN_SNS_MESSAGE');
      assert.match(String(answer.body.detail), /Signature/);
    });

    it("a validly signed message of another topic gets 403 WRONG_TOPIC (the topic ARN must be the integration's)", async () => {
      const answer = await post(sns.sign(notification(file, { topic: `arn:aws:sns:${REGION}:123456789012:someone-else` })));
      assert.equal(answer.status, 403);
      assert.equal(answer.body.error, 'WRONG_TOPIC');
    });

    it('a validly signed message whose certificate URL is on a foreign host gets 403 BAD_SIGNATURE, and that URL is never fetched', async () => {
      for (const certUrl of [
        'https://evil.example.com/SimpleNotificationService-0123abcd.pem',
        `https://sns.${REGION}.amazonaws.com.evil.example.com/SimpleNotificationService-0123abcd.pem`,
        `https://sns.eu-west-1.amazonaws.com/SimpleNotificationService-0123abcd.pem`,
        `http://sns.${REGION}.amazonaws.com/SimpleNotificationService-0123abcd.pem`,
      ]) {
        const answer = await post(sns.sign(notification(file, { certUrl })));
        assert.equal(answer.status, 403, certUrl);
        assert.equal(answer.body.error, 'BAD_SIGNATURE', certUrl);
        assert.match(String(answer.body.detail), /SigningCertURL/);
      }
      assert.deepEqual(certificatesFetched, [CERT_URL]);
    });
  });

  it('a notification for an integration id that does not exist gets 404 UNKNOWN_INTEGRATION', async () => {
    const file = await upload('in/for nobody.parquet');
    const answer = await post(sns.sign(notification(file)), { integrationId: `nobody-${process.pid}` });
    assert.equal(answer.status, 404);
    assert.equal(answer.body.error, 'UNKNOWN_INTEGRATION');
    assert.equal(await workflowExists(file.workflowId), false);
  });

  it('a body that is not JSON gets 400 MALFORMED_BODY', async () => {
    const answer = await post('Type=Notification&Message=hello');
    assert.equal(answer.status, 400);
    assert.equal(answer.body.error, 'MALFORMED_BODY');
  });

  it('a body over 256 KiB gets 413 BODY_TOO_LARGE, not a reset connection', async () => {
    const res = await fetch(`http://127.0.0.1:${endpoint.port}/v1/integrations/${id}/notifications`, { method: 'POST', body: 'x'.repeat(300 * 1024) });
    assert.equal(res.status, 413);
    assert.equal(((await res.json()) as { error: string }).error, 'BODY_TOO_LARGE');
  });

  it('a GET on the notification URL gets 405 with Allow: POST', async () => {
    const answer = await post(undefined, { method: 'GET' });
    assert.equal(answer.status, 405);
    assert.equal(answer.body.error, 'METHOD_NOT_ALLOWED');
    assert.equal(answer.headers.get('allow'), 'POST');
  });

  it("a signed s3:TestEvent (sent when the bucket's notifications are set up) gets 200 and starts nothing", async () => {
    const before = started();
    const answer = await post(sns.sign(notification(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: new Date().toISOString(), Bucket: bucket, RequestId: 'r', HostId: 'h' }), { subject: 'Amazon S3 Notification' })));
    assert.equal(answer.status, 200);
    assert.deepEqual(answer.body, { testEvent: true });
    assert.equal(started(), before);
  });

  it('Temporal unreachable (connection refused): 503 UNAVAILABLE within 12 s (inside the 15 s SNS waits) and nothing started; the same message delivered again once Temporal answers starts the file', async function () {
    this.timeout(60_000);
    const file = await upload('in/while temporal is down.parquet');
    const body = JSON.stringify(sns.sign(notification(file, { subject: 'Amazon S3 Notification' })));
    const connection = Connection.lazy({ address: '127.0.0.1:1' });
    const down = await startEndpointProcess(settings, {
      client: new Client({ connection, namespace: settings.TEMPORAL_NAMESPACE }),
      fetchCertificate: async () => sns.publicKeyPem,
      confirmSubscription: async () => undefined,
      log,
    });
    try {
      const t0 = Date.now();
      const answer = await post(body, { to: `http://127.0.0.1:${down.port}` });
      const elapsed = Date.now() - t0;
      assert.equal(answer.status, 503, JSON.stringify(answer.body));
      assert.equal(answer.body.error, 'UNAVAILABLE');
      // Within SNS's 15 s: the answer does not wait for the client's own retries past 10 s.
      assert.ok(elapsed < 12_000, `answered in ${elapsed} ms`);
      assert.equal(down.counters.get('files_started'), 0);
      assert.equal(down.counters.get('answered_503'), 1);
    } finally {
      await down.close();
      await connection.close().catch(() => undefined);
    }
    assert.equal(await workflowExists(file.workflowId), false, 'nothing was started');

    // SNS delivers again; this time Temporal answers.
    const again = await post(body);
    assert.equal(again.status, 200);
    assert.deepEqual(again.body, { started: 1, existing: 0, ignored: 0 });
    await reportOf(file);
  });
});
