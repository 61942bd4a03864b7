import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { s3ClientPool } from '../src/s3/s3';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { INTEGRATION_NOT_FOUND_ENTRY_ID } from '../src/domain/integration/integrationEntries';
import { rowsIn, StatusEntry } from '../src/domain/statusEntry';
import { openDuckDb } from '../src/parquet/duckdb';
import type { FileProgressV1, IntegrationState } from '../src/messages';
import type { IntegrationSetup } from '../src/cli/integration/integrationOutput';
import type { Moto } from '../src/dev/moto';
import { localTemporal } from './support/temporal';
import { runCli } from './support/cli';
import { deploymentEnv, newBucket, readReports, RunningWorker, s3For, sharedMoto, startWorker, storedKeys, waitFor } from './support/harness';
import { eventsSql, writeParquet } from './support/eventFiles';

const TOPIC = 'arn:aws:sns:us-east-1:123456789012:fme-events';
const ROWS = 400;
/** Rows of eventsSql(400) by environment: even rows env-a, odd env-b, i % 97 = 5 env-unknown. */
const unknownRows = [...Array(ROWS).keys()].filter((i) => i % 97 === 5).length;
const envBRows = [...Array(ROWS).keys()].filter((i) => i % 97 !== 5 && i % 2 === 1).length;
const validOf = (entries: StatusEntry[]) => rowsIn(entries.filter((e) => e.valid));

