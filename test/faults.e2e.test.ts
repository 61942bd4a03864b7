import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startFileWorkflow } from '../src/client';
import { objectVersionOf } from '../src/domain/keys';
import { entryTriplet, rowsIn } from '../src/domain/statusEntry';
import { DuckDBInstance, openDuckDb } from '../src/parquet/duckdb';
import { progressQuery } from '../src/messages';
import { temporal } from '@temporalio/proto';
import type { Moto } from '../src/dev/moto';
import { localTemporal } from './support/temporal';
import { maybeRecordHistory } from './support/histories';
import { PROJECT_ROOT } from './support/paths';
import { countsByCodes, deploymentEnv, listKeys, newBucket, putFile, readReports, RunningWorker, s3For, sharedMoto, startWorker, storedRows, waitFor } from './support/harness';
import { expectedCounts, GOOD_ENVIRONMENTS, writeEventFile } from './support/eventFiles';

/** The production worker as its own process, so the test can kill it like a crashed machine. */
async function spawnWorker(env: TestWorkflowEnvironment, moto: Moto, taskQueue: string, warehouse: string): Promise<ChildProcess> {
  const child = spawn('node', ['lib/src/worker.js'], {
    cwd: PROJECT_ROOT,
    env: deploymentEnv(env, moto, taskQueue, { WAREHOUSE_BUCKET: warehouse, WORK_DIR: await mkdtemp(join(tmpdir(), 'fme-child-')) }),
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  await new Promise<void>((resolve, reject) => {
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      if (out.includes('worker ready')) resolve();
    });
    child.stderr!.on('data', (d: Buffer) => (out += d.toString()));
    child.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${out}`)));
  });
  return child;
}

describe('faults: a killed worker and S3 errors (dev server + moto)', function () {
  let env: TestWorkflowEnvironment;
  let moto: Moto;
  let s3: S3Client;
  let db: DuckDBInstance;
  let dir: string;
  let bucket: string;
  const workers: RunningWorker[] = [];

  before(async function () {
    this.timeout(180_000);
    env = await localTemporal();
    moto = await sharedMoto();
    s3 = s3For(moto);
    bucket = await newBucket(s3, 'faults');
    dir = await mkdtemp(join(tmpdir(), 'fme-faults-'));
    db = await openDuckDb({ memoryLimit: '256MB', threads: 2, tempDirectory: dir });
  });

  after(async function () {
    for (const w of workers) await w.stop();
    db?.closeSync();
  });

  it('finishes a file on another worker after the first is killed mid-file, counting every row once', async function () {
    this.timeout(300_000);
    const taskQueue = `kill-${process.pid}`;
    const warehouse = await newBucket(s3, 'wh-kill');
    const n = 300_000;
    const path = join(dir, 'kill.parquet');
    await writeEventFile(db, path, n, { rowGroupSize: 10_000 });
    const key = 'in/killed-mid-file.parquet';
    const { etag } = await putFile(s3, bucket, key, path);
    const object = objectVersionOf(bucket, key, undefined, etag);

    const doomed = await spawnWorker(env, moto, taskQueue, warehouse);
    const { handle } = await startFileWorkflow(env.client, {
      object,
      originalCreationTime: 1_700_000_000_000,
      integration: { integrationId: 'it-kill', environments: GOOD_ENVIRONMENTS, statusPrefix: 'st-kill' },
      reprocessWindowMs: 60_000,
      taskQueue,
      tuning: { targetChunkRows: 10_000, statusFlushDelayMs: 300, heartbeatTimeoutMs: 30_000, leaseTimeoutMs: 3_000 },
    });
    await waitFor('a few chunks done on the doomed worker', async () => {
      const p = await handle.query(progressQuery).catch(() => undefined);
      return p && p.chunksDone >= 3 ? p : undefined;
    });
    doomed.kill('SIGKILL');
    const progressAtKill = await handle.query(progressQuery).catch(() => undefined);
    assert.ok(!progressAtKill || progressAtKill.chunksDone < 30, 'killed before the file was done');

    workers.push(await startWorker(env, s3, { taskQueue, warehouseBucket: warehouse }));
    const final = await waitFor(
      'the file to finish on the second worker',
      async () => {
        const p = await handle.query(progressQuery);
        return p.phase === 'waiting-for-reprocess' ? p : undefined;
      },
      240_000,
    );
    assert.ok(final.workerRestarts >= 1, 'the file was started again elsewhere');
    // The restart came from the lost worker's lease (its heartbeats stopped), not from a
    // queued task waiting too long or a chunk's own heartbeat (30 s here).
    const timeouts = (await handle.fetchHistory()).events!.filter((e) => e.activityTaskTimedOutEventAttributes);
    const scheduled = new Map((await handle.fetchHistory()).events!.filter((e) => e.activityTaskScheduledEventAttributes).map((e) => [String(e.eventId), e.activityTaskScheduledEventAttributes!.activityType!.name]));
    const kinds = timeouts.map((e) => [scheduled.get(String(e.activityTaskTimedOutEventAttributes!.scheduledEventId)), e.activityTaskTimedOutEventAttributes!.failure?.timeoutFailureInfo?.timeoutType]);
    assert.deepEqual(kinds[0], ['holdFile', temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT], 'the lease timed out first');
    // The chunk the dead worker was running times out later (its own 30 s heartbeat), long after the restart.
    assert.ok(kinds.every(([, type]) => type === temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT), `no schedule-to-start timeout: ${JSON.stringify(kinds)}`);
    assert.equal(final.chunksDone, 30);
    assert.equal(final.rowsValid + final.rowsInvalid, n);

    const entries = await waitFor('reports covering the file', async () => {
      const all = (await readReports(s3, bucket, 'st-kill')).flatMap((r) => r.doc[key] ?? []);
      return rowsIn(all) >= n ? all : undefined;
    });
    assert.equal(rowsIn(entries), n, 'no row counted twice');
    assert.equal(new Set(entries.map((e) => entryTriplet({ fileName: key, entry: e }))).size, entries.length);
    assert.deepEqual(countsByCodes(entries), expectedCounts(n));
    const stored = (await listKeys(s3, warehouse, 'events/')).filter((k) => k.endsWith('.parquet'));
    const chunksStored = new Set(stored.map((k) => k.match(/-c(\d+)-p\d+\.parquet$/)![1]));
    assert.equal(chunksStored.size, 30);
    assert.equal(await storedRows(s3, db, warehouse), expectedCounts(n).get(''), 'every valid row stored exactly once');
    assert.equal(rowsIn(entries, true), expectedCounts(n).get(''), 'and reported as valid exactly once');
    await maybeRecordHistory(env.address, handle, 'fileWorkflow-worker-killed-lease');
    await handle.terminate('test done');
  });

  it('survives S3 errors: a pass retries until the warehouse bucket exists, then nothing is lost', async function () {
    const taskQueue = `s3err-${process.pid}`;
    const warehouse = `wh-late-${process.pid}-${Date.now().toString(36)}`; // not created yet: every PutObject fails
    workers.push(await startWorker(env, s3, { taskQueue, warehouseBucket: warehouse }));
    const n = 5_000;
    const path = join(dir, 's3err.parquet');
    await writeEventFile(db, path, n);
    const key = 'in/s3-errors.parquet';
    const { etag } = await putFile(s3, bucket, key, path);
    const { handle } = await startFileWorkflow(env.client, {
      object: objectVersionOf(bucket, key, undefined, etag),
      originalCreationTime: 1_700_000_000_000,
      integration: { integrationId: 'it-s3', environments: GOOD_ENVIRONMENTS, statusPrefix: 'st-s3err' },
      reprocessWindowMs: 60_000,
      taskQueue,
      tuning: { statusFlushDelayMs: 300 },
    });
    await new Promise((r) => setTimeout(r, 3_000));
    const stuck = await handle.query(progressQuery);
    // The pass's first write to the warehouse is its generation marker, at the download.
    assert.equal(stuck.phase, 'downloading', 'still retrying the generation marker');
    assert.equal((await readReports(s3, bucket, 'st-s3err')).length, 0, 'nothing reported before the rows are stored');

    await s3.send(new CreateBucketCommand({ Bucket: warehouse }));
    await waitFor(
      'the file to finish',
      async () => ((await handle.query(progressQuery)).phase === 'waiting-for-reprocess' ? true : undefined),
      60_000,
    );
    const entries = await waitFor('the report', async () => {
      const all = (await readReports(s3, bucket, 'st-s3err')).flatMap((r) => r.doc[key] ?? []);
      return rowsIn(all) === n ? all : undefined;
    });
    assert.deepEqual(countsByCodes(entries), expectedCounts(n));
    assert.ok((await listKeys(s3, warehouse, 'events/')).length > 0);
    await maybeRecordHistory(env.address, handle, 'fileWorkflow-s3-errors-retried-admission');
    await handle.terminate('test done');
  });
});
