import assert from 'node:assert/strict';
import { mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { S3Client } from '@aws-sdk/client-s3';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parquet = require('parquetjs-lite');
import { startFileWorkflow, requestReprocess, requestReprocessOrNextGeneration } from '../src/client';
import { rowsIn } from '../src/domain/statusEntry';
import { DuckDBInstance, openDuckDb, queryObjects, sqlString, withConnection } from '../src/parquet/duckdb';
import { progressQuery } from '../src/messages';
import { localTemporal } from './support/temporal';
import { FIXTURES } from './support/paths';
import { maybeRecordHistory } from './support/histories';
import { fileIdOf, objectVersionOf, statusWorkflowIdOf, warehouseObjectKey } from '../src/domain/keys';
import { countsByCodes, downloadObjects, s3For, sharedMoto, newBucket, putFile, readReports, waitFor, startWorker, RunningWorker, storedKeys as storedKeysOf } from './support/harness';
import { compressWhole, expectedCounts, GOOD_ENVIRONMENTS, writeEventFile, writeParquet, InnerCodec } from './support/eventFiles';

describe('inbound end to end (dev server + moto)', function () {
  let env: TestWorkflowEnvironment;
  let s3: S3Client;
  let db: DuckDBInstance;
  let worker: RunningWorker;
  let bucket: string;
  let warehouse: string;
  let dir: string;
  const taskQueue = `e2e-${process.pid}`;

  before(async function () {
    this.timeout(180_000);
    env = await localTemporal();
    s3 = s3For(await sharedMoto());
    bucket = await newBucket(s3, 'customer');
    warehouse = await newBucket(s3, 'warehouse');
    dir = await mkdtemp(join(tmpdir(), 'fme-e2e-'));
    db = await openDuckDb({ memoryLimit: '256MB', threads: 2, tempDirectory: dir });
    worker = await startWorker(env, s3, { taskQueue, warehouseBucket: warehouse });
  });

  after(async function () {
    await worker?.stop();
    db?.closeSync();
  });

  async function upload(localPath: string, key: string) {
    const { etag } = await putFile(s3, bucket, key, localPath);
    return objectVersionOf(bucket, key, undefined, etag);
  }

  async function processAndCollect(key: string, localPath: string, opts: { statusPrefix: string; chunkRows?: number; expectRows?: number }) {
    const object = await upload(localPath, key);
    const started = await startFileWorkflow(env.client, {
      object,
      originalCreationTime: 1_700_000_000_000,
      integration: { integrationId: 'it-1', environments: GOOD_ENVIRONMENTS, statusPrefix: opts.statusPrefix },
      reprocessWindowMs: 60_000,
      taskQueue,
      tuning: { targetChunkRows: opts.chunkRows ?? 1_000_000, statusFlushDelayMs: 300 },
    });
    assert.equal(started.started, true);
    await waitFor('the pass to finish', async () => {
      const p = await started.handle.query(progressQuery);
      return p.phase === 'waiting-for-reprocess' ? p : undefined;
    });
    const entries = await waitFor('reports covering the file', async () => {
      const all = (await readReports(s3, bucket, opts.statusPrefix)).flatMap((r) => r.doc[key] ?? []);
      if (opts.expectRows === undefined) return all.length > 0 ? all : undefined;
      return rowsIn(all) === opts.expectRows ? all : undefined;
    });
    return { object, started, entries };
  }

  it('validates a 3-chunk file, stores valid rows once, reports every code, and ignores a second start', async function () {
    const n = 30_000;
    const path = join(dir, 'three-chunks.parquet');
    await writeEventFile(db, path, n, { rowGroupSize: 10_000 });
    const key = 'events/2024/three-chunks.snappy.parquet';
    // An earlier, failed attempt of chunk 0 left a part this run will not write: it must go.
    const { etag } = await putFile(s3, bucket, key, path);
    const orphan = warehouseObjectKey('events', 'environmentId=env-a/event_date=2023-11-14', fileIdOf(objectVersionOf(bucket, key, undefined, etag)), 0, 9);
    await putFile(s3, warehouse, orphan, path);
    const { object, started, entries } = await processAndCollect(key, path, { statusPrefix: 'status-3c', chunkRows: 10_000, expectRows: n });

    assert.deepEqual(countsByCodes(entries), expectedCounts(n));
    const chunks = new Set(entries.map((e) => Math.floor(e.entryId / 16) % 65536));
    assert.deepEqual([...chunks].sort(), [0, 1, 2]);
    for (const e of entries) {
      assert.equal(e.originalCreationTime, 1_700_000_000_000);
      assert.equal(e.errors.length, e.errorsDetails.length);
      for (const d of e.errorsDetails) assert.match(d, new RegExp(`rows \\d+-\\d+ of ${key.replace(/\//g, '\\/').replace(/\./g, '\\.')}`));
    }
    const envEntry = entries.find((e) => e.errors.join() === 'INVALID_ENVIRONMENT_ID')!;
    assert.match(envEntry.errorsDetails[0]!, /column environmentId/);
    assert.match(envEntry.errorsDetails[0]!, /"env-unknown"/);

    // Stored rows: exactly the valid ones, readable by DuckDB and by parquetjs-lite.
    const validRows = rowsIn(entries, true);
    const storedKeys = await storedKeysOf(s3, warehouse);
    assert.ok(storedKeys.length >= 2);
    assert.ok(!storedKeys.includes(orphan), 'the stale part of an earlier attempt was removed');
    for (const k of storedKeys) assert.match(k, /^events\/environmentId=env-[ab]\/event_date=2023-11-\d{2}\/[0-9a-f]{32}-c0000[0-2]-p\d+\.parquet$/);
    const stored = await downloadObjects(s3, warehouse, storedKeys);
    const total = await withConnection(db, (c) =>
      queryObjects(c, `SELECT count(*)::INT AS n, count(DISTINCT "key")::INT AS k FROM read_parquet([${stored.map(sqlString).join(',')}], hive_partitioning = true)`),
    );
    assert.equal(total[0]!.n, validRows);
    assert.equal(total[0]!.k, validRows);
    const reader = await parquet.ParquetReader.openFile(stored[0]);
    const cursor = reader.getCursor();
    const first = await cursor.next();
    assert.equal(typeof first.key, 'string');
    assert.equal(typeof first.timestamp, 'bigint');
    await reader.close();

    // A second start for the same object version is a no-op.
    const again = await startFileWorkflow(env.client, {
      object,
      originalCreationTime: 1_700_000_000_000,
      integration: { integrationId: 'it-1', environments: GOOD_ENVIRONMENTS, statusPrefix: 'status-3c' },
      reprocessWindowMs: 60_000,
      taskQueue,
    });
    assert.equal(again.started, false);
    assert.equal(again.workflowId, started.workflowId);
    await new Promise((r) => setTimeout(r, 1500));
    const after = (await readReports(s3, bucket, 'status-3c')).flatMap((r) => r.doc[key] ?? []);
    assert.equal(rowsIn(after), n);

    // Reprocess: a new generation, every entry warned REPROCESSED, stored rows replaced, not added.
    await requestReprocess(env.client, object, 'test');
    const gen1 = await waitFor('the reprocessed report', async () => {
      const all = (await readReports(s3, bucket, 'status-3c')).flatMap((r) => r.doc[key] ?? []);
      const g1 = all.filter((e) => e.warnings.includes('REPROCESSED'));
      return rowsIn(g1) === n ? g1 : undefined;
    });
    assert.deepEqual(countsByCodes(gen1), expectedCounts(n));
    assert.ok(gen1.every((e) => e.entryId >= 2 ** 20));
    await waitFor('generation 1 committed', async () => {
      const p = await started.handle.query(progressQuery);
      return p.generation === 1 && p.phase === 'waiting-for-reprocess' ? p : undefined;
    });
    const storedAfter = await downloadObjects(s3, warehouse, await storedKeysOf(s3, warehouse));
    const totalAfter = await withConnection(db, (c) =>
      queryObjects(c, `SELECT count(*)::INT AS n FROM read_parquet([${storedAfter.map(sqlString).join(',')}], hive_partitioning = true)`),
    );
    assert.equal(totalAfter[0]!.n, validRows);
    await maybeRecordHistory(env.address, started.handle, 'fileWorkflow-3-chunks-reprocessed-admission');
    await maybeRecordHistory(env.address, env.client.workflow.getHandle(statusWorkflowIdOf(bucket, 'status-3c')), 'statusWorkflow-3-chunks-reprocessed-whole-file-reports');
    await started.handle.terminate('test done');
  });


  const variants: { name: string; codec: InnerCodec; outer?: 'gzip' | 'bzip2' }[] = [
    { name: 'inner gzip', codec: 'gzip' },
    { name: 'inner zstd', codec: 'zstd' },
    { name: 'outer gzip around snappy', codec: 'snappy', outer: 'gzip' },
    { name: 'outer bzip2 around uncompressed', codec: 'uncompressed', outer: 'bzip2' },
  ];
  for (const v of variants) {
    it(`reads ${v.name}`, async function () {
      const n = 2_000;
      let path = join(dir, `${v.name.replace(/\W+/g, '-')}.parquet`);
      await writeEventFile(db, path, n, { codec: v.codec });
      if (v.outer) path = compressWhole(path, v.outer);
      const key = `in/${v.name.replace(/\W+/g, '-')}.parquet${v.outer ? (v.outer === 'gzip' ? '.gz' : '.bz2') : ''}`;
      const { entries } = await processAndCollect(key, path, { statusPrefix: `st-${v.name.replace(/\W+/g, '-')}`, expectRows: n });
      assert.deepEqual(countsByCodes(entries), expectedCounts(n));
    });
  }

  it('after the reprocess window closes, starts the next generation explicitly (the CLI path)', async function () {
    const n = 1_000;
    const path = join(dir, 'window.parquet');
    await writeEventFile(db, path, n);
    const key = 'in/window-closed.parquet';
    const object = await upload(path, key);
    const first = await startFileWorkflow(env.client, {
      object,
      originalCreationTime: 1_700_000_000_000,
      integration: { integrationId: 'it-w', environments: GOOD_ENVIRONMENTS, statusPrefix: 'st-window' },
      reprocessWindowMs: 500,
      taskQueue,
      tuning: { statusFlushDelayMs: 300 },
    });
    const result = await first.handle.result();
    assert.equal(result.generations, 1);
    assert.equal((await startFileWorkflow(env.client, { object, originalCreationTime: 1, integration: { integrationId: 'x', environments: [], statusPrefix: 'st-window' }, reprocessWindowMs: 500, taskQueue })).started, false, 'a closed file is not started again by a notification');

    const outcome = await requestReprocessOrNextGeneration(env.client, object, taskQueue, 'customer asked');
    assert.deepEqual(outcome, { kind: 'next-generation', workflowId: first.workflowId, generation: 1 });
    const entries = await waitFor('both generations reported', async () => {
      const all = (await readReports(s3, bucket, 'st-window')).flatMap((r) => r.doc[key] ?? []);
      return rowsIn(all) === 2 * n ? all : undefined;
    });
    const gen1 = entries.filter((e) => e.warnings.includes('REPROCESSED'));
    assert.equal(rowsIn(gen1), n);
    assert.deepEqual(countsByCodes(gen1), expectedCounts(n));
    assert.equal(new Set(entries.map((e) => e.entryId)).size, entries.length, 'generations never share an entryId');
  });

  it('consolidates files of two integrations that share a bucket and status prefix into one report', async function () {
    // Ten chunks each, started together: each file's pass is still running when the other's
    // ends, so the ended one waits the flush delay for it and both go out in one report.
    const n = 1_000;
    const path = join(dir, 'shared-prefix.parquet');
    await writeEventFile(db, path, n, { rowGroupSize: 100 });
    const starts = await Promise.all(
      [
        { key: 'team-a/events.parquet', integrationId: 'it-a', environments: ['env-a'] },
        { key: 'team-b/events.parquet', integrationId: 'it-b', environments: ['env-b'] },
      ].map(async ({ key, integrationId, environments }) =>
        startFileWorkflow(env.client, {
          object: await upload(path, key),
          originalCreationTime: 1_700_000_000_000,
          integration: { integrationId, environments, statusPrefix: 'shared/statuses' },
          reprocessWindowMs: 60_000,
          taskQueue,
          tuning: { statusFlushDelayMs: 3_000, targetChunkRows: 100 },
        }),
      ),
    );
    const reports = await waitFor('a report with both files', async () => {
      const all = await readReports(s3, bucket, 'shared/statuses');
      const rows = all.flatMap((r) => Object.values(r.doc).flat());
      return rowsIn(rows) === 2 * n ? all : undefined;
    });
    assert.equal(reports.length, 1, 'one consolidated report file');
    assert.deepEqual(Object.keys(reports[0]!.doc).sort(), ['team-a/events.parquet', 'team-b/events.parquet']);
    // Each integration judged environments by its own list.
    const invalidEnvA = reports[0]!.doc['team-a/events.parquet']!.filter((e) => e.errors.includes('INVALID_ENVIRONMENT_ID'));
    assert.match(invalidEnvA[0]!.errorsDetails.find((d) => d.startsWith('INVALID_ENVIRONMENT_ID'))!, /\[env-a\]; samples: "env-b", "env-unknown"$/);
    for (const s of starts) await s.handle.terminate('test done');
  });

  it('reads Hadoop-LZO Parquet written by parquet-mr through the fallback reader', async function () {
    const path = join(FIXTURES, 'lzo', 'events-hadoop-lzo.parquet');
    const key = 'in/spark/part-00000.lzo.parquet';
    const { entries } = await processAndCollect(key, path, { statusPrefix: 'st-lzo', expectRows: 2_500 });
    assert.deepEqual(
      countsByCodes(entries),
      new Map([
        ['', 2_495],
        ['REQUIRED_FIELDS_NULL', 1],
        ['INVALID_ENVIRONMENT_ID', 3],
        ['INVALID_TIMESTAMP', 1],
      ]),
    );
    const ts = entries.find((e) => e.errors.join() === 'INVALID_TIMESTAMP')!;
    assert.match(ts.errorsDetails[0]!, /rows 20-20 of in\/spark\/part-00000\.lzo\.parquet.*samples: 1700000000$/);
  });

  it('reports a schema-invalid file and an unreadable file with one INVALID_SCHEMA entry each', async function () {
    const wrongType = join(dir, 'wrong-type.parquet');
    await writeParquet(db, wrongType, `SELECT 'env-a' AS environmentId, 'user' AS trafficTypeId, 'x' AS eventTypeId, 'k' AS "key", 1700000000000::BIGINT AS "timestamp", 5::BIGINT AS "value" FROM range(7)`);
    const bad = await processAndCollect('in/wrong-type.parquet', wrongType, { statusPrefix: 'st-schema', expectRows: 7 });
    assert.equal(bad.entries.length, 1);
    assert.equal(bad.entries[0]!.valid, false);
    assert.deepEqual(bad.entries[0]!.errors, ['INVALID_SCHEMA']);
    assert.match(bad.entries[0]!.errorsDetails[0]!, /column value: type INT64.* found, Double expected/);
    await maybeRecordHistory(env.address, bad.started.handle, 'fileWorkflow-schema-invalid-admission');

    const garbage = join(dir, 'garbage.parquet');
    await writeFile(garbage, 'this is not parquet at all');
    const g = await processAndCollect('in/garbage.parquet', garbage, { statusPrefix: 'st-garbage' });
    assert.equal(g.entries.length, 1);
    assert.deepEqual(g.entries[0]!.errors, ['INVALID_SCHEMA']);
    assert.equal(g.entries[0]!.numberOfRows, 0);
    assert.match(g.entries[0]!.errorsDetails[0]!, /INVALID_SCHEMA: in\/garbage\.parquet: not a readable Parquet file/);
  });
});
