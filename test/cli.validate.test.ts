import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, open, readFile, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeEntryId } from '../src/domain/entryId';
import { StatusEntry } from '../src/domain/statusEntry';
import { statusDocumentSchema } from '../src/domain/statusEntrySchema';
import { DuckDBInstance, openDuckDb, queryObjects, sqlString, withConnection } from '../src/parquet/duckdb';
import { compressWhole, eventsSql, expectedRowCodes, GOOD_ENVIRONMENTS, writeEventFile, writeParquet } from './support/eventFiles';
import { FIXTURES, PROJECT_ROOT, VENV_PYTHON } from './support/paths';
import { CliRun, runCli as runBuiltCli } from './support/cli';

/**
 * The offline validator as a user runs it (`node lib/src/cli/main.js validate ...`), on files written
 * by other writers: pyarrow 21 with its defaults (format 2.6, snappy; test/fixtures/pyarrow/make_files.py),
 * DuckDB (test/support/eventFiles.ts) and parquet-mr with Hadoop LZO (test/fixtures/lzo).
 */

const CREATED = 1_642_198_960_000;
const ENVS = GOOD_ENVIRONMENTS.join(',');
const TS_RULE = 'not epoch milliseconds in [946684800000, 4102444800000) (2000-01-01 to 2100-01-01 UTC)';
const ENV_RULE = `not among the integration's environments [${GOOD_ENVIRONMENTS.join(', ')}]`;
const USAGE = 'Usage: cli validate [options] <file>';
const PROGRAM_USAGE = 'Usage: cli [options] [command]';

type Run = CliRun;

interface Validation extends Run {
  fileName: string;
  entries: StatusEntry[];
}

let dir: string;
let workDir: string;

/** The CLI with this suite's scratch directory as WORK_DIR. */
function runCli(args: string[], env: Record<string, string> = {}): Promise<Run> {
  return runBuiltCli(args, { WORK_DIR: workDir, ...env });
}

/** Runs `validate` and checks the output is a status document with exactly one file. */
async function validate(
  file: string,
  opts: { environments?: string; key?: string; createdAt?: number | null; env?: Record<string, string> } = {},
): Promise<Validation> {
  const args = ['validate', file, '--environments', opts.environments ?? ENVS];
  if (opts.key !== undefined) args.push('--key', opts.key);
  if (opts.createdAt !== null) args.push('--created-at', String(opts.createdAt ?? CREATED));
  const run = await runCli(args, opts.env);
  assert.ok(run.code === 0 || run.code === 1, `exit ${run.code}; stderr: ${run.stderr}`);
  const doc = statusDocumentSchema.parse(JSON.parse(run.stdout));
  const keys = Object.keys(doc);
  assert.equal(keys.length, 1, `one file in the document, got ${JSON.stringify(keys)}`);
  const entries = doc[keys[0]!]!;
  assert.equal(run.code, entries.every((e) => e.valid) ? 0 : 1, 'exit 0 exactly when every entry is valid');
  // Every entry's details line up with its codes, and its codes are sorted.
  for (const e of entries) {
    assert.equal(e.errorsDetails.length, e.errors.length);
    assert.deepEqual(e.errors, [...e.errors].sort());
    assert.equal(e.valid, e.errors.length === 0);
  }
  return { ...run, fileName: keys[0]!, entries };
}

const pa = (name: string) => join(dir, 'pyarrow', name);
const rows = (entries: StatusEntry[]) => entries.reduce((n, e) => n + e.numberOfRows, 0);
/** [entryId, valid, numberOfRows, errors] per entry: compact and exact. */
const summary = (entries: StatusEntry[]) => entries.map((e) => [e.entryId, e.valid, e.numberOfRows, e.errors] as const);

function entry(entryId: number, numberOfRows: number, errors: string[], errorsDetails: string[], warnings: string[] = []): StatusEntry {
  return { originalCreationTime: CREATED, entryId, valid: errors.length === 0, numberOfRows, errors, errorsDetails, warnings };
}

