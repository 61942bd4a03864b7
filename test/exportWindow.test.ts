import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { ExportCodec } from '../src/domain/export/formats';
import { IMPRESSION_COLUMNS } from '../src/domain/impressions/impressionSchema';
import { sdkBulkBody } from '../src/dev/sdkImpressions';
import { type DuckDBInstance, openDuckDb, queryObjects, sqlString, withConnection } from '../src/parquet/duckdb';
import { type ExportPartsInput, writeExportParts } from '../src/parquet/exportWindow';
import { batchContext, contractRow, distinctBody, inExportOrder, intakeFile, parquetCodecs, parquetColumns, readParts, readWithParquetjs } from './support/exportFiles';

const MIN = 60_000;
const START = Date.UTC(2026, 0, 2, 10, 0);
const END = START + 30 * MIN;
const WINDOW = { start: START, end: END };
const LOOKBACK_START = START - 60 * MIN;

describe('export window: the parts of one window from intake Parquet (DuckDB)', function () {
  this.timeout(120_000);
  let db: DuckDBInstance;
  let dir: string;
  let out = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'export-window-'));
    // Several threads, so determinism is not an accident of a single-threaded plan.
    db = await openDuckDb({ memoryLimit: '512MB', threads: 4, tempDirectory: dir });
  });
  after(async () => {
    db?.closeSync();
    await rm(dir, { recursive: true, force: true });
  });

  const exportParts = (input: Omit<ExportPartsInput, 'outDir' | 'window' | 'lookbackStart' | 'format' | 'compression'> & Partial<ExportPartsInput>) =>
    writeExportParts(db, { window: WINDOW, lookbackStart: LOOKBACK_START, format: 'parquet', compression: 'snappy', outDir: join(dir, `out-${out++}`), ...input });
  const file = (body: Parameters<typeof intakeFile>[2], env: string, receptionMs: number) => intakeFile(db, join(dir, 'in'), body, batchContext(env, receptionMs));

  it('writes exactly the seed 14 columns in its order: strings as UTF8 byte arrays, longs as INT64, all optional', async () => {
    const source = await file(sdkBulkBody(3, 4, START), 'env-a', START + 1_000);
    const res = await exportParts({ files: [source], environments: ['env-a'] });
    assert.equal(res.parts.length, 1);
    const columns = await parquetColumns(db, res.parts[0]!.file);
    assert.deepEqual(
      columns,
      IMPRESSION_COLUMNS.map((c) =>
        c.type === 'Long'
          ? { name: c.name, type: 'INT64', converted: 'INT_64', logical: null, repetition: 'OPTIONAL' }
          : { name: c.name, type: 'BYTE_ARRAY', converted: 'UTF8', logical: null, repetition: 'OPTIONAL' },
      ),
    );
    const described = await withConnection(db, (c) => queryObjects(c, `DESCRIBE SELECT * FROM read_parquet(${sqlString(res.parts[0]!.file)})`));
    assert.deepEqual(described.map((d) => [d.column_name, d.column_type]), IMPRESSION_COLUMNS.map((c) => [c.name, c.type === 'Long' ? 'BIGINT' : 'VARCHAR']));
    // The values are the intake's, untouched.
    assert.deepEqual(await readParts(db, [res.parts[0]!.file]), inExportOrder((await readParts(db, [source])).map(contractRow)));
  });

  it('exports rows received in [start, end) of the chosen environments: start in, end out, the lookback and other environments out', async () => {
    const files = [
      await file(distinctBody(2, START - 1, 'before'), 'env-a', START - 1),
      await file(distinctBody(2, START, 'at_start'), 'env-a', START),
      await file(distinctBody(2, END - 1, 'last_ms'), 'env-a', END - 1),
      await file(distinctBody(2, END, 'at_end'), 'env-a', END),
      await file(distinctBody(2, START, 'other_env'), 'env-b', START + 1),
    ];
    const res = await exportParts({ files, environments: ['env-a'] });
    const rows = await readParts(db, res.parts.map((p) => p.file));
    assert.deepEqual(rows.map((r) => [r.splitName, r.receptionTimestamp]), [
      ['at_start', BigInt(START)],
      ['at_start', BigInt(START)],
      ['last_ms', BigInt(END - 1)],
      ['last_ms', BigInt(END - 1)],
    ]);
    assert.equal(res.rows, 4);
    assert.equal(res.duplicatesDropped, 0);
  });

  it('exports a batch stored twice (a retried post) once, from its first reception, and counts the repeats', async () => {
    const body = sdkBulkBody(2, 5, START + 10 * MIN);
    const files = [await file(body, 'env-a', START + 10 * MIN + 5_000), await file(body, 'env-a', START + 10 * MIN + 2_000)];
    const res = await exportParts({ files, environments: ['env-a'] });
    const rows = await readParts(db, res.parts.map((p) => p.file));
    assert.equal(res.rows, 10);
    assert.equal(res.duplicatesDropped, 10);
    assert.ok(rows.every((r) => r.receptionTimestamp === BigInt(START + 10 * MIN + 2_000)));
    assert.equal(new Set(rows.map((r) => `${r.splitName}/${r.key}`)).size, 10);
  });

  it('drops an impression repeated from the lookback and counts it; one received before the lookback is exported', async () => {
    const repeated = distinctBody(3, START - 30 * MIN, 'repeated');
    const tooOld = distinctBody(2, START - 2 * 60 * MIN, 'too_old');
    const files = [
      await file(repeated, 'env-a', START - 20 * MIN),
      await file(repeated, 'env-a', START + 1 * MIN),
      await file(tooOld, 'env-a', LOOKBACK_START - 1),
      await file(tooOld, 'env-a', START + 2 * MIN),
      await file(distinctBody(1, START, 'fresh'), 'env-a', START + 3 * MIN),
    ];
    const res = await exportParts({ files, environments: ['env-a'] });
    const rows = await readParts(db, res.parts.map((p) => p.file));
    assert.deepEqual(rows.map((r) => r.splitName), ['too_old', 'too_old', 'fresh']);
    assert.equal(res.duplicatesDropped, 3);
  });

  it('writes deterministic parts: partRows splits 5 rows into 2, 2 and 1 in order, and a second run (files in another order) gives the same bytes', async () => {
    const files = [
      await file(distinctBody(2, START, 'flag_b'), 'env-b', START + 4_000),
      await file(distinctBody(1, START, 'flag_a'), 'env-a', START + 4_000),
      await file(distinctBody(2, START, 'flag_c'), 'env-a', START + 1_000),
    ];
    const first = await exportParts({ files, environments: ['env-a', 'env-b'], partRows: 2 });
    assert.deepEqual(first.parts.map((p) => p.rows), [2, 2, 1]);
    assert.deepEqual(first.parts.map((p) => basename(p.file)), ['part-00000.snappy.parquet', 'part-00001.snappy.parquet', 'part-00002.snappy.parquet']);
    const rows = await readParts(db, first.parts.map((p) => p.file));
    assert.deepEqual(rows, inExportOrder(rows));
    assert.deepEqual(rows.map((r) => [r.receptionTimestamp, r.environmentId, r.splitName]), [
      [BigInt(START + 1_000), 'env-a', 'flag_c'],
      [BigInt(START + 1_000), 'env-a', 'flag_c'],
      [BigInt(START + 4_000), 'env-a', 'flag_a'],
      [BigInt(START + 4_000), 'env-b', 'flag_b'],
      [BigInt(START + 4_000), 'env-b', 'flag_b'],
    ]);
    const second = await exportParts({ files: [...files].reverse(), environments: ['env-b', 'env-a'], partRows: 2 });
    assert.equal(second.parts.length, 3);
    for (let i = 0; i < 3; i++) assert.ok((await readFile(first.parts[i]!.file)).equals(await readFile(second.parts[i]!.file)), `part ${i} differs between runs`);
  });

  it('writes the same bytes on every run for parts of several row groups, each part a fixed number of rows', async () => {
    // 250,000 impressions in 2.5 parts of 100,000: each part spans row groups, written by 4 threads.
    const files = [await file(sdkBulkBody(5, 50_000, START), 'env-a', START + 9_000)];
    const runs = [await exportParts({ files, environments: ['env-a'], partRows: 100_000 }), await exportParts({ files, environments: ['env-a'], partRows: 100_000 })];
    assert.deepEqual(runs[0]!.parts.map((p) => p.rows), [100_000, 100_000, 50_000]);
    for (let i = 0; i < 3; i++) assert.ok((await readFile(runs[0]!.parts[i]!.file)).equals(await readFile(runs[1]!.parts[i]!.file)), `part ${i} differs between runs`);
  });

  it('writes every codec as its footer names it, read back by DuckDB; snappy, gzip and none also by parquetjs-lite', async () => {
    const files = [await file(sdkBulkBody(2, 6, START), 'env-a', START + 7_000)];
    const expected = inExportOrder((await readParts(db, files)).map(contractRow));
    const footer: Partial<Record<ExportCodec, string>> = { snappy: 'SNAPPY', gzip: 'GZIP', zstd: 'ZSTD', none: 'UNCOMPRESSED' };
    for (const codec of ['snappy', 'gzip', 'zstd', 'none'] as const) {
      const res = await exportParts({ files, environments: ['env-a'], compression: codec });
      const part = res.parts[0]!.file;
      assert.deepEqual(await parquetCodecs(db, part), [footer[codec]], codec);
      assert.deepEqual(await readParts(db, [part]), expected, codec);
      if (codec !== 'zstd') assert.deepEqual(await readWithParquetjs(part), expected, `${codec} through parquetjs-lite`);
    }
  });

  it('writes no parts for a window without impressions, nor for one without intake files', async () => {
    const outside = [await file(distinctBody(2, START, 'outside'), 'env-a', END + MIN), await file(distinctBody(2, START, 'lookback'), 'env-a', START - MIN)];
    assert.deepEqual(await exportParts({ files: outside, environments: ['env-a'] }), { parts: [], rows: 0, duplicatesDropped: 0 });
    assert.deepEqual(await exportParts({ files: [], environments: ['env-a'] }), { parts: [], rows: 0, duplicatesDropped: 0 });
  });
});
