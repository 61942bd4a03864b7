import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { minuteOf } from '../src/domain/impressions/intakeKeys';
import { queryObjects, sqlString, withConnection, type DuckDBInstance } from '../src/parquet/duckdb';
import { formatOfFile, loadImpressionFile, openLoaderDuckDb, type LoadOptions, type LoadResult } from '../src/parquet/impressionLoad';
import { duckType, INTAKE_COLUMNS } from '../src/parquet/impressionSql';
import { byKey, EVERY_COLUMN, expectedStored, jsonText, pyarrowColumns, readBack, T0, writeJsonl, writeParquetWithPyarrow, type Row } from './support/impressionFiles';

describe('impressionLoad: a Parquet or JSON lines file in the seed\'s schema becomes intake partitions', function () {
  let dir: string;
  let db: DuckDBInstance;
  let n = 0;
  const LOAD_TIME = Date.UTC(2026, 2, 3, 4, 5, 6, 789);

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fme-impression-load-'));
    db = await openLoaderDuckDb({ memoryLimit: '512MB', threads: 2, tempDirectory: join(dir, 'duckdb') });
  });
  after(async () => {
    db?.closeSync();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const load = (file: string, format: LoadOptions['format'], opts: Partial<LoadOptions> = {}) =>
    withConnection(db, (c) => loadImpressionFile(c, file, { format, loadTimeMs: LOAD_TIME, outDir: join(dir, `out-${n++}`), ...opts }));
  const loaded = (r: LoadResult) => {
    assert.ok(r.ok, `refused: ${r.ok ? '' : r.problems.join('; ')}`);
    return r;
  };
  const refused = async (r: LoadResult, outDir?: string) => {
    assert.ok(!r.ok, 'refused');
    if (outDir) assert.equal(existsSync(outDir), false, 'nothing written for a refused file');
    return r.problems;
  };

  async function assertEveryColumnMapped(r: LoadResult) {
    const ok = loaded(r);
    assert.equal(ok.rows, 3);
    assert.equal(ok.stampedRows, 0);
    assert.deepEqual(ok.ignoredColumns, ['note']);
    assert.deepEqual(
      ok.partitions.map((p) => [p.environmentId, p.minuteMs, p.rows]),
      [
        ['env-a', T0, 2],
        ['env/b=2 weird', T0 + 60_000, 1],
      ],
    );
    for (const p of ok.partitions) {
      const described = await withConnection(db, (c) => queryObjects(c, `DESCRIBE SELECT * FROM read_parquet(${sqlString(p.file)}, hive_partitioning = false)`));
      assert.deepEqual(
        described.map((d) => [d.column_name, d.column_type]),
        INTAKE_COLUMNS.map((c) => [c.name, duckType(c.type)]),
        'the intake\'s columns, in order',
      );
      for (const row of await readBack(db, [p.file])) assert.equal(row.environmentId, p.environmentId);
    }
    assert.deepEqual(await readBack(db, ok.partitions.map((p) => p.file)), byKey(EVERY_COLUMN).map((r) => expectedStored(r)));
  }

  it('a Parquet file (written by pyarrow) with every column is stored field for field in the intake\'s layout', async () => {
    const file = writeParquetWithPyarrow(join(dir, 'every.parquet'), EVERY_COLUMN);
    await assertEveryColumnMapped(await load(file, 'parquet'));
  });

  it('a JSON lines file with every column is stored field for field in the intake\'s layout', async () => {
    await assertEveryColumnMapped(await load(await writeJsonl(join(dir, 'every.jsonl'), EVERY_COLUMN), 'jsonl'));
  });

  it('a file without receptionTimestamp takes the load time: one value for every row, in the load\'s minute', async () => {
    const rows = EVERY_COLUMN.map(({ receptionTimestamp: _r, ...rest }) => rest);
    for (const [file, format] of [
      [await writeJsonl(join(dir, 'unstamped.jsonl'), rows), 'jsonl'],
      [writeParquetWithPyarrow(join(dir, 'unstamped.parquet'), rows), 'parquet'],
    ] as const) {
      const ok = loaded(await load(file, format));
      assert.equal(ok.stampedRows, 3, format);
      assert.deepEqual(ok.partitions.map((p) => [p.environmentId, p.minuteMs, p.rows]), [['env-a', minuteOf(LOAD_TIME), 2], ['env/b=2 weird', minuteOf(LOAD_TIME), 1]], format);
      assert.deepEqual(await readBack(db, ok.partitions.map((p) => p.file)), byKey(rows).map((r) => expectedStored(r, LOAD_TIME)), format);
    }
  });

  it('a null receptionTimestamp takes the load time; rows that have one keep theirs', async () => {
    const rows = EVERY_COLUMN.map((r, i) => ({ ...r, receptionTimestamp: i === 1 ? null : r.receptionTimestamp }));
    const ok = loaded(await load(await writeJsonl(join(dir, 'one-null-reception.jsonl'), rows), 'jsonl'));
    assert.equal(ok.stampedRows, 1);
    const stored = await readBack(db, ok.partitions.map((p) => p.file));
    assert.deepEqual(stored, byKey(rows).map((r) => expectedStored(r, LOAD_TIME)));
  });

  it('a missing required column is refused, naming the column, and nothing is written', async () => {
    const outDir = join(dir, 'refused-missing');
    const rows = EVERY_COLUMN.map(({ treatment: _t, ...rest }) => rest);
    for (const [file, format] of [
      [writeParquetWithPyarrow(join(dir, 'no-treatment.parquet'), rows), 'parquet'],
      [await writeJsonl(join(dir, 'no-treatment.jsonl'), rows), 'jsonl'],
    ] as const) {
      assert.deepEqual(await refused(await load(file, format, { outDir }), outDir), ['"treatment" is missing: a required column'], format);
    }
  });

  it('a null key is refused with the rows at fault and the first of them', async () => {
    const rows = [...EVERY_COLUMN, { ...EVERY_COLUMN[0]!, key: null }, { ...EVERY_COLUMN[2]!, key: null }];
    const outDir = join(dir, 'refused-null-key');
    for (const [file, format] of [
      [writeParquetWithPyarrow(join(dir, 'null-key.parquet'), rows), 'parquet'],
      [await writeJsonl(join(dir, 'null-key.jsonl'), rows), 'jsonl'],
    ] as const) {
      assert.deepEqual(await refused(await load(file, format, { outDir }), outDir), ['"key" is missing or null on 2 rows (first: row 4); it is required'], format);
    }
  });

  it('a fractional timestamp is refused with the rows at fault, the first of them and its value', async () => {
    const rows = EVERY_COLUMN.map((r, i) => ({ ...r, timestamp: i === 0 ? r.timestamp : Number(r.timestamp) + 0.5 }));
    const outDir = join(dir, 'refused-fraction');
    const jsonl = await refused(await load(await writeJsonl(join(dir, 'fraction.jsonl'), rows), 'jsonl', { outDir }), outDir);
    assert.deepEqual(jsonl, [`"timestamp" is not a whole number in the Long range on 2 rows (first: row 2, ${Number(EVERY_COLUMN[1]!.timestamp) + 0.5})`]);
    const parquetFile = writeParquetWithPyarrow(join(dir, 'fraction.parquet'), rows, pyarrowColumns(rows).map(([c, t]) => [c, c === 'timestamp' ? 'float64' : t]));
    const parquet = await refused(await load(parquetFile, 'parquet', { outDir }), outDir);
    assert.deepEqual(parquet, [`"timestamp" is not a whole number in the Long range on 2 rows (first: row 2, ${Number(EVERY_COLUMN[1]!.timestamp) + 0.5})`]);
  });

  it('every problem of a file is named: a number for a String, an empty environment, a Long out of range, a null, a reception before 1970', async () => {
    const lines = [
      jsonText({ ...EVERY_COLUMN[0]!, key: 42 }),
      jsonText({ ...EVERY_COLUMN[1]!, environmentId: '' }),
      jsonText({ ...EVERY_COLUMN[2]!, splitVersion: 9223372036854775808n, sdk: undefined }),
      jsonText({ ...EVERY_COLUMN[0]!, receptionTimestamp: -1n }),
    ];
    const file = join(dir, 'many-problems.jsonl');
    await writeFile(file, lines.join('\n'));
    assert.deepEqual(await refused(await load(file, 'jsonl')), [
      '"key" is not a string on 1 row (first: row 1, 42)',
      '"splitVersion" is not a whole number in the Long range on 1 row (first: row 3, 9223372036854775808)',
      '"environmentId" is empty on 1 row (first: row 2)',
      '"sdk" is missing or null on 1 row (first: row 3); it is required',
      '"receptionTimestamp" is before 1970 or after 9999 on 1 row (first: row 4): the warehouse\'s minute folders need a date',
    ]);
  });

  it('Long values are taken exactly from integers, whole doubles and integer strings (64-bit integers quoted in JSON)', async () => {
    const rows = [
      { ...EVERY_COLUMN[0]!, timestamp: String(EVERY_COLUMN[0]!.timestamp), splitVersion: '-9223372036854775808' },
      { ...EVERY_COLUMN[1]!, timestamp: Number(EVERY_COLUMN[1]!.timestamp) },
      { ...EVERY_COLUMN[2]!, receptionTimestamp: String(EVERY_COLUMN[2]!.receptionTimestamp) },
    ];
    const file = join(dir, 'long-forms.jsonl');
    await writeFile(file, rows.map((r, i) => (i === 1 ? jsonText(r).replace(/"timestamp":(\d+)/, '"timestamp":$1.0') : jsonText(r))).join('\n'));
    const ok = loaded(await load(file, 'jsonl'));
    const expected = byKey(EVERY_COLUMN.map((r, i) => (i === 0 ? { ...r, splitVersion: -9223372036854775808n } : r))).map((r) => expectedStored(r));
    assert.deepEqual(await readBack(db, ok.partitions.map((p) => p.file)), expected);
  });

  it('Long values are taken exactly from Parquet TIMESTAMP, DOUBLE, DECIMAL and integer VARCHAR columns', async () => {
    const source = writeParquetWithPyarrow(join(dir, 'long-types-source.parquet'), EVERY_COLUMN);
    const file = join(dir, 'long-types.parquet');
    await withConnection(db, (c) =>
      c.run(
        `COPY (SELECT * REPLACE (epoch_ms("timestamp") AS "timestamp", receptionTimestamp::DOUBLE AS receptionTimestamp,
                                 splitVersion::DECIMAL(19,0) AS splitVersion, previousTime::VARCHAR AS previousTime)
               FROM read_parquet(${sqlString(source)})) TO ${sqlString(file)} (FORMAT parquet)`,
      ),
    );
    const types = await withConnection(db, (c) => queryObjects(c, `SELECT column_name, column_type FROM (DESCRIBE SELECT * FROM read_parquet(${sqlString(file)}))`));
    assert.deepEqual(
      types.filter((t) => ['timestamp', 'receptionTimestamp', 'splitVersion', 'previousTime'].includes(String(t.column_name))).map((t) => t.column_type),
      ['DECIMAL(19,0)', 'TIMESTAMP', 'DOUBLE', 'VARCHAR'],
    );
    const ok = loaded(await load(file, 'parquet'));
    assert.deepEqual(await readBack(db, ok.partitions.map((p) => p.file)), byKey(EVERY_COLUMN).map((r) => expectedStored(r)));
  });

  it('a Parquet column of another type is refused where it holds values, and taken where it holds only nulls', async () => {
    const allNullLabel = EVERY_COLUMN.map((r) => ({ ...r, label: null }));
    const typed = (rows: Row[]) => pyarrowColumns(rows).map(([c, t]): [string, string] => [c, c === 'label' ? 'int32' : t]);
    const ok = loaded(await load(writeParquetWithPyarrow(join(dir, 'null-int-label.parquet'), allNullLabel, typed(allNullLabel)), 'parquet'));
    assert.equal(ok.rows, 3);
    const intLabel = EVERY_COLUMN.map((r, i) => ({ ...r, label: i === 2 ? 7 : null }));
    assert.deepEqual(await refused(await load(writeParquetWithPyarrow(join(dir, 'int-label.parquet'), intLabel, typed(intLabel)), 'parquet')), [
      '"label" is INTEGER where a String is expected, on 1 row (first: row 3, 7)',
    ]);
  });

  it('partitions split by environment and reception minute, each file holding exactly its rows', async () => {
    // Two environments, minutes on both sides of each boundary, rows interleaved.
    const rows: Row[] = [];
    for (let i = 0; i < 60; i++) {
      const env = i % 2 ? 'env-a' : 'env-b';
      rows.push({ ...EVERY_COLUMN[0]!, key: `k${String(i).padStart(2, '0')}`, environmentId: env, receptionTimestamp: BigInt(T0 + (i % 3) * 60_000 - (i % 5 === 0 ? 1 : 0)) });
    }
    const ok = loaded(await load(await writeJsonl(join(dir, 'split.jsonl'), rows), 'jsonl'));
    const expected = new Map<string, string[]>();
    for (const r of rows) {
      const id = `${String(r.environmentId)}|${minuteOf(Number(r.receptionTimestamp))}`;
      expected.set(id, [...(expected.get(id) ?? []), String(r.key)].sort());
    }
    assert.equal(ok.partitions.length, expected.size);
    for (const p of ok.partitions) {
      const keys = (await readBack(db, [p.file])).map((r) => String(r.key));
      assert.deepEqual(keys, expected.get(`${p.environmentId}|${p.minuteMs}`), `${p.environmentId} ${p.minuteMs}`);
      assert.equal(p.rows, keys.length);
    }
  });

  it('a partition DuckDB wrote in several files (more partitions than it keeps open) is merged into one file', async () => {
    const many = await mkdtemp(join(dir, 'many-'));
    const file = join(many, 'many.parquet');
    await withConnection(db, (c) =>
      c.run(
        `COPY (SELECT 'k' || i AS "key", NULL::VARCHAR AS label, 'on' AS treatment, 'f' AS splitName, NULL::BIGINT AS splitVersion, NULL::VARCHAR AS properties,
                      'env' || ((i // 150) % 2) AS environmentId, 'user' AS trafficTypeId, 'nodejs' AS sdk, '1' AS sdkVersion, NULL::VARCHAR AS machineName,
                      NULL::VARCHAR AS machineIp, ${T0} + i AS "timestamp", ${T0} + (i % 150) * 60000 AS receptionTimestamp FROM range(3000) t(i))
         TO ${sqlString(file)} (FORMAT parquet)`,
      ),
    );
    // Small limits make DuckDB close and reopen partitions, as a big backfill does with its defaults.
    const small = await openLoaderDuckDb({ memoryLimit: '512MB', threads: 2, tempDirectory: join(many, 'duckdb') });
    try {
      const ok = await withConnection(small, async (c) => {
        await c.run('SET partitioned_write_max_open_files = 2');
        await c.run('SET partitioned_write_flush_threshold = 100');
        return loaded(await loadImpressionFile(c, file, { format: 'parquet', loadTimeMs: LOAD_TIME, outDir: join(many, 'out') }));
      });
      assert.equal(ok.partitions.length, 300);
      const merged = ok.partitions.find((p) => p.file.endsWith('merged.parquet'));
      assert.ok(merged, 'some partition was written in several files');
      const described = await withConnection(db, (c) => queryObjects(c, `DESCRIBE SELECT * FROM read_parquet(${sqlString(merged.file)}, hive_partitioning = false)`));
      assert.deepEqual(described.map((d) => d.column_name), INTAKE_COLUMNS.map((c) => c.name), 'a merged file has the intake\'s columns only');
      for (const p of ok.partitions) {
        const dirFiles = await readdir(join(p.file, '..'));
        assert.deepEqual(dirFiles, [p.file.split('/').pop()], 'one file per partition');
        assert.equal(p.rows, 10);
        const rows = await readBack(db, [p.file]);
        assert.equal(rows.length, 10);
        assert.ok(rows.every((r) => r.environmentId === p.environmentId && minuteOf(Number(r.receptionTimestamp)) === p.minuteMs));
      }
    } finally {
      small.closeSync();
    }
  });

  it('an unreadable file is refused: a malformed JSON line, a line that is not an object, a file that is not Parquet', async () => {
    const malformed = join(dir, 'malformed.jsonl');
    await writeFile(malformed, `${jsonText(EVERY_COLUMN[0])}\n{"key": "x"\n`);
    const [m] = await refused(await load(malformed, 'jsonl'));
    assert.match(m!, /^cannot read the file as JSON lines: .*Malformed JSON.*line \d/);
    const array = join(dir, 'array.jsonl');
    await writeFile(array, `${jsonText(EVERY_COLUMN[0])}\n[1, 2]\n`);
    assert.match((await refused(await load(array, 'jsonl')))[0]!, /^cannot read the file as JSON lines: .*line 2: Expected OBJECT/);
    assert.match((await refused(await load(array, 'parquet')))[0]!, /^cannot read the file as Parquet: /);
  });

  it('an empty JSON lines file loads nothing and is not refused', async () => {
    const empty = join(dir, 'empty.jsonl');
    await writeFile(empty, '');
    const ok = loaded(await load(empty, 'jsonl'));
    assert.deepEqual([ok.rows, ok.partitions], [0, []]);
  });

  it('the format comes from the name: .parquet, .jsonl, .ndjson (and gzip\'d JSON lines)', () => {
    assert.deepEqual(
      ['a.parquet', 'B.PARQUET', 'a.jsonl', 'a.ndjson', 'a.jsonl.gz', 'a.json', 'a.csv', 'a.parquet.gz'].map(formatOfFile),
      ['parquet', 'parquet', 'jsonl', 'jsonl', 'jsonl', undefined, undefined, undefined],
    );
  });
});
