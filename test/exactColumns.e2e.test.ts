import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectsCommand, S3Client } from '@aws-sdk/client-s3';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { startFileWorkflow } from '../src/client';
import { objectVersionOf } from '../src/domain/keys';
import { rowsIn, StatusEntry } from '../src/domain/statusEntry';
import { DuckDBInstance, openDuckDb, queryObjects, sqlString, withConnection } from '../src/parquet/duckdb';
import { localTemporal } from './support/temporal';
import { PROJECT_ROOT, VENV_PYTHON } from './support/paths';
import { downloadObjects, listKeys, newBucket, putFile, readReports, RunningWorker, s3For, sharedMoto, startWorker, storedKeys, waitFor } from './support/harness';

const BASE_MS = 1_700_000_000_000;

/**
 * What the warehouse stores for a file whose extra columns differ from contract columns only in
 * case (test/fixtures/pyarrow/make_files.py): the exact-named columns' values, never the twins'.
 * DuckDB resolves "key" case-insensitively, so reading by name would store `KEY` (an INT64).
 */
describe('exact column names end to end: the warehouse stores the exact-named columns (dev server + moto)', function () {
  let env: TestWorkflowEnvironment;
  let s3: S3Client;
  let db: DuckDBInstance;
  let worker: RunningWorker;
  let bucket: string;
  let warehouse: string;
  let dir: string;
  const taskQueue = `e2e-exact-${process.pid}`;

  before(async function () {
    this.timeout(180_000);
    env = await localTemporal();
    s3 = s3For(await sharedMoto());
    bucket = await newBucket(s3, 'customer-exact');
    warehouse = await newBucket(s3, 'warehouse-exact');
    dir = await mkdtemp(join(tmpdir(), 'fme-e2e-exact-'));
    execFileSync(VENV_PYTHON, [join(PROJECT_ROOT, 'test', 'fixtures', 'pyarrow', 'make_files.py'), join(dir, 'pyarrow')], { stdio: 'pipe' });
    db = await openDuckDb({ memoryLimit: '256MB', threads: 2, tempDirectory: dir });
    worker = await startWorker(env, s3, { taskQueue, warehouseBucket: warehouse, warehousePrefix: 'events' });
  });

  after(async function () {
    await worker?.stop();
    db?.closeSync();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** Runs the file workflow on one fixture; returns its entries and the rows stored for it. */
  async function ingest(fixture: string, expectRows: number): Promise<{ entries: StatusEntry[]; stored: Record<string, unknown>[] }> {
    const key = `in/${fixture}`;
    const statusPrefix = `st-${fixture.replace(/\W+/g, '-')}`;
    const { etag } = await putFile(s3, bucket, key, join(dir, 'pyarrow', fixture));
    const started = await startFileWorkflow(env.client, {
      object: objectVersionOf(bucket, key, undefined, etag),
      originalCreationTime: BASE_MS,
      integration: { integrationId: 'it-exact', environments: ['env-a', 'env-b'], statusPrefix },
      reprocessWindowMs: 60_000,
      taskQueue,
      tuning: { statusFlushDelayMs: 300 },
    });
    const entries = await waitFor(`reports covering ${fixture}`, async () => {
      const all = (await readReports(s3, bucket, statusPrefix)).flatMap((r) => r.doc[key] ?? []);
      return rowsIn(all) === expectRows ? all : undefined;
    });
    await started.handle.terminate('test done');
    const files = await downloadObjects(s3, warehouse, await storedKeys(s3, warehouse));
    // Every row in the warehouse: each test starts from an empty one, so a stray row shows.
    if (files.length === 0) return { entries, stored: [] };
    const stored = await withConnection(db, (c) =>
      queryObjects(
        c,
        `SELECT "environmentId", "trafficTypeId", "eventTypeId", "key", "timestamp", "value", map_extract("properties", 'i')[1] AS prop_i,
                typeof("key") AS key_type, typeof("timestamp") AS ts_type
           FROM read_parquet([${files.map(sqlString).join(', ')}], hive_partitioning = true) ORDER BY "timestamp"`,
      ),
    );
    await Promise.all(files.map((f) => rm(f)));
    return { entries, stored };
  }

  async function clearWarehouse(): Promise<void> {
    const keys = await listKeys(s3, warehouse, '');
    if (keys.length > 0) await s3.send(new DeleteObjectsCommand({ Bucket: warehouse, Delete: { Objects: keys.map((Key) => ({ Key })) } }));
  }

  beforeEach(clearWarehouse);

  it('every contract column shadowed by an upper-case twin: stores the exact-named values of all 30 rows', async function () {
    this.timeout(120_000);
    const { entries, stored } = await ingest('case-colliding-all.parquet', 30);
    assert.deepEqual(entries.map((e) => [e.valid, e.numberOfRows, e.warnings]), [[true, 30, ['UNKNOWN_COLUMNS_IGNORED']]]);
    assert.equal(stored.length, 30);
    stored.forEach((r, i) => {
      assert.deepEqual(r, {
        environmentId: i % 2 === 0 ? 'env-a' : 'env-b',
        trafficTypeId: 'user',
        eventTypeId: 'checkout',
        key: `user-${i}`,
        timestamp: BigInt(BASE_MS + i),
        value: i % 4 === 0 ? null : i * 1.5,
        prop_i: String(i),
        key_type: 'VARCHAR',
        ts_type: 'BIGINT',
      });
    });
  });

  it('an INT64 Key before key: the string keys are stored, and the row whose key is null is not', async function () {
    this.timeout(120_000);
    const { entries, stored } = await ingest('case-colliding-key.parquet', 20);
    assert.deepEqual(
      stored.map((r) => r.key),
      [...Array(20).keys()].filter((i) => i !== 5).map((i) => `user-${i}`),
    );
    assert.deepEqual(
      entries.map((e) => [e.valid, e.numberOfRows, e.errors]),
      [
        [true, 19, []],
        [false, 1, ['REQUIRED_FIELDS_NULL']],
      ],
    );
  });
});
