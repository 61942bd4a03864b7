import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type DuckDBInstance, openDuckDb, queryObjects, sqlString, withConnection } from '../src/parquet/duckdb';
import { compressHadoopLzo, decompressLzo, HADOOP_LZO_BLOCK_BYTES } from '../src/parquet/lzo/hadoopLzoCodec';
import { parquetUsesLzo, transcodeLzoToUncompressed, transcodeUncompressedToLzo } from '../src/parquet/lzo/transcode';
import { readWithParquetMr } from './support/parquetMr';

/** The Hadoop block framing of a compressed page: [u32 raw length][u32 chunk length][chunk]... */
function blocksOf(framed: Buffer): { raw: number; compressed: number }[] {
  const blocks: { raw: number; compressed: number }[] = [];
  for (let at = 0; at < framed.length; ) {
    const raw = framed.readUInt32BE(at);
    if (raw === 0) {
      blocks.push({ raw, compressed: 0 });
      at += 4;
      continue;
    }
    const compressed = framed.readUInt32BE(at + 4);
    blocks.push({ raw, compressed });
    at += 8 + compressed;
  }
  return blocks;
}

describe('LZO writing: Parquet pages compressed in Hadoop framing, as Spark and Hive read them', function () {
  this.timeout(180_000);
  let db: DuckDBInstance;
  let dir: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'lzo-write-'));
    db = await openDuckDb({ memoryLimit: '512MB', threads: 2, tempDirectory: dir });
  });
  after(async () => {
    db?.closeSync();
    await rm(dir, { recursive: true, force: true });
  });

  it('frames a page larger than a block as several blocks of at most 128 KiB, each one LZO1X chunk, and decodes back to the same bytes', () => {
    const page = Buffer.concat([randomBytes(100_000), Buffer.alloc(200_000, 'impression,')]);
    const framed = compressHadoopLzo(page);
    const blocks = blocksOf(framed);
    assert.deepEqual(
      blocks.map((b) => b.raw),
      [HADOOP_LZO_BLOCK_BYTES, HADOOP_LZO_BLOCK_BYTES, page.length - 2 * HADOOP_LZO_BLOCK_BYTES],
    );
    assert.ok(blocks[2]!.compressed < blocks[2]!.raw / 10, 'the repetitive block compresses');
    const decoded = decompressLzo(framed, page.length);
    assert.ok(decoded.ok && decoded.data.equals(page));
  });

  it('frames an empty page as one empty block, as BlockCompressorStream.finish() writes it', () => {
    assert.deepEqual(compressHadoopLzo(Buffer.alloc(0)), Buffer.alloc(4));
    const decoded = decompressLzo(compressHadoopLzo(Buffer.alloc(0)), 0);
    assert.ok(decoded.ok && decoded.data.length === 0);
  });

  it('turns a DuckDB file whose pages (several hundred KiB each) span several Hadoop blocks into LZO that parquet-mr reads row for row, and that our reader turns back into the same rows', async () => {
    const plain = join(dir, 'plain.parquet');
    const lzo = join(dir, 'lzo.parquet');
    const back = join(dir, 'back.parquet');
    // Long random-ish strings and no dictionary-friendly repeats, so pages are hundreds of KiB.
    await withConnection(db, (c) =>
      c.run(
        `COPY (SELECT i::BIGINT AS n, md5(i::VARCHAR) || md5((i * 7)::VARCHAR) || md5((i * 13)::VARCHAR) AS s, CASE WHEN i % 9 = 0 THEN NULL ELSE 'k-' || i END AS k
               FROM range(60000) t(i))
         TO ${sqlString(plain)} (FORMAT parquet, COMPRESSION uncompressed, ROW_GROUP_SIZE 30000)`,
      ),
    );
    const { columnChunksRewritten } = await transcodeUncompressedToLzo(plain, lzo);
    assert.equal(columnChunksRewritten, 6);
    assert.equal(await parquetUsesLzo(lzo), true);
    assert.ok((await stat(lzo)).size < (await stat(plain)).size, 'LZO makes the file smaller');
    const chunks = await withConnection(db, (c) => queryObjects(c, `SELECT max(total_uncompressed_size) AS biggest FROM parquet_metadata(${sqlString(plain)})`));
    assert.ok(Number(chunks[0]!.biggest) > 4 * HADOOP_LZO_BLOCK_BYTES, 'a column chunk spans several blocks');

    const mr = await readWithParquetMr(lzo);
    assert.deepEqual([...new Set(mr.codecs)], ['LZO']);
    const expected = await withConnection(db, (c) => queryObjects(c, `SELECT * FROM read_parquet(${sqlString(plain)}) ORDER BY n`));
    assert.equal(mr.rows.length, 60_000);
    assert.deepEqual(
      mr.rows.map((r) => ({ n: BigInt(r.n as number), s: r.s, k: r.k })).sort((a, b) => (a.n < b.n ? -1 : 1)),
      expected,
    );

    await transcodeLzoToUncompressed(lzo, back);
    const again = await withConnection(db, (c) => queryObjects(c, `SELECT * FROM read_parquet(${sqlString(back)}) ORDER BY n`));
    assert.deepEqual(again, expected);
  });

  it('compresses data page v2 values and leaves their levels raw: parquet-mr reads the LZO file with every null in place', async () => {
    const plain = join(dir, 'plain-v2.parquet');
    const lzo = join(dir, 'lzo-v2.parquet');
    await withConnection(db, (c) =>
      c.run(
        `COPY (SELECT i::BIGINT AS n, CASE WHEN i % 4 = 0 THEN NULL ELSE 'value-' || (i % 97) END AS v FROM range(20000) t(i))
         TO ${sqlString(plain)} (FORMAT parquet, COMPRESSION uncompressed, PARQUET_VERSION V2)`,
      ),
    );
    await transcodeUncompressedToLzo(plain, lzo);
    const mr = await readWithParquetMr(lzo);
    assert.deepEqual([...new Set(mr.codecs)], ['LZO']);
    const rows = mr.rows.map((r) => ({ n: Number(r.n), v: r.v })).sort((a, b) => a.n - b.n);
    assert.equal(rows.length, 20_000);
    assert.ok(rows.every((r) => r.v === (r.n % 4 === 0 ? null : `value-${r.n % 97}`)));
  });
});