async function footerRows(db: DuckDBInstance, path: string): Promise<number[]> {
  return withConnection(db, async (c) =>
    (
      await queryObjects(
        c,
        `SELECT row_group_id, any_value(row_group_num_rows)::BIGINT AS n FROM parquet_metadata(${sqlString(path)}) GROUP BY ALL ORDER BY row_group_id`,
      )
    ).map((r) => Number(r.n)),
  );
}

/** Overwrites `length` bytes of `path` at `offset` with 0xff. */
async function clobber(path: string, offset: number, length: number): Promise<void> {
  const fh = await open(path, 'r+');
  try {
    await fh.write(Buffer.alloc(length, 0xff), 0, length, offset);
  } finally {
    await fh.close();
  }
}

async function columnChunk(db: DuckDBInstance, path: string, rowGroup: number, column: string): Promise<{ dataPageOffset: number; size: number }> {
  const [r] = await withConnection(db, (c) =>
    queryObjects(
      c,
      `SELECT data_page_offset::BIGINT AS o, total_compressed_size::BIGINT AS s FROM parquet_metadata(${sqlString(path)})
        WHERE row_group_id = ${rowGroup} AND path_in_schema = ${sqlString(column)}`,
    ),
  );
  assert.ok(r, `column chunk ${column} of row group ${rowGroup}`);
  return { dataPageOffset: Number(r.o), size: Number(r.s) };
}

/** What each chunk of a DuckDB event file must report: code set → rows, first and last row. */
function expectedGroups(firstRow: number, count: number): Map<string, { rows: number; first: number; last: number }> {
  const m = new Map<string, { rows: number; first: number; last: number }>();
  for (let i = firstRow; i < firstRow + count; i++) {
    const k = expectedRowCodes(i).join(',');
    const g = m.get(k);
    if (g) {
      g.rows++;
      g.last = i;
    } else m.set(k, { rows: 1, first: i, last: i });
  }
  return m;
}

