import assert from 'node:assert/strict';
import { copyFile, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DuckDBInstance, type DuckDBConnection, type Json } from '@duckdb/node-api';
import { parquetUsesLzo, transcodeLzoToUncompressed } from '../src/parquet/lzo/transcode';

// Compiled to lib/test/, run from the repo root or anywhere: resolve fixtures from the sources.
const FIXTURE_DIR = resolve(__dirname, '..', '..', 'test', 'fixtures', 'lzo');

interface FixtureFacts {
  lzoFraming: 'hadoop' | 'raw-lzo1x';
  pageChecksums: boolean;
  dataPageVersion: number;
  rowGroups: number;
  columnChunks: number;
  lzoColumnChunks: number;
}

interface ExpectedFacts {
  files: Record<string, FixtureFacts>;
  rowCount: number;
  nullCounts: Record<string, number>;
  timestampSum: string;
  valueSum: number;
  invalidRows: {
    nullKey: number[];
    unknownEnvironment: number[];
    timestampInSeconds: { row: number; timestamp: number };
  };
}

type Row = Record<string, Json>;

/** parquet_metadata() columns that legitimately change when chunks are rewritten or moved. */
const LAYOUT_COLUMNS = [
  'file_name',
  'file_offset',
  'compression',
  'index_page_offset',
  'dictionary_page_offset',
  'data_page_offset',
  'total_compressed_size',
  'total_uncompressed_size',
  'bloom_filter_offset',
  'bloom_filter_length',
  'row_group_bytes',
  'row_group_compressed_bytes',
];

async function loadExpectedFacts(): Promise<ExpectedFacts> {
  return JSON.parse(await readFile(join(FIXTURE_DIR, 'events-hadoop-lzo.expected.json'), 'utf8')) as ExpectedFacts;
}

function sqlString(value: string): string {
  return `'${value.replaceAll("'", "''")}'`;
}

function withoutColumns(rows: Row[], columns: string[]): Row[] {
  return rows.map((row) => Object.fromEntries(Object.entries(row).filter(([name]) => !columns.includes(name))));
}

async function fileExists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

