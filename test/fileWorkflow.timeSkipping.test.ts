import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { startFileWorkflow, requestReprocess } from '../src/client';
import { objectVersionOf } from '../src/domain/keys';
import { rowsIn } from '../src/domain/statusEntry';
import { openDuckDb } from '../src/parquet/duckdb';
import { progressQuery } from '../src/messages';
import { timeSkippingTemporal } from './support/temporal';
import { newBucket, putFile, readReports, RunningWorker, s3For, sharedMoto, startWorker, waitFor } from './support/harness';
import { GOOD_ENVIRONMENTS, writeEventFile } from './support/eventFiles';

const SEVEN_DAYS_MS = 7 * 86_400_000;

describe('file workflow reprocess window (time-skipping test server + moto)', function () {
  let env: TestWorkflowEnvironment;
  let s3: S3Client;
  let worker: RunningWorker;
  let bucket: string;
  let path: string;
  const taskQueue = `window-${process.pid}`;

  before(async function () {
    this.timeout(120_000);
    env = await timeSkippingTemporal();
    s3 = s3For(await sharedMoto());
    bucket = await newBucket(s3, 'window');
    worker = await startWorker(env, s3, { taskQueue, warehouseBucket: await newBucket(s3, 'window-wh') });
    const dir = await mkdtemp(join(tmpdir(), 'fme-window-'));
    const db = await openDuckDb({ memoryLimit: '128MB', threads: 1, tempDirectory: dir });
    path = join(dir, 'f.parquet');
    await writeEventFile(db, path, 300);
    db.closeSync();
  });

  after(async function () {
    await worker?.stop();
    await env?.teardown();
  });

  async function start(key: string) {
    const { etag } = await putFile(s3, bucket, key, path);
    const object = objectVersionOf(bucket, key, undefined, etag);
    const started = await startFileWorkflow(env.client, {
      object,
      originalCreationTime: 1_700_000_000_000,
      integration: { integrationId: 'it', environments: GOOD_ENVIRONMENTS, statusPrefix: `st-${key}` },
      reprocessWindowMs: SEVEN_DAYS_MS,
      taskQueue,
      tuning: { statusFlushDelayMs: 5_000 },
    });
    return { object, handle: started.handle };
  }

  it('stays open for the 7-day window, then completes after one pass', async function () {
    const { handle } = await start('quiet.parquet');
    await waitFor('the first pass', async () => ((await handle.query(progressQuery)).phase === 'waiting-for-reprocess' ? true : undefined));
    await env.sleep(SEVEN_DAYS_MS - 3_600_000);
    assert.equal((await handle.describe()).status.name, 'RUNNING', 'still open an hour before the window ends');
    const result = await handle.result(); // the test server skips the rest of the 7 days
    assert.equal(result.generations, 1);
    assert.equal(result.last.phase, 'done');
    assert.equal(result.last.rowsValid + result.last.rowsInvalid, 300);
    const entries = await waitFor('the report', async () => {
      const all = (await readReports(s3, bucket, 'st-quiet.parquet')).flatMap((r) => r.doc['quiet.parquet'] ?? []);
      return rowsIn(all) === 300 ? all : undefined;
    });
    assert.ok(entries.every((e) => e.entryId < 2 ** 20), 'generation 0 only');
  });

  it('runs a second generation when reprocess arrives inside the window', async function () {
    const { object, handle } = await start('again.parquet');
    await waitFor('the first pass', async () => ((await handle.query(progressQuery)).phase === 'waiting-for-reprocess' ? true : undefined));
    await env.sleep(3 * 86_400_000);
    await requestReprocess(env.client, object, 'three days later');
    const result = await handle.result();
    assert.equal(result.generations, 2);
    assert.equal(result.last.generation, 1);
  });
});
