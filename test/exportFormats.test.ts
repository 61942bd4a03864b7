import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { COMPRESSIONS_BY_FORMAT, defaultCompressionOf, type ExportCodec, EXPORT_FORMATS, type ExportFormat, partFileName } from '../src/domain/export/formats';
import { IMPRESSION_COLUMNS } from '../src/domain/impressions/impressionSchema';
import type { WireBulkBody } from '../src/dev/sdkImpressions';
import { type DuckDBInstance, openDuckDb, queryObjects, sqlString, withConnection } from '../src/parquet/duckdb';
import { writeExportParts } from '../src/parquet/exportWindow';
import { parquetUsesLzo } from '../src/parquet/lzo/transcode';
import { batchContext, contractRow, inExportOrder, intakeFile, parquetCodecs, readParts, readTextParts, readWithParquetjs, seedRow } from './support/exportFiles';
import { readWithParquetMr } from './support/parquetMr';
import { withFailingBzip2OnPath, withStuckBzip2OnPath } from './support/withoutBzip2';
import { PROJECT_ROOT } from './support/paths';

const run = promisify(execFile);

/**
 * The format × reader matrix (README, "Export formats"): every combination an outbound
 * integration can choose, and the readers its parts are checked with. DuckDB reads every Parquet
 * part but LZO (it has no LZO codec), and JSON lines and CSV (gzip natively); parquetjs-lite reads
 * Parquet in snappy, gzip and none; parquet-mr with Hadoop's LZO codec, the reader of Spark and
 * Hive, reads LZO; the system bzip2 tool unpacks every `.bz2` before the inner file is read.
 */
type Reader = 'DuckDB' | 'parquetjs-lite' | 'parquet-mr' | 'bzip2 tool';
export const READERS: Record<ExportFormat, Partial<Record<ExportCodec, Reader[]>>> = {
  parquet: {
    snappy: ['DuckDB', 'parquetjs-lite'],
    gzip: ['DuckDB', 'parquetjs-lite'],
    zstd: ['DuckDB'],
    lzo: ['parquet-mr'],
    bzip2: ['bzip2 tool', 'DuckDB', 'parquetjs-lite'],
    none: ['DuckDB', 'parquetjs-lite'],
  },
  jsonl: { gzip: ['DuckDB'], bzip2: ['bzip2 tool', 'DuckDB'], none: ['DuckDB'] },
  csv: { gzip: ['DuckDB'], bzip2: ['bzip2 tool', 'DuckDB'], none: ['DuckDB'] },
};

const MIN = 60_000;
const START = Date.UTC(2026, 0, 2, 10, 0);
const WINDOW = { start: START, end: START + 30 * MIN };

/**
 * Impressions whose strings need every rule of the formats: CSV quoting (comma, quote, line
 * break), an empty string beside a null, non-ASCII text, JSON text inside a string column, and
 * absent optionals.
 */
const TRICKY: WireBulkBody = [
  {
    f: 'flag,"quoted"',
    i: [
      { k: 'user,1', t: 'on', m: START + 1, c: 7, r: 'label with "quotes", commas\nand a line break', b: 'bucket "b"', pt: START - 5, properties: '{"plan":"pro","note":"a,b"}' },
      { k: 'ünïcødé 🚀', t: 'off', m: START + 2, c: 7, r: '' },
      { k: 'user-3', t: 'control', m: START + 3 },
    ],
  },
  { f: 'plain_flag', i: Array.from({ length: 40 }, (_, n) => ({ k: `user-${n}`, t: n % 2 ? 'on' : 'off', m: START + 10 + n, c: 3, r: 'default rule' })) },
];

