import assert from 'node:assert/strict';
import { mkdtemp, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startFileWorkflow } from '../src/client';
import { objectVersionOf } from '../src/domain/keys';
import { rowsIn } from '../src/domain/statusEntry';
import { openDuckDb } from '../src/parquet/duckdb';
import { localTemporal } from './support/temporal';
import { newBucket, putFile, readReports, RunningWorker, s3For, sharedMoto, startWorker, waitFor } from './support/harness';
import { GOOD_ENVIRONMENTS, writeEventFile } from './support/eventFiles';

const MiB = 2 ** 20;

describe('admission under a burst (dev server + moto)', function () {
  let env: TestWorkflowEnvironment;
  let s3: S3Client;
  let worker: RunningWorker;
  let bucket: string;
  const taskQueue = `burst-${process.pid}`;

  before(async function () {
    this.timeout(180_000);
    env = await localTemporal();
    s3 = s3For(await sharedMoto());
    bucket = await newBucket(s3, 'burst');
    // Room for two files at a time: every further file of the burst has to wait for room.
    worker = await startWorker(env, s3, { taskQueue, warehouseBucket: await newBucket(s3, 'burst-wh'), capacityBytes: 2 * MiB, minFileBytes: MiB });
  });

  after(async () => worker?.stop());

  it('more files than the worker can hold all wait for room: each reported once, none restarted, none failed', async function () {
    this.timeout(240_000);
    const files = 12;
    const rows = 1_000;
    const dir = await mkdtemp(join(tmpdir(), 'fme-burst-'));
    const db = await openDuckDb({ memoryLimit: '128MB', threads: 1, tempDirectory: dir });
    const path = join(dir, 'f.parquet');
    await writeEventFile(db, path, rows);
    db.closeSync();
    const bytes = (await stat(path)).size;
    const started = await Promise.all(
      Array.from({ length: files }, async (_, i) => {
        const key = `burst/file-${i}.parquet`;
        const { etag } = await putFile(s3, bucket, key, path);
        return startFileWorkflow(env.client, {
          object: objectVersionOf(bucket, key, undefined, etag),
          originalCreationTime: 1_700_000_000_000,
          integration: { integrationId: 'burst', environments: GOOD_ENVIRONMENTS, statusPrefix: 'st-burst' },
          reprocessWindowMs: 5_000,
          taskQueue,
          objectBytes: bytes,
          // Short timeouts, as the burst's queueing would have tripped before admission: a file
          // waits far longer than these for room, and none of it counts as a lost worker.
          tuning: { smallFileMaxBytes: 0, workerScheduleToStartMs: 1_000, leaseTimeoutMs: 3_000, statusFlushDelayMs: 500 },
        });
      }),
    );
    const results = await Promise.all(started.map((s) => s.handle.result()));
    assert.deepEqual(results.map((r) => r.last.workerRestarts), Array(files).fill(0), 'no restart');
    assert.deepEqual(results.map((r) => r.generations), Array(files).fill(1), 'every file done, none failed');
    const reported = await waitFor('every file reported', async () => {
      const entries = (await readReports(s3, bucket, 'st-burst')).flatMap((r) => Object.entries(r.doc));
      const byFile = new Map<string, number>();
      for (const [file, es] of entries) byFile.set(file, (byFile.get(file) ?? 0) + rowsIn(es));
      return byFile.size === files && [...byFile.values()].every((n) => n >= rows) ? byFile : undefined;
    });
    assert.deepEqual([...reported.values()], Array(files).fill(rows), 'each file reported once');
  });
});
