import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { decompressFile, DecompressionError, DecompressionLimits } from '../src/parquet/unwrap';
import { validateWithCli } from './support/cli';
import { PROJECT_ROOT, VENV_PYTHON } from './support/paths';
import { withoutBzip2OnPath } from './support/withoutBzip2';

const MB = 1024 * 1024;
const UNBOUNDED: DecompressionLimits = { maxBytes: Number.MAX_SAFE_INTEGER, maxRatio: Number.MAX_SAFE_INTEGER };

/**
 * Gzip members may be concatenated and gunzip decodes them all: `members` copies of 8 MiB of
 * zeros compressed once give a bomb of members × 8 MiB from about members × 8 KiB, at no cost.
 */
function gzipBomb(members: number): Buffer {
  const member = gzipSync(Buffer.alloc(8 * MB));
  return Buffer.concat(Array.from({ length: members }, () => member));
}

describe('whole-file decompression limits (DECOMPRESSED_MAX_BYTES, DECOMPRESSION_MAX_RATIO)', function () {
  let dir: string;
  let bz2Bomb: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fme-limits-'));
    // 64 MiB of zeros: bzip2 shrinks it to about 100 bytes (a ratio far above any real file's).
    await writeFile(join(dir, 'zeros'), Buffer.alloc(64 * MB));
    execFileSync('bzip2', ['-kf', join(dir, 'zeros')]);
    bz2Bomb = join(dir, 'zeros.bz2');
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });


  const exceeded = (pattern: RegExp) => (err: Error) => {
    assert.ok(err instanceof DecompressionError, `a verdict on the file, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  };

  it('a gzip bomb stops at DECOMPRESSED_MAX_BYTES at once, without filling the disk, and leaves no output', async function () {
    // 16 GiB of output if decompressed whole; stopping at 1 MiB takes milliseconds, so the test's
    // timeout catches an implementation that decompresses first and checks afterwards.
    this.timeout(10_000);
    const bomb = join(dir, 'bomb.gz');
    await writeFile(bomb, gzipBomb(2048));
    const out = join(dir, 'bomb.out');
    await assert.rejects(
      decompressFile(bomb, out, 'gzip', { limits: { maxBytes: MB, maxRatio: 1e9 } }),
      exceeded(/^not a readable Parquet file: gzip output exceeds DECOMPRESSED_MAX_BYTES \(1048576 bytes\)$/),
    );
    assert.equal(existsSync(out), false, 'the partial output is removed');
  });

  it('gzip output above DECOMPRESSION_MAX_RATIO times the input is refused', async () => {
    // Deflate cannot do better than about 1032:1, which zeros reach.
    const bomb = join(dir, 'ratio.gz');
    await writeFile(bomb, gzipBomb(1));
    const size = (await stat(bomb)).size;
    await assert.rejects(
      decompressFile(bomb, join(dir, 'ratio.out'), 'gzip', { limits: { maxBytes: 1e12, maxRatio: 1000 } }),
      exceeded(new RegExp(`^not a readable Parquet file: gzip output exceeds DECOMPRESSION_MAX_RATIO \\(1000 times the ${size}-byte input\\)$`)),
    );
  });

  it('bzip2 bombs are stopped too, through the system tool and the JavaScript decoder', async function () {
    this.timeout(20_000);
    const limits = { maxBytes: 4 * MB, maxRatio: 1e9 };
    const message = /^not a readable Parquet file: bzip2 output exceeds DECOMPRESSED_MAX_BYTES \(4194304 bytes\)$/;
    await assert.rejects(decompressFile(bz2Bomb, join(dir, 'native.out'), 'bzip2', { limits }), exceeded(message));
    await assert.rejects(withoutBzip2OnPath(() => decompressFile(bz2Bomb, join(dir, 'js.out'), 'bzip2', { limits })), exceeded(message));
    await assert.rejects(
      decompressFile(bz2Bomb, join(dir, 'ratio.out'), 'bzip2', { limits: { maxBytes: 1e12, maxRatio: 1000 } }),
      exceeded(/^not a readable Parquet file: bzip2 output exceeds DECOMPRESSION_MAX_RATIO \(1000 times the \d+-byte input\)$/),
    );
  });

  it('output exactly at the limits is accepted', async () => {
    const original = Buffer.alloc(MB, 1);
    const gz = join(dir, 'exact.gz');
    await writeFile(gz, gzipSync(original));
    await decompressFile(gz, join(dir, 'exact.out'), 'gzip', { limits: { maxBytes: MB, maxRatio: 1e9 } });
    assert.ok((await readFile(join(dir, 'exact.out'))).equals(original));
    // The ratio limit's bound is maxRatio × input bytes: an output of exactly that passes.
    const size = (await stat(gz)).size;
    assert.equal(MB % size === 0, false, 'a ratio that is not a whole number');
    await decompressFile(gz, join(dir, 'exact.out'), 'gzip', { limits: { maxBytes: 1e12, maxRatio: MB / size } });
    assert.ok((await readFile(join(dir, 'exact.out'))).equals(original));
    await decompressFile(gz, join(dir, 'unbounded.out'), 'gzip', { limits: UNBOUNDED });
  });

  describe('cli validate, limits from the environment', () => {
    let workDir: string;
    let bomb: string;
    let validGz: string;

    before(async function () {
      this.timeout(60_000);
      workDir = join(dir, 'work');
      await mkdir(workDir, { recursive: true });
      bomb = join(dir, 'events.parquet.gz');
      await writeFile(bomb, gzipBomb(16));
      execFileSync(VENV_PYTHON, [join(PROJECT_ROOT, 'test', 'fixtures', 'pyarrow', 'make_files.py'), join(dir, 'pyarrow')], { stdio: 'pipe' });
      execFileSync('gzip', ['-kf', join(dir, 'pyarrow', 'valid.parquet')]);
      validGz = join(dir, 'pyarrow', 'valid.parquet.gz');
    });

    const schemaEntry = (detail: string) => ({
      originalCreationTime: 1_700_000_000_000,
      entryId: 8,
      valid: false,
      numberOfRows: 0,
      errors: ['INVALID_SCHEMA'],
      errorsDetails: [detail],
      warnings: [],
    });

    it('DECOMPRESSED_MAX_BYTES: a file over it gets the file-level INVALID_SCHEMA entry naming the limit', async () => {
      const entries = await validateWithCli(bomb, 'env-a', { WORK_DIR: workDir, DECOMPRESSED_MAX_BYTES: '1MiB' });
      assert.deepEqual(entries, [schemaEntry('INVALID_SCHEMA: events.parquet.gz: not a readable Parquet file: gzip output exceeds DECOMPRESSED_MAX_BYTES (1048576 bytes)')]);
    });

    it('DECOMPRESSION_MAX_RATIO (default 1000): a gzip bomb is refused by its ratio', async () => {
      const size = (await stat(bomb)).size;
      const entries = await validateWithCli(bomb, 'env-a', { WORK_DIR: workDir });
      assert.deepEqual(entries, [
        schemaEntry(`INVALID_SCHEMA: events.parquet.gz: not a readable Parquet file: gzip output exceeds DECOMPRESSION_MAX_RATIO (1000 times the ${size}-byte input)`),
      ]);
    });

    it('a real gzipped Parquet file passes the default limits', async () => {
      const entries = await validateWithCli(validGz, 'env-a,env-b', { WORK_DIR: workDir });
      assert.deepEqual(entries.map((e) => [e.valid, e.numberOfRows]), [[true, 1000]]);
    });
  });
});