describe('export formats: every format and compression read back by the readers of the matrix', function () {
  this.timeout(300_000);
  let db: DuckDBInstance;
  let dir: string;
  let expected: Record<string, unknown>[];
  let files: string[];
  let out = 0;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'export-formats-'));
    db = await openDuckDb({ memoryLimit: '512MB', threads: 2, tempDirectory: dir });
    files = [await intakeFile(db, join(dir, 'in'), TRICKY, batchContext('env-a', START + 1_000))];
    expected = inExportOrder((await readParts(db, files)).map(contractRow));
    assert.equal(expected.length, 43);
  });
  after(async () => {
    db?.closeSync();
    await rm(dir, { recursive: true, force: true });
  });

  /** Two parts per window (partRows 25), so every combination is checked across a part boundary. */
  const exportAs = (format: ExportFormat, compression: ExportCodec) =>
    writeExportParts(db, { files, window: WINDOW, lookbackStart: START - 60 * MIN, environments: ['env-a'], format, compression, outDir: join(dir, `out-${out++}`), partRows: 25 });

  async function bunzip2(file: string): Promise<string> {
    assert.equal((await readFile(file)).subarray(0, 3).toString('latin1'), 'BZh', `${file} starts with bzip2's magic`);
    const inner = file.replace(/\.bz2$/, '');
    await run('bash', ['-c', 'bzip2 -dc "$1" > "$2"', 'bunzip2', file, inner]);
    return inner;
  }

  /** A part's rows as DuckDB reads its format, in file order; Longs as bigint, nulls as null. */
  async function duckdbRead(format: ExportFormat, file: string): Promise<Record<string, unknown>[]> {
    return format === 'parquet' ? readParts(db, [file]) : readTextParts(db, format, [file]);
  }

  for (const format of EXPORT_FORMATS) {
    for (const compression of COMPRESSIONS_BY_FORMAT[format]) {
      const readers = READERS[format][compression]!;
      it(`${format} with ${compression}: two parts holding every row in order, read back by ${readers.join(', ')}`, async () => {
        const res = await exportAs(format, compression);
        assert.deepEqual(
          res.parts.map((p) => p.rows),
          [25, 18],
        );
        const rows: Record<string, unknown>[] = [];
        for (const part of res.parts) {
          let file = part.file;
          if (readers.includes('bzip2 tool')) file = await bunzip2(file);
          if (readers.includes('DuckDB')) {
            const read = await duckdbRead(format, file);
            assert.equal(read.length, part.rows);
            rows.push(...read.map(contractRow));
          }
          if (readers.includes('parquetjs-lite')) {
            const read = await readWithParquetjs(file);
            assert.deepEqual(read, readers.includes('DuckDB') ? await readParts(db, [file]).then((r) => r.map(contractRow)) : read);
            if (!readers.includes('DuckDB')) rows.push(...read);
          }
          if (readers.includes('parquet-mr')) {
            assert.equal(await parquetUsesLzo(file), true);
            const read = await readWithParquetMr(file);
            assert.ok(read.codecs.length > 0 && read.codecs.every((c) => c === 'LZO'), `every column chunk is LZO: ${read.codecs.join(',')}`);
            rows.push(...read.rows.map(seedRow));
          }
          if (format === 'parquet' && compression !== 'lzo' && compression !== 'bzip2') {
            assert.deepEqual(await parquetCodecs(db, file), [{ snappy: 'SNAPPY', gzip: 'GZIP', zstd: 'ZSTD', none: 'UNCOMPRESSED' }[compression as 'snappy']]);
          }
          if (format === 'parquet' && compression === 'bzip2') assert.deepEqual(await parquetCodecs(db, file), ['UNCOMPRESSED']);
        }
        assert.deepEqual(rows, expected);
      });
    }
  }

  it("the README's format table lists every combination, its part file name, its default and its readers", async () => {
    const readme = await readFile(join(PROJECT_ROOT, 'README.md'), 'utf8');
    const rows = [...readme.matchAll(/^\| `(\w+)` \| `(\w+)`( \(default\))? \| `([^`]+)` \| [^|]+ \| ([^|]+) \|$/gm)].map((m) => ({
      format: m[1],
      compression: m[2],
      isDefault: m[3] !== undefined,
      file: m[4],
      readers: m[5]!,
    }));
    const combos = EXPORT_FORMATS.flatMap((format) => COMPRESSIONS_BY_FORMAT[format].map((compression) => ({ format, compression })));
    assert.deepEqual(
      rows.map(({ format, compression, isDefault, file }) => ({ format, compression, isDefault, file })),
      combos.map(({ format, compression }) => ({ format, compression, isDefault: defaultCompressionOf(format) === compression, file: partFileName(format, compression, 0) })),
    );
    for (const r of rows) {
      for (const reader of READERS[r.format as ExportFormat][r.compression as ExportCodec]!) {
        const name = { DuckDB: 'DuckDB', 'parquetjs-lite': 'parquetjs-lite', 'parquet-mr': 'parquet-mr', 'bzip2 tool': 'the `bzip2` tool' }[reader];
        assert.ok(r.readers.includes(name), `${r.format}/${r.compression}: the README names ${name} (${r.readers})`);
      }
    }
  });

  it('CSV: a header of the seed columns, RFC 4180 quoting, a null as an empty unquoted field and an empty string as ""', async () => {
    const res = await exportAs('csv', 'none');
    const text = await readFile(res.parts[0]!.file, 'utf8');
    const lines = text.split('\n');
    assert.equal(lines[0], IMPRESSION_COLUMNS.map((c) => c.name).join(','));
    assert.ok(text.includes('"flag,""quoted"""'), 'a comma and quotes are quoted, quotes doubled');
    assert.ok(text.includes('"label with ""quotes"", commas\nand a line break"'), 'a line break stays inside its quoted field');
    // key, label and treatment lead the seed's order: the absent label is an empty unquoted field, the empty one "".
    assert.ok(lines.some((l) => l.startsWith('user-3,,control,"flag,""quoted""",,,env-a,')), 'a null is an empty unquoted field');
    assert.ok(lines.some((l) => l.startsWith('ünïcødé 🚀,"",off,')), 'an empty string is ""');
  });

  it('JSON lines: one object per line with the seed columns in order, nulls as null, Longs as numbers', async () => {
    const res = await exportAs('jsonl', 'none');
    const lines = (await readFile(res.parts[0]!.file, 'utf8')).trimEnd().split('\n');
    assert.equal(lines.length, 25);
    const first = JSON.parse(lines.find((l) => l.includes('user-3'))!) as Record<string, unknown>;
    assert.deepEqual(Object.keys(first), IMPRESSION_COLUMNS.map((c) => c.name));
    assert.equal(first.label, null);
    assert.equal(typeof first.timestamp, 'number');
  });

  it('a bzip2 that fails fails the export with its message, and leaves neither a raw file nor a part behind', async () => {
    const outDir = join(dir, 'failing-out');
    await withFailingBzip2OnPath(dir, ['bzip2: No space left on device'], () =>
      assert.rejects(
        writeExportParts(db, { files, window: WINDOW, lookbackStart: START, environments: ['env-a'], format: 'csv', compression: 'bzip2', outDir, partRows: 10, finishConcurrency: 2 }),
        /bzip2 could not compress .*No space left on device/,
      ),
    );
    assert.deepEqual(await readdir(outDir), []);
  });

  const workTables = () => withConnection(db, (c) => queryObjects(c, `SELECT table_name FROM duckdb_tables() WHERE table_name LIKE 'export_%'`));

  async function waitFor(done: () => boolean | Promise<boolean>): Promise<void> {
    while (!(await done())) await new Promise((r) => setTimeout(r, 10));
  }

  it('an export cancelled before it starts rejects with the reason and writes nothing', async () => {
    const outDir = join(dir, 'aborted-out');
    const stop = new AbortController();
    stop.abort(new Error('cancelled by the test'));
    for (const [format, compression] of [['csv', 'gzip'], ['parquet', 'lzo']] as const) {
      await assert.rejects(
        writeExportParts(db, { files, window: WINDOW, lookbackStart: START, environments: ['env-a'], format, compression, outDir, partRows: 10, signal: stop.signal }),
        /cancelled by the test/,
      );
      assert.ok(!existsSync(outDir), `${format} ${compression}: no output folder`);
    }
  });

  it('an export cancelled while its parts are compressed kills the compressor, rejects with the reason, and leaves no files', async () => {
    const outDir = join(dir, 'cancelled-out');
    const stop = new AbortController();
    await withStuckBzip2OnPath(dir, async (started) => {
      const exporting = writeExportParts(db, { files, window: WINDOW, lookbackStart: START, environments: ['env-a'], format: 'csv', compression: 'bzip2', outDir, partRows: 10, signal: stop.signal });
      // The export cannot finish while bzip2 is stuck: if it settles first, the system bzip2 was not used.
      const settled = exporting.then(
        () => assert.fail('the export finished before bzip2 started'),
        (e: unknown) => assert.fail(`the export failed before bzip2 started: ${String(e)}`),
      );
      await Promise.race([settled, waitFor(async () => (await readdir(started)).length > 0)]);
      stop.abort(new Error('cancelled by the test'));
      await assert.rejects(exporting, /cancelled by the test/);
      for (const pid of (await readdir(started)).map(Number)) assert.throws(() => process.kill(pid, 0), { code: 'ESRCH' }, `the stuck bzip2 ${pid} was killed`);
    });
    assert.deepEqual(await readdir(outDir), []);
  });

  for (const writeConcurrency of [1, 2]) {
    it(`a part DuckDB cannot write fails the export with its error, removes the parts written before it, and leaves no work table (${writeConcurrency} writing connection${writeConcurrency > 1 ? 's' : ''})`, async () => {
      const outDir = join(dir, `unwritable-out-${writeConcurrency}`);
      // A directory where the third part goes: DuckDB's COPY to it fails. With one connection,
      // parts 0 and 1 are complete by then; with two, the other connection's query is interrupted.
      const blocked = partFileName('csv', 'none', 2);
      await mkdir(join(outDir, blocked), { recursive: true });
      await assert.rejects(
        writeExportParts(db, { files, window: WINDOW, lookbackStart: START, environments: ['env-a'], format: 'csv', compression: 'none', outDir, partRows: 10, writeConcurrency }),
        (e: Error) => e.message.includes(blocked),
      );
      assert.deepEqual(await readdir(outDir), [blocked]);
      assert.deepEqual(await workTables(), []);
    });
  }

  it('an export cancelled while DuckDB orders or writes a large window rejects with the reason, and leaves no part and no work table', async () => {
    // 860,000 distinct rows from the tricky batch, so ordering and each part's COPY take a while.
    const big = join(dir, 'big.parquet');
    await withConnection(db, (c) =>
      c.run(`COPY (SELECT * REPLACE (gen_random_uuid() AS contentHash, key || '-' || r.i AS key) FROM read_parquet(${sqlString(files[0]!)}), range(20000) r(i)) TO ${sqlString(big)} (FORMAT parquet)`),
    );
    const exportBig = (outDir: string, signal: AbortSignal) =>
      writeExportParts(db, { files: [big], window: WINDOW, lookbackStart: START, environments: ['env-a'], format: 'jsonl', compression: 'none', outDir, partRows: 100_000, signal });
    // Cancelled at once (while it connects or orders), then once its output folder exists (while it writes).
    for (const [name, cancelWhen] of [
      ['ordering', async () => undefined],
      ['writing', (outDir: string) => waitFor(() => existsSync(outDir))],
    ] as const) {
      const outDir = join(dir, `big-out-${name}`);
      const stop = new AbortController();
      const exporting = exportBig(outDir, stop.signal);
      await cancelWhen(outDir);
      stop.abort(new Error(`cancelled by the test while ${name}`));
      await assert.rejects(exporting, new RegExp(`cancelled by the test while ${name}`));
      assert.deepEqual(existsSync(outDir) ? await readdir(outDir) : [], [], name);
      assert.deepEqual(await workTables(), [], name);
    }
  });

  it('drops its work tables after a successful export too', async () => {
    await exportAs('jsonl', 'gzip');
    assert.deepEqual(await workTables(), []);
  });

  it('bzip2 Parquet is the whole file compressed: the unpacked file is Parquet with uncompressed pages', async () => {
    const res = await exportAs('parquet', 'bzip2');
    const inner = await bunzip2(res.parts[0]!.file);
    const bytes = await readFile(inner);
    assert.equal(bytes.subarray(0, 4).toString('latin1'), 'PAR1');
    await run('bzip2', ['-t', res.parts[1]!.file]);
  });
});
