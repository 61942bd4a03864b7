import assert from 'node:assert/strict';
import { mkdtemp, open, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import { DuckDBInstance } from '@duckdb/node-api';
import { footerRowCount, MAX_FOOTER_LENGTH, type ReadRange } from '../src/parquet/footerRowCount';
import { writeEventFile, writeParquet } from './support/eventFiles';

// Compiled to lib/test/: resolve fixtures from the sources.
const LZO_FIXTURE = resolve(__dirname, '..', '..', 'test', 'fixtures', 'lzo', 'events-hadoop-lzo.parquet');

type Range = [start: number, endInclusive: number];

/** A ranged reader over a local file, standing in for S3 GETs with a Range header, that logs each range. */
function localRanges(path: string): { readRange: ReadRange; ranges: Range[] } {
  const ranges: Range[] = [];
  const readRange: ReadRange = async (start, endInclusive) => {
    ranges.push([start, endInclusive]);
    const file = await open(path, 'r');
    try {
      const buffer = Buffer.alloc(endInclusive - start + 1);
      const { bytesRead } = await file.read(buffer, 0, buffer.length, start);
      return buffer.subarray(0, bytesRead);
    } finally {
      await file.close();
    }
  };
  return { readRange, ranges };
}

async function countFile(path: string): Promise<number | null> {
  return footerRowCount(localRanges(path).readRange, (await stat(path)).size);
}

describe('footerRowCount', function () {
  let dir: string;
  let db: DuckDBInstance;
  let events: string;

  before(async function () {
    dir = await mkdtemp(join(tmpdir(), 'fme-footer-rows-'));
    db = await DuckDBInstance.create(':memory:');
    events = join(dir, 'events.parquet');
    // Several row groups, so the count must come from the file total, not the first group.
    await writeEventFile(db, events, 12_345, { rowGroupSize: 2_000 });
  });

  after(async function () {
    db.closeSync();
    await rm(dir, { recursive: true, force: true });
  });

  it('counts a DuckDB-written file from two reads at its tail: the trailer, then the footer', async function () {
    const { size } = await stat(events);
    const { readRange, ranges } = localRanges(events);
    assert.equal(await footerRowCount(readRange, size), 12_345);
    assert.equal(ranges.length, 2);
    assert.deepEqual(ranges[0], [size - 8, size - 1]);
    assert.equal(ranges[1]![1], size - 9, 'the footer ends where the trailer starts');
    assert.ok(ranges[1]![0] > size / 2, `footer read starts at ${ranges[1]![0]} of ${size} bytes`);
  });

  it('counts an empty table as 0, not null', async function () {
    const empty = join(dir, 'empty.parquet');
    await writeParquet(db, empty, 'SELECT range AS id FROM range(0)');
    assert.equal(await countFile(empty), 0);
  });

  it('counts a file whose pages DuckDB cannot decode (LZO), since only the footer is read', async function () {
    assert.equal(await countFile(LZO_FIXTURE), 2_500);
  });

  it('returns null for a whole-file gzip of a Parquet file', async function () {
    const gz = join(dir, 'events.parquet.gz');
    await writeFile(gz, gzipSync(await readFile(events)));
    assert.equal(await countFile(gz), null);
  });

  it('returns null for a file with its last 100 bytes cut off', async function () {
    const cut = join(dir, 'cut.parquet');
    const bytes = await readFile(events);
    await writeFile(cut, bytes.subarray(0, bytes.length - 100));
    assert.equal(await countFile(cut), null);
  });

  it('returns null for an encrypted-footer (PARE) file', async function () {
    const encrypted = join(dir, 'encrypted.parquet');
    const bytes = Buffer.from(await readFile(events));
    bytes.write('PARE', bytes.length - 4, 'ascii');
    await writeFile(encrypted, bytes);
    assert.equal(await countFile(encrypted), null);
  });

  it('returns null for bytes ending in PAR1 whose footer length exceeds the file, without reading a footer', async function () {
    const bogus = join(dir, 'bogus-length.parquet');
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(0xffff_fff0, 0);
    trailer.write('PAR1', 4, 'ascii');
    await writeFile(bogus, Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(1_000, 0x5a), trailer]));
    const { readRange, ranges } = localRanges(bogus);
    assert.equal(await footerRowCount(readRange, (await stat(bogus)).size), null);
    assert.equal(ranges.length, 1);
  });

  it('returns null for a footer length that fits but points at bytes that are not Thrift', async function () {
    const garbage = join(dir, 'garbage-footer.parquet');
    const trailer = Buffer.alloc(8);
    trailer.writeUInt32LE(500, 0);
    trailer.write('PAR1', 4, 'ascii');
    // 0xff is a field header of unknown compact type 15, so decoding fails deterministically.
    await writeFile(garbage, Buffer.concat([Buffer.from('PAR1'), Buffer.alloc(1_000, 0xff), trailer]));
    assert.equal(await countFile(garbage), null);
  });

  it('returns null for a file shorter than 12 bytes, without reading it', async function () {
    const tiny = join(dir, 'tiny.parquet');
    await writeFile(tiny, Buffer.from('PAR1PAR1', 'ascii'));
    const { readRange, ranges } = localRanges(tiny);
    assert.equal(await footerRowCount(readRange, 8), null);
    assert.equal(ranges.length, 0);
  });

  it('returns null for a claimed footer over the cap, without fetching it', async function () {
    const size = 2 * MAX_FOOTER_LENGTH;
    const ranges: Range[] = [];
    const readRange: ReadRange = async (start, endInclusive) => {
      ranges.push([start, endInclusive]);
      const trailer = Buffer.alloc(8);
      trailer.writeUInt32LE(MAX_FOOTER_LENGTH + 1, 0);
      trailer.write('PAR1', 4, 'ascii');
      return trailer;
    };
    assert.equal(await footerRowCount(readRange, size), null);
    assert.equal(ranges.length, 1);
  });

  it('rejects with the error readRange throws, on the trailer read or the footer read', async function () {
    const { size } = await stat(events);
    const local = localRanges(events).readRange;
    for (const failingCall of [1, 2]) {
      const fault = new Error(`network down on read ${failingCall}`);
      let calls = 0;
      const readRange: ReadRange = async (start, endInclusive) => {
        calls += 1;
        if (calls === failingCall) throw fault;
        return local(start, endInclusive);
      };
      await assert.rejects(footerRowCount(readRange, size), (err: unknown) => err === fault);
    }
  });
});
