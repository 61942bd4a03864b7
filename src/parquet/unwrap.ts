import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename } from 'node:fs/promises';
import { Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { MAGIC_BYTES_NEEDED, OuterCompression, sniffOuterCompression } from '../domain/magic';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const unbzip2: () => Transform = require('unbzip2-stream');

export async function sniffFile(path: string): Promise<OuterCompression> {
  const fh = await open(path, 'r');
  try {
    const head = Buffer.alloc(MAGIC_BYTES_NEEDED);
    const { bytesRead } = await fh.read(head, 0, MAGIC_BYTES_NEEDED, 0);
    return sniffOuterCompression(head.subarray(0, bytesRead));
  } finally {
    await fh.close();
  }
}

/** Raised when whole-file decompression fails: bad data, not a transient fault. */
export class DecompressionError extends Error {}

/**
 * Moves `raw` to `out`, undoing whole-file gzip or bzip2 recognised by magic bytes,
 * streaming so memory stays bounded whatever the file size.
 */
export async function unwrapFile(raw: string, out: string): Promise<OuterCompression> {
  const compression = await sniffFile(raw);
  if (compression === 'none') await rename(raw, out);
  else await decompressFile(raw, out, compression);
  return compression;
}

export async function decompressFile(raw: string, out: string, compression: Exclude<OuterCompression, 'none'>): Promise<void> {
  try {
    if (compression === 'bzip2' && (await nativeBunzip2(raw, out))) return;
    const decoder = compression === 'gzip' ? createGunzip() : unbzip2();
    await pipeline(createReadStream(raw), decoder, createWriteStream(out));
  } catch (err) {
    throw new DecompressionError(`${compression} decompression failed: ${err instanceof Error ? err.message : String(err)}`);
  }
}

/**
 * bzip2 through the system's `bzip2` (about 4x faster than the JavaScript decoder here).
 * Resolves false when there is no `bzip2` on PATH, so the caller falls back to JavaScript.
 */
async function nativeBunzip2(raw: string, out: string): Promise<boolean> {
  const child = spawn('bzip2', ['-dc', raw], { stdio: ['ignore', 'pipe', 'pipe'] });
  const spawned = await new Promise<boolean>((resolve) => {
    child.once('spawn', () => resolve(true));
    child.once('error', () => resolve(false));
  });
  if (!spawned) return false;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  await pipeline(child.stdout!, createWriteStream(out));
  const code = await exited;
  // The first line says what failed; later lines repeat generic advice and the local path.
  if (code !== 0) throw new Error(stderr.trim().split('\n')[0]?.replace(/^bzip2: /, '') || `bzip2 exited with ${code}`);
  return true;
}
