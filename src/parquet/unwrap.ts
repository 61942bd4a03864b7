import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream } from 'node:fs';
import { open, rename, rm, stat } from 'node:fs/promises';
import { Readable, Transform } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGunzip } from 'node:zlib';
import { MAGIC_BYTES_NEEDED, OuterCompression, sniffOuterCompression } from '../domain/magic';
import { isResourceFault } from './resourceFault';
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

/**
 * Raised when the file's own bytes cannot be decompressed, or decompress beyond the limits: a
 * verdict on the file (its message becomes the INVALID_SCHEMA detail). Faults of this machine
 * (disk, memory, file handles), cancellation and anything else are thrown as they are.
 */
export class DecompressionError extends Error {}

/**
 * How far whole-file decompression may go (settings DECOMPRESSED_MAX_BYTES and
 * DECOMPRESSION_MAX_RATIO), so a decompression bomb cannot fill the worker's disk.
 */
export interface DecompressionLimits {
  /** Most output bytes. */
  maxBytes: number;
  /** Most output bytes per input byte. */
  maxRatio: number;
}

export interface UnwrapOptions {
  limits: DecompressionLimits;
  /** Stops decompressing (and kills a bzip2 child) when aborted, e.g. the activity's cancellation. */
  signal?: AbortSignal;
}

/**
 * Moves `raw` to `out`, undoing whole-file gzip or bzip2 recognised by magic bytes,
 * streaming so memory stays bounded whatever the file size.
 */
export async function unwrapFile(raw: string, out: string, opts: UnwrapOptions): Promise<OuterCompression> {
  const compression = await sniffFile(raw);
  if (compression === 'none') await rename(raw, out);
  else await decompressFile(raw, out, compression, opts);
  return compression;
}

/** Decompresses `raw` into `out`; on any failure no `out` is left behind. */
export async function decompressFile(raw: string, out: string, compression: Exclude<OuterCompression, 'none'>, opts: UnwrapOptions): Promise<void> {
  const limiter = outputLimiter(compression, (await stat(raw)).size, opts.limits);
  try {
    if (compression === 'bzip2' && (await nativeBunzip2(raw, out, limiter, opts.signal))) return;
    await decodeStream(compression, createReadStream(raw), compression === 'gzip' ? createGunzip() : unbzip2(), limiter, out, opts.signal);
  } catch (err) {
    await rm(out, { force: true });
    opts.signal?.throwIfAborted();
    throw err;
  }
}

/**
 * A pass-through that fails with a DecompressionError as soon as the output passes a limit, before
 * writing the chunk that passes it: the pipeline then stops reading and decoding at once.
 * Of two limits passed by the same chunk, the one with the lower bound is named (it was passed first).
 */
function outputLimiter(compression: string, inputBytes: number, { maxBytes, maxRatio }: DecompressionLimits): Transform {
  let total = 0;
  return new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      total += chunk.length;
      const overBytes = total > maxBytes;
      // A quotient, not total > maxRatio × input: an output of exactly maxRatio × input passes.
      const overRatio = total / inputBytes > maxRatio;
      if (!overBytes && !overRatio) return callback(null, chunk);
      const byRatio = overRatio && (!overBytes || maxRatio * inputBytes < maxBytes);
      const limit = byRatio ? `DECOMPRESSION_MAX_RATIO (${maxRatio} times the ${inputBytes}-byte input)` : `DECOMPRESSED_MAX_BYTES (${maxBytes} bytes)`;
      callback(new DecompressionError(`not a readable Parquet file: ${compression} output exceeds ${limit}`));
    },
  });
}

/**
 * source → decoder → limiter → out. Only an error the decoder raised first is about the file's
 * bytes (a write error is propagated to the decoder too, so the first stream to fail is what
 * counts); even then, a decoder that ran out of memory is a machine fault.
 */
async function decodeStream(compression: string, source: Readable, decoder: Transform, limiter: Transform, out: string, signal?: AbortSignal): Promise<void> {
  let firstFailure: { decoder: boolean; err: unknown } | undefined;
  const sink = createWriteStream(out);
  for (const stream of [source, decoder, limiter, sink]) {
    stream.once('error', (err: Error) => (firstFailure ??= { decoder: stream === decoder, err }));
  }
  try {
    await pipeline(source, decoder, limiter, sink, signal ? { signal } : {});
  } catch (err) {
    if (err instanceof DecompressionError) throw err;
    if (firstFailure?.decoder && firstFailure.err === err && !isResourceFault(err) && !signal?.aborted) {
      throw new DecompressionError(`${compression} decompression failed: ${err instanceof Error ? err.message : String(err)}`);
    }
    throw err;
  }
}

/**
 * bzip2 through the system's `bzip2` (about 4x faster than the JavaScript decoder here).
 * Resolves false when there is no `bzip2` on PATH, so the caller falls back to JavaScript.
 * bzip2 exits 2 for a corrupt file and 3 when the data made it panic: verdicts. Exit 1 means
 * its environment failed (a full disk, no memory): a fault of this machine, thrown as is.
 */
async function nativeBunzip2(raw: string, out: string, limiter: Transform, signal?: AbortSignal): Promise<boolean> {
  const child = spawn('bzip2', ['-dc', raw], { stdio: ['ignore', 'pipe', 'pipe'] });
  const spawned = await new Promise<boolean>((resolve) => {
    child.once('spawn', () => resolve(true));
    child.once('error', () => resolve(false));
  });
  if (!spawned) return false;
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('close', resolve));
  try {
    await pipeline(child.stdout!, limiter, createWriteStream(out), signal ? { signal } : {});
  } catch (err) {
    // Over a limit, out of disk or cancelled: stop bzip2 now rather than let it run to the end.
    child.kill('SIGKILL');
    await exited;
    throw err;
  }
  const code = await exited;
  if (code === 0) return true;
  // The first line says what failed; later lines repeat generic advice and the local path.
  const lines = stderr.trim().split('\n').map((l) => l.replace(/^bzip2: /, '').trim());
  const what = lines[0] || `bzip2 exited with ${code}`;
  if (code === 2 || code === 3) throw new DecompressionError(`bzip2 decompression failed: ${what}`);
  // "I/O or other error, bailing out. Possible reason follows." names the reason on the next line.
  throw new Error(`bzip2 could not decompress (exit ${code ?? 'by signal'}): ${lines.slice(0, 2).join(' ')}`);
}
