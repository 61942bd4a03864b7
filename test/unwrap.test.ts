import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { decompressFile, DecompressionError, sniffFile, unwrapFile } from '../src/parquet/unwrap';
import { withoutBzip2OnPath } from './support/withoutBzip2';

/** Limits no test file here comes near (test/decompressionLimits.test.ts tests them). */
const opts = { limits: { maxBytes: 2 ** 40, maxRatio: 1e6 } };

describe('whole-file decompression', () => {
  let dir: string;
  let original: Buffer;
  let bz2: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fme-unwrap-'));
    original = Buffer.concat([randomBytes(200_000), Buffer.alloc(300_000, 7)]);
    await writeFile(join(dir, 'data'), original);
    execFileSync('bzip2', ['-kf', join(dir, 'data')]);
    bz2 = join(dir, 'data.bz2');
  });


  it('undoes bzip2 with the system tool, and with the JavaScript decoder when there is none', async () => {
    await decompressFile(bz2, join(dir, 'native.out'), 'bzip2', opts);
    assert.ok((await readFile(join(dir, 'native.out'))).equals(original));
    await withoutBzip2OnPath(() => decompressFile(bz2, join(dir, 'js.out'), 'bzip2', opts));
    assert.ok((await readFile(join(dir, 'js.out'))).equals(original));
  });

  it('reports a truncated bzip2 file as a DecompressionError saying what failed, either way', async () => {
    const cut = join(dir, 'cut.bz2');
    await writeFile(cut, (await readFile(bz2)).subarray(0, 40_000));
    await assert.rejects(decompressFile(cut, join(dir, 'cut.out'), 'bzip2', opts), (err: Error) => {
      assert.ok(err instanceof DecompressionError);
      assert.match(err.message, /^bzip2 decompression failed: Compressed file ends unexpectedly/);
      assert.ok(!err.message.includes(dir), 'no local path in the message');
      return true;
    });
    await assert.rejects(
      withoutBzip2OnPath(() => decompressFile(cut, join(dir, 'cut-js.out'), 'bzip2', opts)),
      (err: Error) => err instanceof DecompressionError && /^bzip2 decompression failed: /.test(err.message),
    );
  });

  it('recognises gzip, bzip2 and plain files by magic bytes and unwraps them to the same content', async () => {
    const gz = join(dir, 'data.gz');
    await writeFile(gz, gzipSync(original));
    assert.equal(await sniffFile(gz), 'gzip');
    assert.equal(await sniffFile(bz2), 'bzip2');
    assert.equal(await sniffFile(join(dir, 'data')), 'none');
    assert.equal(await unwrapFile(gz, join(dir, 'from-gz'), opts), 'gzip');
    assert.ok((await readFile(join(dir, 'from-gz'))).equals(original));
  });

  it('reports corrupt gzip as a DecompressionError', async () => {
    const bad = join(dir, 'bad.gz');
    await writeFile(bad, gzipSync(original).subarray(0, 1_000));
    await assert.rejects(decompressFile(bad, join(dir, 'bad.out'), 'gzip', opts), (err: Error) => err instanceof DecompressionError && /^gzip decompression failed: /.test(err.message));
  });
});
