import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { FIXTURES } from './support/paths';
import { parquetMrAvailable, readWithParquetMr, type ParquetMrRead } from './support/parquetMr';

// The harness other tests use to prove our Parquet files are readable by parquet-mr (Spark, Hive),
// proved here on the LZO fixtures that parquet-mr itself wrote (test/fixtures/lzo/README.md).
const LZO_DIR = join(FIXTURES, 'lzo');

interface ExpectedFacts {
  files: Record<string, { rowGroups: number; columnChunks: number; lzoColumnChunks: number }>;
  rowCount: number;
}

/** Row i of the fixtures, as the fixture README describes them (0-based, invalid rows included). */
function expectedRow(i: number): Record<string, unknown> {
  return {
    environmentId: i >= 10 && i <= 12 ? 'env-unknown' : 'env-a',
    trafficTypeId: 'user',
    eventTypeId: `event-type-${i % 5}`,
    key: i === 7 ? null : `key-${i}`,
    timestamp: i === 20 ? 1_700_000_000 : 1_700_000_000_000 + i,
    value: i % 10 === 0 ? null : i * 1.5,
    properties: { i: String(i) },
  };
}

describe('parquet-mr reader harness', () => {
  let expected: ExpectedFacts;
  let hadoopLzo: ParquetMrRead;

  before(async function () {
    // The first run on a machine builds the reader with Maven and downloads its dependencies.
    this.timeout(600_000);
    assert.ok(parquetMrAvailable(), 'java and mvn must be on PATH for the parquet-mr tests (see scripts/setup.sh)');
    expected = JSON.parse(await readFile(join(LZO_DIR, 'events-hadoop-lzo.expected.json'), 'utf8')) as ExpectedFacts;
    hadoopLzo = await readWithParquetMr(join(LZO_DIR, 'events-hadoop-lzo.parquet'));
  });

  it('reports the codec of every column chunk: all 56 chunks of the Hadoop-LZO fixture are LZO', () => {
    const facts = expected.files['events-hadoop-lzo.parquet']!;
    assert.equal(hadoopLzo.codecs.length, facts.columnChunks);
    assert.equal(hadoopLzo.codecs.filter((c) => c === 'LZO').length, facts.lzoColumnChunks);
    assert.match(hadoopLzo.createdBy, /^parquet-mr version 1\.18\.1/);
  });

  it('decompresses every LZO page through parquet-mr: all 2,500 rows come back in order', () => {
    assert.equal(expected.rowCount, 2500);
    assert.equal(hadoopLzo.rows.length, 2500);
    hadoopLzo.rows.forEach((row, i) => assert.deepEqual(row, expectedRow(i), `row ${i}`));
  });

  it('maps values to JSON: missing optional as null, int64 as a number, map<string,string> as an object', () => {
    assert.equal(hadoopLzo.rows[7]!.key, null);
    assert.equal(hadoopLzo.rows[0]!.value, null);
    assert.equal(hadoopLzo.rows[3]!.timestamp, 1_700_000_000_003);
    assert.equal(typeof hadoopLzo.rows[3]!.timestamp, 'number');
    assert.equal(hadoopLzo.rows[20]!.timestamp, 1_700_000_000);
    assert.deepEqual(hadoopLzo.rows[3]!.properties, { i: '3' });
  });

  it('reads data page v2 with LZO and SNAPPY chunks mixed in one file', async () => {
    const v2 = await readWithParquetMr(join(LZO_DIR, 'events-hadoop-lzo-v2.parquet'));
    const facts = expected.files['events-hadoop-lzo-v2.parquet']!;
    assert.equal(v2.codecs.length, facts.columnChunks);
    assert.equal(v2.codecs.filter((c) => c === 'LZO').length, facts.lzoColumnChunks);
    assert.deepEqual(new Set(v2.codecs), new Set(['LZO', 'SNAPPY']));
    assert.deepEqual(v2.rows, hadoopLzo.rows);
  });

  it('rejects bare LZO1X pages (no Hadoop block framing), as Spark would: the harness really decompresses with LzoCodec', async () => {
    await assert.rejects(readWithParquetMr(join(LZO_DIR, 'events-raw-lzo1x.parquet')), /parquet-mr could not read .*events-raw-lzo1x\.parquet[\s\S]*ParquetDecodingException/);
  });
});
