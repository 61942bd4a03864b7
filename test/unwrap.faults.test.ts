import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, stat, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { decompressFile, DecompressionError } from '../src/parquet/unwrap';
import { withoutBzip2OnPath } from './support/withoutBzip2';

const LIMITS = { limits: { maxBytes: 2 ** 40, maxRatio: 1e6 } };

/**
 * A full disk while undoing whole-file gzip/bzip2 is a fault of this machine: it must reach the
 * activity as the I/O error (so Temporal retries it), never as a DecompressionError (which
 * becomes a permanent INVALID_SCHEMA entry). /dev/full fails every write with ENOSPC, a real
 * full disk without needing one. It is written through a symlink: decompressFile removes its
 * output on failure, which must remove the link, never the device.
 */
describe('whole-file decompression on a full disk', function () {
  let dir: string;
  let gz: string;
  let bz2: string;

  before(async function () {
    if (!existsSync('/dev/full')) this.skip();
    dir = await mkdtemp(join(tmpdir(), 'fme-unwrap-faults-'));
    const original = Buffer.concat([randomBytes(300_000), Buffer.alloc(300_000, 7)]);
    await writeFile(join(dir, 'data'), original);
    gz = join(dir, 'data.gz');
    await writeFile(gz, gzipSync(original));
    execFileSync('bzip2', ['-kf', join(dir, 'data')]);
    bz2 = join(dir, 'data.bz2');
  });

  /** A fresh output path that leads to /dev/full. */
  let links = 0;
  async function fullDisk(): Promise<string> {
    assert.ok((await stat('/dev/full')).isCharacterDevice(), '/dev/full is still the device');
    const link = join(dir, `full-${links++}`);
    await symlink('/dev/full', link);
    return link;
  }

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });


  const isDiskFull = (err: unknown) => {
    assert.ok(!(err instanceof DecompressionError), `a full disk must not be a verdict on the file: ${String(err)}`);
    assert.equal((err as NodeJS.ErrnoException).code, 'ENOSPC');
    return true;
  };

  it('gzip: the ENOSPC error itself is thrown, not a DecompressionError', async () => {
    await assert.rejects(decompressFile(gz, await fullDisk(), 'gzip', LIMITS), isDiskFull);
  });

  it('bzip2 through the system tool: the ENOSPC error itself is thrown', async () => {
    await assert.rejects(decompressFile(bz2, await fullDisk(), 'bzip2', LIMITS), isDiskFull);
  });

  it('bzip2 through the JavaScript decoder: the ENOSPC error itself is thrown', async () => {
    const out = await fullDisk();
    await assert.rejects(withoutBzip2OnPath(() => decompressFile(bz2, out, 'bzip2', LIMITS)), isDiskFull);
  });
});