describe('LZO Parquet transcoding', function () {
  let expected: ExpectedFacts;
  let workDir: string;
  let duckdb: DuckDBInstance;
  let connection: DuckDBConnection;

  async function query(sql: string): Promise<Row[]> {
    const result = await connection.runAndReadAll(sql);
    return result.getRowObjectsJson();
  }

  before(async function () {
    expected = await loadExpectedFacts();
    workDir = await mkdtemp(join(tmpdir(), 'lzo-transcode-test-'));
    duckdb = await DuckDBInstance.create(':memory:');
    connection = await duckdb.connect();
  });

  after(async function () {
    connection.closeSync();
    duckdb.closeSync();
    await rm(workDir, { recursive: true, force: true });
  });

  it('has the generated fixtures', async function () {
    assert.deepEqual(Object.keys(expected.files).sort(), [
      'events-hadoop-lzo-v2.parquet',
      'events-hadoop-lzo.parquet',
      'events-raw-lzo1x.parquet',
    ]);
    const mainFixture = await stat(join(FIXTURE_DIR, 'events-hadoop-lzo.parquet'));
    assert.ok(mainFixture.size < 200 * 1024, `fixture is ${mainFixture.size} bytes`);
  });

  for (const fileName of ['events-hadoop-lzo.parquet', 'events-hadoop-lzo-v2.parquet', 'events-raw-lzo1x.parquet']) {
    describe(fileName, function () {
      let facts: FixtureFacts;
      let inputPath: string;
      let outputPath: string;
      let columnChunksRewritten: number;

      before(async function () {
        const fixtureFacts = expected.files[fileName];
        assert.ok(fixtureFacts, `${fileName} missing from expected.json`);
        facts = fixtureFacts;
        inputPath = join(FIXTURE_DIR, fileName);
        outputPath = join(workDir, `uncompressed-${fileName}`);
        ({ columnChunksRewritten } = await transcodeLzoToUncompressed(inputPath, outputPath));
      });

      it('is detected as LZO, and DuckDB cannot read it as is', async function () {
        assert.equal(await parquetUsesLzo(inputPath), true);
        await assert.rejects(query(`SELECT count(key) FROM read_parquet(${sqlString(inputPath)})`), /LZO/);
      });

      it('rewrites every LZO column chunk and leaves no LZO behind', async function () {
        assert.equal(columnChunksRewritten, facts.lzoColumnChunks);
        assert.equal(await parquetUsesLzo(outputPath), false);
        const codecs = await query(
          `SELECT DISTINCT compression FROM parquet_metadata(${sqlString(outputPath)}) ORDER BY compression`,
        );
        const expectedCodecs = facts.lzoColumnChunks === facts.columnChunks ? ['UNCOMPRESSED'] : ['SNAPPY', 'UNCOMPRESSED'];
        assert.deepEqual(
          codecs.map((row) => row.compression),
          expectedCodecs,
        );
      });

      it('keeps row count, row groups and file metadata', async function () {
        const [original, transcoded] = await Promise.all(
          [inputPath, outputPath].map((path) =>
            query(
              `SELECT created_by, num_rows, num_row_groups, format_version, column_orders
               FROM parquet_file_metadata(${sqlString(path)})`,
            ),
          ),
        );
        assert.deepEqual(transcoded, original);
        assert.equal(transcoded?.[0]?.num_rows, String(expected.rowCount));
        assert.equal(transcoded?.[0]?.num_row_groups, String(facts.rowGroups));
        const kvSql = (path: string): string =>
          `SELECT key, value FROM parquet_kv_metadata(${sqlString(path)}) ORDER BY key`;
        assert.deepEqual(await query(kvSql(outputPath)), await query(kvSql(inputPath)));
      });

      it('keeps the schema: UTF8 strings, INT64, DOUBLE, MAP', async function () {
        const schemaSql = (path: string): string =>
          `SELECT name, type, repetition_type, converted_type, logical_type, duckdb_type
           FROM parquet_schema(${sqlString(path)}) ORDER BY column_id`;
        const schema = await query(schemaSql(outputPath));
        assert.deepEqual(schema, await query(schemaSql(inputPath)));
        const byName = (name: string): Row | undefined => schema.find((column) => column.name === name);
        for (const name of ['environmentId', 'trafficTypeId', 'eventTypeId', 'key']) {
          assert.equal(byName(name)?.type, 'BYTE_ARRAY');
          assert.equal(byName(name)?.converted_type, 'UTF8');
        }
        assert.equal(byName('timestamp')?.type, 'INT64');
        assert.equal(byName('value')?.type, 'DOUBLE');
        assert.equal(byName('properties')?.converted_type, 'MAP');

        const columns = await query(`DESCRIBE SELECT * FROM read_parquet(${sqlString(outputPath)})`);
        assert.deepEqual(
          columns.map((column) => [column.column_name, column.column_type]),
          [
            ['environmentId', 'VARCHAR'],
            ['trafficTypeId', 'VARCHAR'],
            ['eventTypeId', 'VARCHAR'],
            ['key', 'VARCHAR'],
            ['timestamp', 'BIGINT'],
            ['value', 'DOUBLE'],
            ['properties', 'MAP(VARCHAR, VARCHAR)'],
          ],
        );
      });

      it('keeps column chunk statistics, encodings and value counts', async function () {
        const metadataSql = (path: string): string =>
          `SELECT * FROM parquet_metadata(${sqlString(path)}) ORDER BY row_group_id, column_id`;
        const original = withoutColumns(await query(metadataSql(inputPath)), LAYOUT_COLUMNS);
        const transcoded = withoutColumns(await query(metadataSql(outputPath)), LAYOUT_COLUMNS);
        assert.equal(transcoded.length, facts.columnChunks);
        assert.deepEqual(transcoded, original);
      });

      it('reads back the expected null counts and sums', async function () {
        const [totals] = await query(
          `SELECT count(*) AS rows,
                  count(*) - count(environmentId) AS environmentId,
                  count(*) - count(trafficTypeId) AS trafficTypeId,
                  count(*) - count(eventTypeId) AS eventTypeId,
                  count(*) - count(key) AS key,
                  count(*) - count(timestamp) AS timestamp,
                  count(*) - count(value) AS value,
                  count(*) - count(properties) AS properties,
                  sum(timestamp) AS timestampSum,
                  sum(value) AS valueSum
           FROM read_parquet(${sqlString(outputPath)})`,
        );
        assert.ok(totals);
        assert.equal(totals.rows, String(expected.rowCount));
        for (const [column, nulls] of Object.entries(expected.nullCounts)) {
          assert.equal(totals[column], String(nulls), `null count of ${column}`);
        }
        assert.equal(totals.timestampSum, expected.timestampSum);
        assert.equal(totals.valueSum, expected.valueSum);
      });

      it('has the invalid rows at the expected file_row_numbers', async function () {
        const rows = await query(
          `SELECT file_row_number, environmentId, key, timestamp
           FROM read_parquet(${sqlString(outputPath)}, file_row_number = true)
           WHERE key IS NULL OR environmentId <> 'env-a' OR timestamp < 1000000000000
           ORDER BY file_row_number`,
        );
        const { nullKey, unknownEnvironment, timestampInSeconds } = expected.invalidRows;
        const rowsWhere = (predicate: (row: Row) => boolean): number[] =>
          rows.filter(predicate).map((row) => Number(row.file_row_number));
        assert.deepEqual(
          rowsWhere((row) => row.key === null),
          nullKey,
        );
        assert.deepEqual(
          rowsWhere((row) => row.environmentId === 'env-unknown'),
          unknownEnvironment,
        );
        assert.deepEqual(
          rows.filter((row) => row.timestamp === String(timestampInSeconds.timestamp)).map((row) => Number(row.file_row_number)),
          [timestampInSeconds.row],
        );
        assert.equal(rows.length, nullKey.length + unknownEnvironment.length + 1);
      });

      it('keeps every row in place (properties.i is the row number)', async function () {
        const [mismatches] = await query(
          `SELECT count(*) AS n FROM read_parquet(${sqlString(outputPath)}, file_row_number = true)
           WHERE properties['i'] IS DISTINCT FROM CAST(file_row_number AS VARCHAR)
              OR (timestamp <> 1700000000000 + file_row_number AND file_row_number <> 20)`,
        );
        assert.equal(mismatches?.n, '0');
      });
    });
  }

  describe('files without LZO', function () {
    let duckdbFile: string;

    before(async function () {
      duckdbFile = join(workDir, 'duckdb-written.parquet');
      await connection.run(
        `COPY (SELECT 'env-a' AS environmentId, i AS timestamp, i * 1.5 AS value FROM range(1000) t(i))
         TO ${sqlString(duckdbFile)} (FORMAT parquet, COMPRESSION zstd, ROW_GROUP_SIZE 300)`,
      );
    });

    it('reports parquetUsesLzo === false for a DuckDB-written file', async function () {
      assert.equal(await parquetUsesLzo(duckdbFile), false);
    });

    it('copies a file without LZO chunks unchanged in content', async function () {
      const outputPath = join(workDir, 'duckdb-written-copy.parquet');
      assert.deepEqual(await transcodeLzoToUncompressed(duckdbFile, outputPath), { columnChunksRewritten: 0 });
      const sumsSql = (path: string): string =>
        `SELECT count(*) AS n, sum(timestamp) AS t, sum(value) AS v FROM read_parquet(${sqlString(path)})`;
      assert.deepEqual(await query(sumsSql(outputPath)), await query(sumsSql(duckdbFile)));
    });
  });

  describe('invalid input', function () {
    const notParquet = /Not a valid Parquet file/;

    it('rejects garbage', async function () {
      const garbage = join(workDir, 'garbage.parquet');
      await writeFile(garbage, Buffer.from('this is not a parquet file, just some text\n'.repeat(20)));
      await assert.rejects(parquetUsesLzo(garbage), notParquet);
      await assert.rejects(transcodeLzoToUncompressed(garbage, join(workDir, 'garbage-out.parquet')), notParquet);
    });

    it('rejects an empty file', async function () {
      const empty = join(workDir, 'empty.parquet');
      await writeFile(empty, Buffer.alloc(0));
      await assert.rejects(parquetUsesLzo(empty), notParquet);
    });

    it('rejects a truncated file', async function () {
      const fixture = await readFile(join(FIXTURE_DIR, 'events-hadoop-lzo.parquet'));
      const truncated = join(workDir, 'truncated.parquet');
      await writeFile(truncated, fixture.subarray(0, Math.floor(fixture.length / 2)));
      await assert.rejects(parquetUsesLzo(truncated), notParquet);
    });

    it('rejects a footer that is not Thrift FileMetaData', async function () {
      const fixture = await readFile(join(FIXTURE_DIR, 'events-hadoop-lzo.parquet'));
      const footerLength = fixture.readUInt32LE(fixture.length - 8);
      const footerStart = fixture.length - 8 - footerLength;
      const scrambled = Buffer.from(fixture);
      scrambled.fill(0xff, footerStart, footerStart + 64);
      const path = join(workDir, 'bad-footer.parquet');
      await writeFile(path, scrambled);
      await assert.rejects(parquetUsesLzo(path), /Not a valid Parquet file: .*footer/);
    });

    it('refuses to overwrite its input', async function () {
      const copy = join(workDir, 'same.parquet');
      await copyFile(join(FIXTURE_DIR, 'events-hadoop-lzo.parquet'), copy);
      await assert.rejects(transcodeLzoToUncompressed(copy, copy), /same file/);
    });

    /**
     * Copies a fixture with the last bytes of one column chunk (the end of its last page)
     * overwritten. pathInSchema as parquet_metadata() spells it, e.g. 'properties, key_value, value'.
     */
    async function corruptLastPageOf(fileName: string, pathInSchema: string): Promise<string> {
      const fixturePath = join(FIXTURE_DIR, fileName);
      const [chunk] = await query(
        `SELECT coalesce(dictionary_page_offset, data_page_offset) AS start, total_compressed_size AS size
         FROM parquet_metadata(${sqlString(fixturePath)})
         WHERE row_group_id = 1 AND path_in_schema = ${sqlString(pathInSchema)}`,
      );
      assert.ok(chunk);
      const chunkEnd = Number(chunk.start) + Number(chunk.size);
      const corrupted = Buffer.from(await readFile(fixturePath));
      // Breaks the LZO1X end-of-stream marker of the chunk's last page.
      corrupted.fill(0xee, chunkEnd - 6, chunkEnd);
      const corruptedPath = join(workDir, `corrupted-${fileName}`);
      await writeFile(corruptedPath, corrupted);
      return corruptedPath;
    }

    it('names the column and page of a corrupted LZO page (page CRC) and leaves no output', async function () {
      assert.equal(expected.files['events-hadoop-lzo.parquet']?.pageChecksums, true);
      const inputPath = await corruptLastPageOf('events-hadoop-lzo.parquet', 'value');
      const outputPath = join(workDir, 'corrupted-crc-out.parquet');
      await assert.rejects(
        transcodeLzoToUncompressed(inputPath, outputPath),
        /LZO transcode: column value, page at file offset \d+: page CRC mismatch/,
      );
      assert.equal(await fileExists(outputPath), false);
    });

    it('names the column and page of an LZO page that does not decompress', async function () {
      assert.equal(expected.files['events-raw-lzo1x.parquet']?.pageChecksums, false);
      const inputPath = await corruptLastPageOf('events-raw-lzo1x.parquet', 'properties, key_value, value');
      const outputPath = join(workDir, 'corrupted-lzo-out.parquet');
      await assert.rejects(
        transcodeLzoToUncompressed(inputPath, outputPath),
        /LZO transcode: column properties\.key_value\.value, page at file offset \d+: cannot decompress LZO page/,
      );
      assert.equal(await fileExists(outputPath), false);
    });
  });
});
