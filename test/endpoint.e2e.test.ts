import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutBucketNotificationConfigurationCommand, PutBucketPolicyCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, GetTopicAttributesCommand, SetTopicAttributesCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadSettings } from '../src/config/settings';
import { rowsIn } from '../src/domain/statusEntry';
import { sweepScheduleIdOf } from '../src/domain/keys';
import { openDuckDb } from '../src/parquet/duckdb';
import type { IntegrationSetup } from '../src/cli/integration/integrationOutput';
import { EndpointProcess, startEndpointProcess } from '../src/endpoint/endpointProcess';
import type { Moto } from '../src/dev/moto';
import { localTemporal } from './support/temporal';
import { runCli } from './support/cli';
import { deploymentEnv, newBucket, readReports, RunningWorker, s3For, sharedMoto, startWorker, waitFor } from './support/harness';
import { eventsSql, writeParquet } from './support/eventFiles';

const ROWS = 300;

/**
 * The seed's inbound set-up, step by step, against moto's S3 and SNS: bucket, topic and its
 * access policy, bucket notification, integration from the CLI, bucket policy, HTTPS (here
 * HTTP) subscription of the endpoint URL. Then files arrive with no hand in between.
 */
describe('notifications: S3 -> SNS -> endpoint -> file workflow, following the seed (moto, dev server)', function () {
  let env: TestWorkflowEnvironment;
  let moto: Moto;
  let s3: S3Client;
  let sns: SNSClient;
  let worker: RunningWorker;
  let endpoint: EndpointProcess;
  let bucket: string;
  let warehouse: string;
  let fileBytes: Buffer;
  const taskQueue = `endpoint-${process.pid}`;
  const id = `seed-${process.pid}`;

  const cli = (args: string[]) =>
    runCli(args, deploymentEnv(env, moto, taskQueue, { WAREHOUSE_BUCKET: warehouse, PUBLIC_BASE_URL: `http://127.0.0.1:${endpoint.port}` }) as Record<string, string>);

  before(async function () {
    this.timeout(180_000);
    env = await localTemporal();
    moto = await sharedMoto();
    s3 = s3For(moto);
    sns = new SNSClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
    bucket = await newBucket(s3, 'seed-in');
    warehouse = await newBucket(s3, 'seed-wh');
    worker = await startWorker(env, s3, { taskQueue, warehouseBucket: warehouse, sweepGraceMs: 1_000 });
    const settings = loadSettings({
      ...deploymentEnv(env, moto, taskQueue, {
        WAREHOUSE_BUCKET: warehouse,
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: '0',
        SNS_CERTIFICATE_ENDPOINT: moto.endpoint,
        STATUS_FLUSH_DELAY: '300ms',
        INTEGRATION_CACHE_TTL: '1s',
        LOG_LEVEL: 'WARN',
      }),
    });
    endpoint = await startEndpointProcess(settings, { client: env.client });
    const dir = await mkdtemp(join(tmpdir(), 'fme-seed-'));
    const db = await openDuckDb({ memoryLimit: '128MB', threads: 1, tempDirectory: dir });
    await writeParquet(db, join(dir, 'f.parquet'), eventsSql(ROWS));
    db.closeSync();
    fileBytes = await readFile(join(dir, 'f.parquet'));
  });

  after(async () => {
    await endpoint?.close();
    await worker?.stop();
  });

  it('an upload reaches the endpoint through S3 and SNS, signature verified, and its report appears; keys with a space, a plus and accents; reports cause no loop', async () => {
    // "Create an SNS topic", then the integration, whose output fills in the policies.
    const topicArn = (await sns.send(new CreateTopicCommand({ Name: `fme-events-${process.pid}` }))).TopicArn!;
    const created = await cli(['integration', 'create', '--id', id, '--bucket', bucket, '--topic-arn', topicArn, '--status-prefix', 'status', '--environments', 'env-a,env-b', '--prefix', 'in', '--suffixes', '.parquet', '--json']);
    assert.equal(created.code, 0, created.stderr);
    const setup = JSON.parse(created.stdout) as IntegrationSetup;
    // "Edit the JSON snippet by adding the following snippet as a new statement."
    const policy = JSON.parse((await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }))).Attributes?.Policy ?? '{"Version":"2012-10-17","Statement":[]}') as { Statement: unknown[] };
    policy.Statement.push(setup.policies.snsTopicStatement);
    await sns.send(new SetTopicAttributesCommand({ TopicArn: topicArn, AttributeName: 'Policy', AttributeValue: JSON.stringify(policy) }));
    // "Configure S3 event notifications": all object create events. No suffix filter here, on
    // purpose: a rule broader than the integration's filters also notifies our own reports.
    await s3.send(new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: { TopicConfigurations: [{ TopicArn: topicArn, Events: ['s3:ObjectCreated:*'] }] },
    }));
    await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(setup.policies.bucketPolicy) }));
    // "Update SNS topic subscriptions" (HTTPS in production; moto delivers to http).
    await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: setup.endpointUrl }));

    const keys = ['in/with space.parquet', 'in/plus+sign.parquet', 'in/accénts éü.parquet'];
    for (const key of keys) await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: fileBytes }));
    for (const key of keys) {
      await waitFor(`the report of ${key}`, async () => {
        const entries = (await readReports(s3, bucket, 'status')).flatMap((r) => r.doc[key] ?? []);
        return rowsIn(entries) === ROWS ? entries : undefined;
      });
    }
    const counts = endpoint.counters.snapshot();
    assert.equal(counts.files_started, keys.length, JSON.stringify(counts));
    assert.ok((counts['ignored_status-folder'] ?? 0) >= 1, `our own reports were notified and ignored: ${JSON.stringify(counts)}`);
    assert.equal(counts.answered_403 ?? 0, 0);
    // No workflow for any report key: the loop rules kept them out.
    const reportWorkflows = [];
    for await (const w of env.client.workflow.list({ query: `WorkflowType = 'fileWorkflow' AND WorkflowId STARTS_WITH 'file/${bucket}/status/'` })) reportWorkflows.push(w.workflowId);
    assert.deepEqual(reportWorkflows, []);
  });

  it('a file whose notification never came is found by the sweep on its second sighting, and show counts it once', async () => {
    // The bucket notifies the first integration's URL only: this integration never hears of its files.
    const quietId = `${id}-quiet`;
    const quiet = await cli(['integration', 'create', '--id', quietId, '--bucket', bucket, '--topic-arn', 'arn:aws:sns:us-east-1:123456789012:unused', '--status-prefix', 'quiet-status', '--environments', 'env-a,env-b', '--prefix', 'quiet', '--json']);
    assert.equal(quiet.code, 0, quiet.stderr);
    const key = 'quiet/unannounced.pq';
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: fileBytes }));
    await new Promise((r) => setTimeout(r, 1_500)); // past the grace period
    const schedule = env.client.schedule.getHandle(sweepScheduleIdOf(quietId));
    // First sighting: remembered, not started (a multipart object's notification may be on its way).
    await schedule.trigger();
    await waitFor('the first sweep', async () => ((await schedule.describe()).info.recentActions.length >= 1 ? true : undefined));
    await new Promise((r) => setTimeout(r, 2_000));
    assert.equal((await readReports(s3, bucket, 'quiet-status')).length, 0, 'not started on its first sighting');
    // Second sighting, a grace period later: started and counted.
    await schedule.trigger();
    await waitFor('the swept file reported', async () => {
      const entries = (await readReports(s3, bucket, 'quiet-status')).flatMap((r) => r.doc[key] ?? []);
      return rowsIn(entries) === ROWS ? entries : undefined;
    }, 90_000);
    const shown = await cli(['integration', 'show', '--id', quietId]);
    assert.equal(shown.code, 0, shown.stderr);
    assert.match(shown.stdout, /not notified: +1 file found only by the sweep; last 1 at .*quiet\/unannounced\.pq/);

    // A later sweep remembers what it saw: nothing counted twice.
    await schedule.trigger();
    await new Promise((r) => setTimeout(r, 3_000));
    const again = JSON.parse((await cli(['integration', 'show', '--id', quietId, '--json'])).stdout) as { sweep: { missedTotal: number } };
    assert.equal(again.sweep.missedTotal, 1);
  });

  it('deleting the integration deletes its sweep schedule', async () => {
    assert.equal((await cli(['integration', 'delete', '--id', `${id}-quiet`])).code, 0);
    await assert.rejects(env.client.schedule.getHandle(sweepScheduleIdOf(`${id}-quiet`)).describe(), /not found/i);
  });
});