describe('integrations as entities, managed from the CLI, against a running deployment', function () {
  let env: TestWorkflowEnvironment;
  let moto: Moto;
  let s3: S3Client;
  let worker: RunningWorker;
  let bucket: string;
  let warehouse: string;
  let fileBytes: Buffer;
  const taskQueue = `integrations-${process.pid}`;
  /** Every region the workers asked a client for. */
  const regionsAsked = new Set<string>();
  const id = `acme-${process.pid}`;

  before(async function () {
    this.timeout(180_000);
    env = await localTemporal();
    moto = await sharedMoto();
    s3 = s3For(moto);
    bucket = await newBucket(s3, 'int-in');
    warehouse = await newBucket(s3, 'int-wh');
    const pool = s3ClientPool({ AWS_REGION: 'us-east-1', S3_ENDPOINT: moto.endpoint, S3_FORCE_PATH_STYLE: true }, s3);
    const s3ForRegion = (region?: string) => (region && regionsAsked.add(region), pool(region));
    worker = await startWorker(env, s3, { taskQueue, warehouseBucket: warehouse, s3ForRegion });
    const dir = await mkdtemp(join(tmpdir(), 'fme-int-'));
    const db = await openDuckDb({ memoryLimit: '128MB', threads: 1, tempDirectory: dir });
    await writeParquet(db, join(dir, 'f.parquet'), eventsSql(ROWS));
    db.closeSync();
    fileBytes = await readFile(join(dir, 'f.parquet'));
  });

  after(async () => worker?.stop());

  const cli = (args: string[], extra: Record<string, string> = {}) =>
    runCli(args, deploymentEnv(env, moto, taskQueue, {
      WAREHOUSE_BUCKET: warehouse,
      STATUS_FLUSH_DELAY: '300ms',
      PUBLIC_BASE_URL: 'https://fme.example.com/',
      FME_ROLE_ARN: 'arn:aws:iam::111122223333:role/fme-reader',
      ...extra,
    }) as Record<string, string>);
  const json = async <T>(args: string[], extra?: Record<string, string>): Promise<T> => {
    const r = await cli([...args, '--json'], extra);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };
  const put = (key: string, body: Buffer) => s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  const entriesOf = async (statusPrefix: string, key: string): Promise<StatusEntry[]> =>
    (await readReports(s3, bucket, statusPrefix)).flatMap((r) => r.doc[key] ?? []);
  const progressOf = (key: string) => json<FileProgressV1>(['progress', '--bucket', bucket, '--key', key]);
  const create = (extra: string[]) => cli(['integration', 'create', '--bucket', bucket, '--topic-arn', TOPIC, ...extra]);

  it('create prints the endpoint URL and the seed policies filled in; show and list read the integration back', async () => {
    const setup = await json<IntegrationSetup>(['integration', 'create', '--id', id, '--bucket', bucket, '--topic-arn', TOPIC, '--status-prefix', 'status/', '--environments', 'env-a', '--prefix', '/in/', '--suffixes', '.parquet']);
    assert.equal(setup.endpointUrl, `https://fme.example.com/v1/integrations/${id}/notifications`);
    assert.deepEqual(setup.integration.inbound, { environments: ['env-a'], bucket, region: 'us-east-1', prefix: 'in', suffixes: ['.parquet'], topicArn: TOPIC, statusPrefix: 'status' });
    assert.equal(setup.integration.configVersion, 1);
    assert.deepEqual(setup.policies.bucketPolicy.Statement.map((s) => s.Resource), [[`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/in/*`], [`arn:aws:s3:::${bucket}/status/*`]]);
    assert.equal(setup.policies.bucketPolicy.Statement[0]!.Principal.AWS, 'arn:aws:iam::111122223333:role/fme-reader');
    assert.equal(setup.policies.snsTopicStatement.Condition.StringEquals['aws:SourceAccount'], '123456789012');

    // A second integration on the same bucket with filters of its own: the text a person reads.
    const text = await create(['--id', `${id}-b`, '--status-prefix', 'status', '--environments', 'env-x', '--prefix', 'other']);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, new RegExp(`^created integration ${id}-b \\(configuration version 1\\)`));
    assert.match(text.stdout, new RegExp(`https://fme\\.example\\.com/v1/integrations/${id}-b/notifications`));
    assert.match(text.stdout, /"arn:aws:s3:::int-in-[^"]+\/other\/\*"/);
    assert.match(text.stdout, /"SNS:Publish"/);
    assert.match(text.stdout, /"kms:GenerateDataKey"/);

    const shown = await json<IntegrationSetup & { parkedFiles: number }>(['integration', 'show', '--id', id]);
    assert.deepEqual(shown.integration, setup.integration);
    assert.equal(shown.parkedFiles, 0, 'show counts the files S3 refuses (none here)');
    const listed = await json<IntegrationState[]>(['integration', 'list']);
    assert.deepEqual(listed.map((s) => s.id), [id, `${id}-b`]);
  });

  it('refuses overlapping filters, a status folder that filters would match, and an invalid configuration: exit 2, nothing created', async () => {
    const overlap = await create(['--id', `${id}-c`, '--status-prefix', 'status-c', '--environments', 'env-a', '--prefix', 'in/sub', '--suffixes', '.snappy.parquet']);
    assert.equal(overlap.code, 2, overlap.stderr);
    assert.match(overlap.stderr, new RegExp(`integration "${id}"`));
    const ownStatus = await create(['--id', `${id}-d`, '--status-prefix', 'reports', '--environments', 'env-a', '--prefix', '', '--suffixes', '.status']);
    assert.equal(ownStatus.code, 2, ownStatus.stderr);
    assert.match(ownStatus.stderr, /status folder "reports"/);
    const otherRegion = await create(['--id', `${id}-e`, '--status-prefix', 'st-e', '--environments', 'env-a', '--prefix', 'e', '--region', 'eu-west-1']);
    assert.equal(otherRegion.code, 2);
    assert.match(otherRegion.stderr, /topicArn: S3 notifies only a topic in the bucket's region \(eu-west-1\)/);
    const listed = await json<IntegrationState[]>(['integration', 'list']);
    assert.deepEqual(listed.map((s) => s.id), [id, `${id}-b`]);
  });

  it("a file takes its environments from the integration; after an update, reprocess applies the new ones", async () => {
    const key = 'in/a.parquet';
    await put(key, fileBytes);
    const started = await cli(['process', '--bucket', bucket, '--key', key, '--integration', id]);
    assert.equal(started.code, 0, started.stderr);
    const first = await waitFor('the first pass reported', async () => {
      const e = await entriesOf('status', key);
      return rowsIn(e) === ROWS ? e : undefined;
    });
    const invalidEnv = (entries: StatusEntry[]) => rowsIn(entries.filter((e) => e.errors.includes('INVALID_ENVIRONMENT_ID')));
    assert.equal(invalidEnv(first), envBRows + unknownRows, 'env-b is not among the integration environments yet');
    assert.equal((await progressOf(key)).configVersion, 1);

    // What an operator types in the Web UI: this integration's files with invalid rows.
    const listed = await waitFor('the file listed by its search attributes', async () => {
      const found: { id: string; memo?: Record<string, unknown> }[] = [];
      for await (const w of env.client.workflow.list({ query: `FmeIntegrationId = '${id}' AND FmeInvalidRows > 0 AND FmeOutcome = 'invalid-rows'` })) found.push({ id: w.workflowId, memo: w.memo });
      return found.length === 1 ? found[0] : undefined;
    });
    assert.match(listed.id, /in\/a\.parquet@/);
    assert.equal((listed.memo?.summary as { rowsInvalid: number }).rowsInvalid, ROWS - validOf(first), 'the memo summarises the pass');

    const updated = await json<IntegrationSetup>(['integration', 'update', '--id', id, '--environments', 'env-a,env-b']);
    assert.equal(updated.integration.configVersion, 2);
    const outside = await cli(['process', '--bucket', bucket, '--key', 'elsewhere/x.parquet', '--integration', id]);
    assert.equal(outside.code, 2, 'a key outside the filters is refused');

    await waitFor('the pass to end', async () => ((await progressOf(key)).phase === 'waiting-for-reprocess' ? true : undefined));
    const re = await cli(['reprocess', '--bucket', bucket, '--key', key, '--reason', 'environments corrected']);
    assert.equal(re.code, 0, re.stderr);
    const second = await waitFor('the reprocess reported', async () => {
      const e = (await entriesOf('status', key)).filter((x) => x.warnings.includes('REPROCESSED'));
      return rowsIn(e) === ROWS ? e : undefined;
    });
    assert.equal(invalidEnv(second), unknownRows, 'env-b rows are valid under the updated integration');
    assert.equal((await progressOf(key)).configVersion, 2);
  });

  it('the same content under other keys gets DUPLICATE_CONTENT with the same counts, on both paths, and stores nothing', async () => {
    const before = await storedKeys(s3, warehouse);
    // SMALL_FILE_MAX_BYTES=1 goes into the file's input: the chunked path; the default: the small-file path.
    for (const [key, extra] of [['in/a-copy.parquet', { SMALL_FILE_MAX_BYTES: '1' }], ['in/a-copy-small.parquet', {}]] as const) {
      await put(key, fileBytes);
      const started = await cli(['process', '--bucket', bucket, '--key', key, '--integration', id], extra);
      assert.equal(started.code, 0, started.stderr);
      const dup = await waitFor(`${key}: the duplicate reported`, async () => {
        const e = await entriesOf('status', key);
        return rowsIn(e) === ROWS ? e : undefined;
      });
      assert.ok(dup.every((e) => e.warnings.includes('DUPLICATE_CONTENT')), JSON.stringify(dup));
      assert.equal(rowsIn(dup.filter((e) => e.errors.includes('INVALID_ENVIRONMENT_ID'))), unknownRows, 'the counts of the ingestion under the current configuration');
      assert.match((await progressOf(key)).duplicateOf ?? '', /in\/a\.parquet@/);
    }
    assert.deepEqual(await storedKeys(s3, warehouse), before);
  });

  it('a file whose runs Temporal no longer retains is not ingested again by a late start; reprocess continues above its generations', async () => {
    const key = 'in/forgotten.parquet';
    await put(key, fileBytes);
    await cli(['integration', 'update', '--id', id, '--suffixes', '.parquet,.pq']); // a new configuration: not a duplicate
    assert.equal((await cli(['process', '--bucket', bucket, '--key', key, '--integration', id])).code, 0);
    await waitFor('the first pass', async () => ((await progressOf(key)).phase === 'waiting-for-reprocess' ? true : undefined));
    const first = await entriesOf('status', key);
    assert.equal(rowsIn(first), ROWS);
    // What retention does: the run is gone from Temporal, its markers stay in the warehouse.
    const workflowId = (await json<{ workflowId: string }>(['process', '--bucket', bucket, '--key', key, '--integration', id])).workflowId;
    await env.client.workflow.getHandle(workflowId).terminate('test: retention');
    await env.client.workflowService.deleteWorkflowExecution({ namespace: 'default', workflowExecution: { workflowId } });
    await waitFor('the run to be gone', async () => (await env.client.workflow.getHandle(workflowId).describe().then(() => undefined, () => true)));

    const late = await json<{ started: boolean }>(['process', '--bucket', bucket, '--key', key, '--integration', id]);
    assert.equal(late.started, true, 'the workflow ID is free again');
    await waitFor('the late run to end', async () => ((await progressOf(key)).phase === 'done' ? true : undefined));
    await new Promise((r) => setTimeout(r, 1_000));
    assert.equal((await entriesOf('status', key)).length, first.length, 'nothing reported again');

    const re = await json<{ kind: string; generation: number }>(['reprocess', '--bucket', bucket, '--key', key]);
    assert.deepEqual(re.kind, 'next-generation');
    assert.equal(re.generation, 1);
    await waitFor('generation 1 reported', async () => {
      const e = (await entriesOf('status', key)).filter((x) => x.warnings.includes('REPROCESSED'));
      return rowsIn(e) === ROWS ? e : undefined;
    });
  });

  it("an integration in another region reads and reports through a client of that region", async () => {
    const euBucket = `int-eu-${process.pid}-${Date.now().toString(36)}`;
    const eu = s3ClientPool({ AWS_REGION: 'eu-west-1', S3_ENDPOINT: moto.endpoint, S3_FORCE_PATH_STYLE: true })();
    await eu.send(new CreateBucketCommand({ Bucket: euBucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-1' } }));
    await eu.send(new PutObjectCommand({ Bucket: euBucket, Key: 'in/eu.parquet', Body: fileBytes }));
    const euId = `${id}-eu`;
    const created = await cli(['integration', 'create', '--id', euId, '--bucket', euBucket, '--region', 'eu-west-1', '--topic-arn', 'arn:aws:sns:eu-west-1:123456789012:fme-events', '--status-prefix', 'st', '--prefix', 'in', '--environments', 'env-a,env-b']);
    assert.equal(created.code, 0, created.stderr);
    // The chunked path: the workflow reads the region from the integration and hands it to each activity.
    assert.equal((await cli(['process', '--bucket', euBucket, '--key', 'in/eu.parquet', '--integration', euId], { SMALL_FILE_MAX_BYTES: '1' })).code, 0);
    await waitFor('the report in the eu bucket', async () => {
      const e = (await readReports(eu, euBucket, 'st')).flatMap((r) => r.doc['in/eu.parquet'] ?? []);
      return rowsIn(e) === ROWS ? e : undefined;
    });
    assert.ok(regionsAsked.has('eu-west-1'), `regions asked: ${[...regionsAsked]}`);
  });

  it("after delete, a file gets INTEGRATION_CONFIG_NOT_FOUND once in the tombstone's status folder; reprocess and re-create are refused", async () => {
    const deleted = await json<IntegrationState>(['integration', 'delete', '--id', id]);
    assert.ok(deleted.deletedAt);
    assert.equal((await cli(['integration', 'update', '--id', id, '--environments', 'env-z'])).code, 2);
    const again = await create(['--id', id, '--status-prefix', 'status', '--environments', 'env-a', '--prefix', 'in']);
    assert.equal(again.code, 2);
    assert.match(again.stderr, /was deleted; a deleted id is never re-created/);
    assert.deepEqual((await json<IntegrationState[]>(['integration', 'list'])).map((s) => s.id), [`${id}-b`, `${id}-eu`]);
    assert.deepEqual((await json<IntegrationState[]>(['integration', 'list', '--all'])).map((s) => s.id), [id, `${id}-b`, `${id}-eu`]);

    // One file on the small-file path, one on the chunked path: both report the tombstone's code once.
    const late = { small: 'in/late-small.parquet', chunked: 'in/late-chunked.parquet' };
    await put(late.small, fileBytes);
    await put(late.chunked, fileBytes);
    for (const [key, extra] of [[late.small, {}], [late.chunked, { SMALL_FILE_MAX_BYTES: '1' }]] as const) {
      for (let i = 0; i < 2; i++) assert.equal((await cli(['process', '--bucket', bucket, '--key', key, '--integration', id], extra)).code, 0);
      const entries = await waitFor(`${key} reported`, async () => {
        const e = await entriesOf('status', key);
        return e.length > 0 ? e : undefined;
      });
      assert.equal(entries.length, 1);
      assert.deepEqual({ ...entries[0]!, originalCreationTime: 0, errorsDetails: [] }, {
        originalCreationTime: 0,
        entryId: INTEGRATION_NOT_FOUND_ENTRY_ID,
        valid: false,
        numberOfRows: ROWS,
        errors: ['INTEGRATION_CONFIG_NOT_FOUND'],
        errorsDetails: [],
        warnings: [],
      });
      assert.match(entries[0]!.errorsDetails[0]!, new RegExp(`integration "${id}" was deleted`));
      const p = await waitFor('the workflow to end', async () => ((await progressOf(key)).phase === 'done' ? progressOf(key) : undefined));
      assert.equal(p.integrationDeleted, true);
    }
    await new Promise((r) => setTimeout(r, 1_500));
    for (const key of Object.values(late)) assert.equal((await entriesOf('status', key)).length, 1, `${key}: reported once`);

    const re = await cli(['reprocess', '--bucket', bucket, '--key', 'in/a.parquet']);
    assert.equal(re.code, 2);
    assert.match(re.stderr, /was deleted: its files are not reprocessed/);
  });
});