describe('cli validate (real CLI on files from other writers)', function () {
  let db: DuckDBInstance;
  const duck = (name: string) => join(dir, 'duckdb', name);
  const DUCK_ROWS = 10_000;
  const RG = 2048;

  before(async function () {
    this.timeout(180_000);
    dir = await mkdtemp(join(tmpdir(), 'fme-cli-validate-'));
    workDir = join(dir, 'work');
    await mkdir(join(dir, 'duckdb'), { recursive: true });
    execFileSync(VENV_PYTHON, [join(PROJECT_ROOT, 'test', 'fixtures', 'pyarrow', 'make_files.py'), join(dir, 'pyarrow')], { stdio: 'pipe' });

    db = await openDuckDb({ memoryLimit: '256MB', threads: 2, tempDirectory: dir });
    // Row groups of 2048 rows, uncompressed so bytes can be damaged inside a page on purpose.
    await writeEventFile(db, duck('events.parquet'), DUCK_ROWS, { codec: 'uncompressed', rowGroupSize: RG });
    assert.deepEqual(await footerRows(db, duck('events.parquet')), [RG, RG, RG, RG, DUCK_ROWS - 4 * RG], 'DuckDB honoured ROW_GROUP_SIZE');
    // The key column of row group 2 (rows 4096-6143): garbage in the middle of its PLAIN strings.
    await copyFile(duck('events.parquet'), duck('corrupt-key.parquet'));
    const key = await columnChunk(db, duck('corrupt-key.parquet'), 2, 'key');
    await clobber(duck('corrupt-key.parquet'), key.dataPageOffset + Math.floor(key.size / 2), 64);
    // The value column of row group 3, which no rule reads: a garbage page header.
    await copyFile(duck('events.parquet'), duck('corrupt-value.parquet'));
    const value = await columnChunk(db, duck('corrupt-value.parquet'), 3, 'value');
    await clobber(duck('corrupt-value.parquet'), value.dataPageOffset, 16);

    await writeEventFile(db, duck('events-snappy.parquet'), 3000);
    await writeParquet(
      db,
      duck('valid.parquet'),
      `SELECT * FROM (${eventsSql(5000)}) WHERE "key" IS NOT NULL AND environmentId <> 'env-unknown' AND "timestamp" >= 946684800000 AND "timestamp" < 4102444800000`,
    );
  });

  after(async () => {
    db?.closeSync();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  describe('valid files', () => {
    it('a fully valid pyarrow file: exit 0 and one valid entry with every row', async () => {
      const v = await validate(pa('valid.parquet'));
      assert.equal(v.code, 0);
      assert.equal(v.fileName, 'valid.parquet');
      assert.deepEqual(v.entries, [entry(0, 1000, [], [])]);
      assert.equal(v.stderr, '');
    });

    it('REQUIRED (non-nullable) columns are fine', async () => {
      const v = await validate(pa('valid-required.parquet'));
      assert.equal(v.code, 0);
      assert.deepEqual(v.entries, [entry(0, 300, [], [])]);
    });

    it('a fully valid DuckDB file', async () => {
      const n = [...Array(5000).keys()].filter((i) => expectedRowCodes(i).length === 0).length;
      const v = await validate(duck('valid.parquet'));
      assert.equal(v.code, 0);
      assert.deepEqual(v.entries, [entry(0, n, [], [])]);
    });

    it('a file without rows: one valid entry of 0 rows', async () => {
      const v = await validate(pa('zero-rows.parquet'));
      assert.equal(v.code, 0);
      assert.deepEqual(v.entries, [entry(0, 0, [], [])]);
    });

    it('timestamp as INT(64, signed) (logical type only) is a Long', async () => {
      const v = await validate(pa('timestamp-int64-signed.parquet'));
      assert.equal(v.code, 0);
      assert.deepEqual(v.entries, [entry(0, 30, [], [])]);
    });
  });

  describe('row codes', () => {
    it('every row code, alone and combined: exact groups, sorted codes, one detail per code', async () => {
      const f = 'rowcodes.parquet';
      const v = await validate(pa(f));
      assert.equal(v.code, 1);
      assert.deepEqual(v.entries, [
        entry(0, 10, [], []),
        entry(
          1,
          5,
          ['REQUIRED_FIELDS_NULL'],
          [
            `REQUIRED_FIELDS_NULL: 5 rows (rows 10-14 of ${f}) have null in required columns: ` +
              'environmentId (1 row), trafficTypeId (1 row), eventTypeId (1 row), key (1 row), timestamp (1 row)',
          ],
        ),
        entry(2, 2, ['INVALID_ENVIRONMENT_ID'], [`INVALID_ENVIRONMENT_ID: column environmentId, 2 rows (rows 15-16 of ${f}): ${ENV_RULE}; samples: "env-c", "env-zzz"`]),
        // seconds, micro-, nanoseconds, both sides of the bounds and -1; samples are the 3 smallest
        entry(4, 6, ['INVALID_TIMESTAMP'], [`INVALID_TIMESTAMP: column timestamp, 6 rows (rows 17-25 of ${f}): ${TS_RULE}; samples: -1, 1700000000, 946684799999`]),
        // null environmentId with a bad timestamp: REQUIRED_FIELDS_NULL, never INVALID_ENVIRONMENT_ID
        entry(
          5,
          1,
          ['INVALID_TIMESTAMP', 'REQUIRED_FIELDS_NULL'],
          [
            `INVALID_TIMESTAMP: column timestamp, 1 row (rows 24-24 of ${f}): ${TS_RULE}; samples: 7`,
            `REQUIRED_FIELDS_NULL: 1 row (rows 24-24 of ${f}) have null in required columns: environmentId (1 row)`,
          ],
        ),
        entry(
          6,
          1,
          ['INVALID_ENVIRONMENT_ID', 'INVALID_TIMESTAMP'],
          [
            `INVALID_ENVIRONMENT_ID: column environmentId, 1 row (rows 22-22 of ${f}): ${ENV_RULE}; samples: "env-x"`,
            `INVALID_TIMESTAMP: column timestamp, 1 row (rows 22-22 of ${f}): ${TS_RULE}; samples: 1600000000`,
          ],
        ),
        entry(
          7,
          1,
          ['INVALID_ENVIRONMENT_ID', 'INVALID_TIMESTAMP', 'REQUIRED_FIELDS_NULL'],
          [
            `INVALID_ENVIRONMENT_ID: column environmentId, 1 row (rows 23-23 of ${f}): ${ENV_RULE}; samples: "env-y"`,
            `INVALID_TIMESTAMP: column timestamp, 1 row (rows 23-23 of ${f}): ${TS_RULE}; samples: 5`,
            `REQUIRED_FIELDS_NULL: 1 row (rows 23-23 of ${f}) have null in required columns: key (1 row)`,
          ],
        ),
      ]);
      assert.equal(rows(v.entries), 26);
    });

    it('INVALID_TIMESTAMP bounds: 946684800000 and 4102444799999 valid, 946684799999 and 4102444800000 invalid', async () => {
      const v = await validate(pa('bounds.parquet'));
      assert.equal(v.code, 1);
      assert.deepEqual(v.entries, [
        entry(0, 2, [], []),
        entry(4, 2, ['INVALID_TIMESTAMP'], [`INVALID_TIMESTAMP: column timestamp, 2 rows (rows 1-3 of bounds.parquet): ${TS_RULE}; samples: 946684799999, 4102444800000`]),
      ]);
    });

    for (const f of ['timestamp-millis.parquet', 'timestamp-millis-utc.parquet']) {
      it(`timestamp written as timestamp('ms'${f.includes('utc') ? ", 'UTC'" : ''}) is accepted and checked by its epoch ms (${f})`, async () => {
        const v = await validate(pa(f));
        assert.equal(v.code, 1);
        assert.deepEqual(v.entries, [
          entry(0, 4, [], []),
          entry(4, 3, ['INVALID_TIMESTAMP'], [`INVALID_TIMESTAMP: column timestamp, 3 rows (rows 4-6 of ${f}): ${TS_RULE}; samples: 1000, 946684799999, 4102444800000`]),
        ]);
      });
    }

    it('a DuckDB file across several chunks: every chunk reports exactly the rows and codes written', async () => {
      const v = await validate(duck('events.parquet'), { env: { CHUNK_TARGET_ROWS: String(RG) } });
      assert.equal(v.code, 1);
      assert.equal(rows(v.entries), DUCK_ROWS);
      for (let chunk = 0; chunk < 5; chunk++) {
        const got = v.entries.filter((e) => decodeEntryId(e.entryId).chunkIndex === chunk);
        const want = expectedGroups(chunk * RG, chunk < 4 ? RG : DUCK_ROWS - 4 * RG);
        assert.deepEqual(
          new Map(got.map((e) => [e.errors.join(','), e.numberOfRows])),
          new Map([...want].map(([k, g]) => [k, g.rows])),
          `chunk ${chunk}`,
        );
        for (const e of got) {
          const g = want.get(e.errors.join(','))!;
          for (const d of e.errorsDetails) assert.ok(d.includes(`(rows ${g.first}-${g.last} of events.parquet)`), d);
        }
      }
    });

    it('pyarrow row groups as chunks: entryIds carry the chunk index', async () => {
      const v = await validate(pa('row-groups.parquet'), { env: { CHUNK_TARGET_ROWS: '1000' } });
      assert.equal(v.code, 1);
      assert.deepEqual(
        summary(v.entries),
        [0, 1, 2, 3, 4].flatMap((c) => [
          [c * 16, true, 998, []],
          [c * 16 + 2, false, 2, ['INVALID_ENVIRONMENT_ID']],
        ]),
      );
      assert.equal(v.entries[1]!.errorsDetails[0], `INVALID_ENVIRONMENT_ID: column environmentId, 2 rows (rows 3-503 of row-groups.parquet): ${ENV_RULE}; samples: "env-q"`);
    });
  });

  describe('INVALID_SCHEMA from the schema', () => {
    const LONG = 'Long expected (INT64 (plain, INT(64, signed) or TIMESTAMP(MILLIS)))';
    const cases: [string, string][] = [
      ['value-int64.parquet', 'column value: type INT64 found, Double expected (DOUBLE)'],
      ['value-float32.parquet', 'column value: type FLOAT found, Double expected (DOUBLE)'],
      ['timestamp-int32.parquet', `column timestamp: type INT32 found, ${LONG}`],
      [
        'timestamp-micros.parquet',
        `column timestamp: type INT64(TimestampType(isAdjustedToUTC=0, unit=TimeUnit(MILLIS=<null>, MICROS=MicroSeconds(), NANOS=<null>))) found, ${LONG}`,
      ],
      ['timestamp-uint64.parquet', `column timestamp: type INT64(IntType(bitWidth=64, isSigned=0)) found, ${LONG}`],
      ['key-binary.parquet', 'column key: type BYTE_ARRAY found, String expected (BYTE_ARRAY annotated UTF8/STRING)'],
      [
        'properties-map-int64.parquet',
        'column properties: type MAP<key_value: GROUP<key: BYTE_ARRAY(StringType()), value: INT64>> found, Map<String,String> expected (MAP of UTF8 keys to UTF8 values)',
      ],
      ['missing-eventTypeId.parquet', 'column eventTypeId: required column not found'],
      ['capital-Key.parquet', 'column key: required column not found (found "Key"; column names are case-sensitive)'],
    ];
    for (const [f, problem] of cases) {
      it(`${f}: one entry for the footer's rows, naming the column and the types`, async () => {
        const v = await validate(pa(f));
        assert.equal(v.code, 1);
        const warnings = f === 'capital-Key.parquet' ? ['UNKNOWN_COLUMNS_IGNORED'] : [];
        assert.deepEqual(v.entries, [entry(8, 40, ['INVALID_SCHEMA'], [`INVALID_SCHEMA: ${f}: ${problem}`], warnings)]);
      });
    }
  });

  describe('warnings', () => {
    it('value and properties missing: valid, with OPTIONAL_COLUMN_MISSING', async () => {
      const v = await validate(pa('missing-optional.parquet'));
      assert.equal(v.code, 0);
      assert.deepEqual(v.entries, [entry(0, 50, [], [], ['OPTIONAL_COLUMN_MISSING'])]);
    });

    it('value missing: OPTIONAL_COLUMN_MISSING on every entry, valid or not', async () => {
      const v = await validate(pa('missing-value.parquet'));
      assert.equal(v.code, 1);
      assert.deepEqual(v.entries, [
        entry(0, 45, [], [], ['OPTIONAL_COLUMN_MISSING']),
        entry(
          2,
          5,
          ['INVALID_ENVIRONMENT_ID'],
          [`INVALID_ENVIRONMENT_ID: column environmentId, 5 rows (rows 3-43 of missing-value.parquet): ${ENV_RULE}; samples: "env-q"`],
          ['OPTIONAL_COLUMN_MISSING'],
        ),
      ]);
    });

    it('an extra column: UNKNOWN_COLUMNS_IGNORED', async () => {
      const v = await validate(pa('extra-column.parquet'));
      assert.equal(v.code, 0);
      assert.deepEqual(v.entries, [entry(0, 60, [], [], ['UNKNOWN_COLUMNS_IGNORED'])]);
    });
  });

  describe('unreadable files and chunks', () => {
    async function unreadable(name: string, content: Buffer): Promise<StatusEntry> {
      const path = join(dir, name);
      await writeFile(path, content);
      const v = await validate(path);
      assert.equal(v.code, 1);
      assert.equal(v.entries.length, 1);
      const [e] = v.entries;
      assert.deepEqual({ ...e!, errorsDetails: [] }, entry(8, 0, ['INVALID_SCHEMA'], []));
      assert.equal(e!.errorsDetails.length, 1);
      assert.ok(!e!.errorsDetails[0]!.includes(dir), `the detail must not show the local path: ${e!.errorsDetails[0]}`);
      return e!;
    }

    it('not Parquet', async () => {
      const e = await unreadable('not-parquet.parquet', Buffer.from('environmentId,key\nenv-a,u1\n'));
      assert.match(e.errorsDetails[0]!, /^INVALID_SCHEMA: not-parquet\.parquet: not a readable Parquet file: /);
    });

    it('empty', async () => {
      const e = await unreadable('empty.parquet', Buffer.alloc(0));
      assert.deepEqual(e.errorsDetails, ['INVALID_SCHEMA: empty.parquet: not a Parquet file: the file is empty']);
    });

    it('truncated (no footer)', async () => {
      const whole = await readFile(pa('valid.parquet'));
      const e = await unreadable('truncated.parquet', whole.subarray(0, Math.floor(whole.length / 2)));
      assert.match(e.errorsDetails[0]!, /^INVALID_SCHEMA: truncated\.parquet: not a readable Parquet file: /);
    });

    it('a corrupt footer, and a footer length that does not fit', async () => {
      const whole = await readFile(pa('valid.parquet'));
      const footerLength = whole.readUInt32LE(whole.length - 8);
      const garbled = Buffer.from(whole);
      garbled.fill(0xff, whole.length - 8 - footerLength + 10, whole.length - 8 - footerLength + 60);
      const e = await unreadable('corrupt-footer.parquet', garbled);
      assert.match(e.errorsDetails[0]!, /^INVALID_SCHEMA: corrupt-footer\.parquet: not a readable Parquet file: /);
      const tooLong = Buffer.from(whole);
      tooLong.writeUInt32LE(99_999_999, whole.length - 8);
      const e2 = await unreadable('footer-length.parquet', tooLong);
      assert.match(e2.errorsDetails[0]!, /^INVALID_SCHEMA: footer-length\.parquet: not a readable Parquet file: .*footer-length\.parquet/);
    });

    it('a corrupt gzip stream', async () => {
      const gz = compressWhole(pa('valid.parquet'), 'gzip');
      const e = await unreadable('cut.parquet.gz', (await readFile(gz)).subarray(0, 300));
      assert.match(e.errorsDetails[0]!, /^INVALID_SCHEMA: cut\.parquet\.gz: gzip decompression failed: /);
    });

    it('gzip of something that is not Parquet', async () => {
      await writeFile(join(dir, 'text.csv'), 'a,b\n1,2\n');
      const e = await unreadable('text.csv.gz', await readFile(compressWhole(join(dir, 'text.csv'), 'gzip')));
      assert.match(e.errorsDetails[0]!, /^INVALID_SCHEMA: text\.csv\.gz: not a readable Parquet file: /);
    });

    for (const [file, column, chunk] of [
      ['corrupt-key.parquet', 'key (a rule column), mid-page', 2],
      ['corrupt-value.parquet', 'value (no rule reads it), page header', 3],
    ] as const) {
      it(`one corrupt row group among several (${column}): its chunk gets its own INVALID_SCHEMA entry, the others report normally`, async () => {
        const env = { CHUNK_TARGET_ROWS: String(RG) };
        const clean = await validate(duck('events.parquet'), { key: 'events/batch.parquet', env });
        const v = await validate(duck(file), { key: 'events/batch.parquet', env });
        assert.equal(v.code, 1);
        const first = chunk * RG;
        const bad = v.entries.filter((e) => decodeEntryId(e.entryId).chunkIndex === chunk);
        assert.equal(bad.length, 1);
        assert.deepEqual({ ...bad[0]!, errorsDetails: [] }, entry(chunk * 16 + 8, RG, ['INVALID_SCHEMA'], []));
        assert.match(bad[0]!.errorsDetails[0]!, new RegExp(`^INVALID_SCHEMA: events/batch\\.parquet rows ${first}-${first + RG - 1}: could not be decoded \\(chunk ${chunk}\\): `));
        assert.ok(!bad[0]!.errorsDetails[0]!.includes(dir), bad[0]!.errorsDetails[0]);
        // Every other chunk reports exactly as in the undamaged file.
        const others = (entries: StatusEntry[]) => entries.filter((e) => decodeEntryId(e.entryId).chunkIndex !== chunk);
        assert.deepEqual(others(v.entries), others(clean.entries));
        assert.ok(others(v.entries).length > 0);
        // Reported rows still add up to the footer's count.
        assert.equal(rows(v.entries), DUCK_ROWS);
      });
    }
  });

  describe('identity: fileName and originalCreationTime', () => {
    it('--key and --created-at set fileName and originalCreationTime (details name the key)', async () => {
      const key = 'events/2024/01/03/batch-7.parquet';
      const v = await validate(pa('bounds.parquet'), { key, createdAt: 1_700_000_000_123 });
      assert.equal(v.fileName, key);
      assert.ok(v.entries.every((e) => e.originalCreationTime === 1_700_000_000_123));
      assert.ok(v.entries[1]!.errorsDetails[0]!.includes(`(rows 1-3 of ${key})`));
    });

    it('by default: the basename and the file mtime in ms', async () => {
      const sub = join(dir, 'some', 'dir');
      await mkdir(sub, { recursive: true });
      const path = join(sub, 'my-file.parquet');
      await copyFile(pa('valid.parquet'), path);
      // In seconds, with a fraction a double holds exactly (a Date's .123 would become .122999 s).
      await utimes(path, 1_650_000_000, 1_650_000_000.125);
      const v = await validate(path, { createdAt: null });
      assert.equal(v.fileName, 'my-file.parquet');
      assert.deepEqual(v.entries, [{ ...entry(0, 1000, [], []), originalCreationTime: 1_650_000_000_125 }]);
    });
  });

  describe('usage errors: exit 2, the error and the usage on stderr, nothing on stdout', () => {
    const cases: [string, () => string[], RegExp, string][] = [
      ['no command', () => [], /^error: no command given\n/, PROGRAM_USAGE],
      ['unknown command', () => ['frobnicate', 'x.parquet'], /^error: unknown command 'frobnicate'\n/, PROGRAM_USAGE],
      ['no file', () => ['validate', '--environments', ENVS], /^error: missing required argument 'file'\n/, USAGE],
      ['two files', () => ['validate', pa('valid.parquet'), pa('bounds.parquet'), '--environments', ENVS], /^error: too many arguments for 'validate'/, USAGE],
      ['missing --environments', () => ['validate', pa('valid.parquet')], /^error: required option '--environments <ids>' not specified\n/, USAGE],
      ['--environments without a value', () => ['validate', pa('valid.parquet'), '--environments'], /^error: option '--environments <ids>' argument missing/, USAGE],
      ['--environments empty', () => ['validate', pa('valid.parquet'), '--environments', ''], /needs at least one environment id\n/, USAGE],
      ['--environments only commas', () => ['validate', pa('valid.parquet'), '--environments', ' , '], /needs at least one environment id\n/, USAGE],
      ['unknown flag', () => ['validate', pa('valid.parquet'), '--environments', ENVS, '--bogus'], /^error: unknown option '--bogus'/, USAGE],
      ['a file that does not exist', () => ['validate', join(dir, 'nope.parquet'), '--environments', ENVS], /^error: no such file: /, USAGE],
      ['a directory', () => ['validate', dir, '--environments', ENVS], /^error: not a file: /, USAGE],
      ['--created-at not a number', () => ['validate', pa('valid.parquet'), '--environments', ENVS, '--created-at', 'yesterday'], /must be epoch milliseconds\n/, USAGE],
      ['--created-at empty', () => ['validate', pa('valid.parquet'), '--environments', ENVS, '--created-at', ''], /must be epoch milliseconds\n/, USAGE],
      ['--created-at negative', () => ['validate', pa('valid.parquet'), '--environments', ENVS, '--created-at=-5'], /must be epoch milliseconds\n/, USAGE],
      ['--created-at fractional', () => ['validate', pa('valid.parquet'), '--environments', ENVS, '--created-at', '1.5'], /must be epoch milliseconds\n/, USAGE],
      ['--created-at in exponent notation', () => ['validate', pa('valid.parquet'), '--environments', ENVS, '--created-at', '1e12'], /must be epoch milliseconds\n/, USAGE],
      ['an invalid setting', () => ['validate', pa('valid.parquet'), '--environments', ENVS, '--key', 'k'], /^error: Invalid configuration; set these environment variables:\n {2}CHUNK_TARGET_ROWS: /, ''],
    ];
    for (const [title, args, message, usage] of cases) {
      it(title, async () => {
        const run = await runCli(args(), title === 'an invalid setting' ? { CHUNK_TARGET_ROWS: 'lots' } : {});
        assert.equal(run.code, 2, `stderr: ${run.stderr}`);
        assert.equal(run.stdout, '');
        assert.match(run.stderr, message);
        assert.ok(run.stderr.includes(usage), run.stderr);
      });
    }
  });

  describe('outer compression', () => {
    for (const kind of ['gzip', 'bzip2'] as const) {
      it(`whole-file ${kind} gives the same entries as the plain file (pyarrow and DuckDB files)`, async () => {
        for (const plain of [pa('rowcodes.parquet'), duck('events-snappy.parquet')]) {
          const expected = await validate(plain, { key: 'k.parquet' });
          const packed = compressWhole(plain, kind);
          const v = await validate(packed, { key: 'k.parquet' });
          assert.deepEqual(v.entries, expected.entries);
          assert.equal(v.code, expected.code);
          assert.ok(rows(v.entries) > 0);
          const plainName = await validate(packed);
          assert.equal(plainName.fileName, `${plain.split('/').pop()}${kind === 'gzip' ? '.gz' : '.bz2'}`);
        }
      });
    }
  });

  describe('Hadoop LZO (parquet-mr 1.18.1 with com.hadoop.compression.lzo.LzoCodec)', () => {
    for (const f of ['events-hadoop-lzo.parquet', 'events-hadoop-lzo-v2.parquet']) {
      it(`${f} validates with the expected counts`, async () => {
        const facts = JSON.parse(await readFile(join(FIXTURES, 'lzo', 'events-hadoop-lzo.expected.json'), 'utf8')) as {
          rowCount: number;
          invalidRows: { nullKey: number[]; unknownEnvironment: number[]; timestampInSeconds: { row: number; timestamp: number } };
        };
        const { nullKey, unknownEnvironment, timestampInSeconds } = facts.invalidRows;
        const bad = nullKey.length + unknownEnvironment.length + 1;
        const v = await validate(join(FIXTURES, 'lzo', f), { environments: 'env-a' });
        assert.equal(v.code, 1);
        const envs = `not among the integration's environments [env-a]`;
        assert.deepEqual(v.entries, [
          entry(0, facts.rowCount - bad, [], []),
          entry(1, nullKey.length, ['REQUIRED_FIELDS_NULL'], [`REQUIRED_FIELDS_NULL: 1 row (rows ${nullKey[0]}-${nullKey[0]} of ${f}) have null in required columns: key (1 row)`]),
          entry(
            2,
            unknownEnvironment.length,
            ['INVALID_ENVIRONMENT_ID'],
            [
              `INVALID_ENVIRONMENT_ID: column environmentId, ${unknownEnvironment.length} rows (rows ${unknownEnvironment[0]}-${unknownEnvironment.at(-1)} of ${f}): ${envs}; samples: "env-unknown"`,
            ],
          ),
          entry(
            4,
            1,
            ['INVALID_TIMESTAMP'],
            [`INVALID_TIMESTAMP: column timestamp, 1 row (rows ${timestampInSeconds.row}-${timestampInSeconds.row} of ${f}): ${TS_RULE}; samples: ${timestampInSeconds.timestamp}`],
          ),
        ]);
        assert.equal(rows(v.entries), facts.rowCount);
      });
    }
  });
});
