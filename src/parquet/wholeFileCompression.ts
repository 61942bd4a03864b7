/**
 * Whole-file gzip or bzip2 around an export part file (`part-00000.jsonl.gz`, `….parquet.bz2`),
 * streaming: memory stays bounded whatever the file size.
 */
import { spawn } from 'node:child_process';
import { constants as fsConstants, accessSync, createReadStream, createWriteStream, statSync } from 'node:fs';
import { FileHandle, open, rm, stat } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { delimiter, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import type { WholeFileCodec } from '../domain/export/formats';

export type { WholeFileCodec };

/**
 * The default gzip level. Measured with Node 20's zlib (one stream, so one core) on this project's
 * 2-core dev machine, on a 201 MB JSON-lines file of impression-like rows (~290 bytes each: user
 * keys, flag names, treatments, millisecond timestamps), several runs each:
 *
 *   level 1: ~360-590 MB/s, ratio 12.6x
 *   level 3: ~410-510 MB/s, ratio 16.3x
 *   level 6: ~160-210 MB/s, ratio 21.0x (zlib's and gzip(1)'s default)
 *
 * DuckDB's own `COPY … (FORMAT json, COMPRESSION gzip)` of the same rows took 2.2-4.8 s against
 * 0.8-1.5 s uncompressed: ~40-90 MB/s end to end, ~50-140 MB/s for its gzip alone. We want about
 * twice that. Level 6 is only ~1.5x DuckDB's best gzip-alone figure; levels 1-3 use zlib's fast
 * deflate (4 and up its lazy matching, hence the step), so level 3 runs at level 1's speed, ~3x+
 * DuckDB, with output 23% smaller than level 1's (and 29% larger than level 6's).
 */
export const DEFAULT_GZIP_LEVEL = 3;

/**
 * The JavaScript bzip2 encoder works on whole buffers, so a file is compressed in independent
 * chunks of this size, each a complete .bz2 stream, written one after the other. A concatenation
 * of bzip2 streams is itself a valid .bz2 file ("multi-stream"): `bzip2 -d`, Python's `bz2`
 * module (3.3+), Hadoop/Spark's BZip2Codec and unbzip2-stream decode all of it. A chunk holds
 * about nine 900 kB bzip2 blocks, so the extra stream headers cost a few bytes per 8 MiB.
 */
export const JS_BZIP2_CHUNK_BYTES = 8 * 1024 * 1024;

export interface CompressOptions {
  /** zlib level, 1 (fastest) to 9 (smallest); default DEFAULT_GZIP_LEVEL. */
  gzipLevel?: number;
  /** Which bzip2 encoder: the system's `bzip2`, the JavaScript one, or `auto` (default): see bzip2Encoder. */
  bzip2?: 'system' | 'js' | 'auto';
  /** Stops compressing (and kills a bzip2 child) when aborted; the call then rejects with the signal's reason. */
  signal?: AbortSignal;
}

/**
 * Compresses `input` into `output` (a new file), streaming, never holding the whole file in memory.
 * Resolves with the output's byte size. On any failure no `output` is left behind.
 */
export async function compressFile(input: string, output: string, codec: WholeFileCodec, opts: CompressOptions = {}): Promise<number> {
  const { signal } = opts;
  signal?.throwIfAborted();
  await checkInput(input);
  try {
    if (codec === 'gzip') await gzipFile(input, output, opts.gzipLevel ?? DEFAULT_GZIP_LEVEL, signal);
    else await bzip2File(input, output, opts.bzip2 ?? 'auto', signal);
    signal?.throwIfAborted();
    return (await stat(output)).size;
  } catch (err) {
    await rm(output, { force: true });
    signal?.throwIfAborted();
    throw err;
  }
}

let detectedEncoder: 'system' | 'js' | undefined;

/** Which bzip2 encoder `auto` uses on this machine: the system `bzip2` when it is on PATH (checked once), else the JS encoder. */
export function bzip2Encoder(): 'system' | 'js' {
  return (detectedEncoder ??= onPath('bzip2') ? 'system' : 'js');
}

async function checkInput(input: string): Promise<void> {
  let isFile: boolean;
  try {
    isFile = (await stat(input)).isFile();
  } catch (err) {
    throw new Error(`cannot compress ${input}: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (!isFile) throw new Error(`cannot compress ${input}: not a regular file`);
}

/** zlib's deflate runs on the libuv threadpool, so several files compress in parallel. */
async function gzipFile(input: string, output: string, level: number, signal?: AbortSignal): Promise<void> {
  if (!Number.isInteger(level) || level < 1 || level > 9) throw new Error(`gzip level must be an integer from 1 to 9, not ${level}`);
  await pipeline(
    createReadStream(input, { highWaterMark: 1024 * 1024 }),
    createGzip({ level, chunkSize: 64 * 1024 }),
    createWriteStream(output),
    signal ? { signal } : {},
  );
}

async function bzip2File(input: string, output: string, encoder: 'system' | 'js' | 'auto', signal?: AbortSignal): Promise<void> {
  if (encoder === 'js' || (encoder === 'auto' && bzip2Encoder() === 'js')) return jsBzip2(input, output, signal);
  if (await systemBzip2(input, output, signal)) return;
  if (encoder === 'system') throw new Error('cannot compress with bzip2: no bzip2 on PATH');
  // auto, but bzip2 has gone from PATH since it was looked for.
  await jsBzip2(input, output, signal);
}

function onPath(command: string): boolean {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    try {
      const path = join(dir, command);
      accessSync(path, fsConstants.X_OK);
      if (statSync(path).isFile()) return true;
    } catch {
      // not in this directory
    }
  }
  return false;
}

/**
 * `bzip2 -c` with the input file as its stdin and the output file as its stdout (no bytes pass
 * through Node). Resolves false when bzip2 could not be started (not on PATH).
 */
async function systemBzip2(input: string, output: string, signal?: AbortSignal): Promise<boolean> {
  const handles: FileHandle[] = [];
  try {
    const source = await open(input, 'r');
    handles.push(source);
    const sink = await open(output, 'w');
    handles.push(sink);
    const child = spawn('bzip2', ['-c'], { stdio: [source.fd, sink.fd, 'pipe'] });
    let stderr = '';
    child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
    const kill = () => child.kill('SIGKILL');
    signal?.addEventListener('abort', kill, { once: true });
    // An abort while the files were being opened came before the listener.
    if (signal?.aborted) kill();
    try {
      const ended = await new Promise<{ spawnError?: NodeJS.ErrnoException; code: number | null; killedBy: NodeJS.Signals | null }>((resolve) => {
        child.once('error', (spawnError: NodeJS.ErrnoException) => resolve({ spawnError, code: null, killedBy: null }));
        child.once('close', (code: number | null, killedBy: NodeJS.Signals | null) => resolve({ code, killedBy }));
      });
      if (ended.spawnError) {
        if (ended.spawnError.code === 'ENOENT') return false;
        throw new Error(`cannot start bzip2: ${ended.spawnError.message}`);
      }
      signal?.throwIfAborted();
      if (ended.code === 0) return true;
      // bzip2 prefixes its messages with "bzip2: "; the first two lines say what failed and why.
      const why = stderr.trim().split('\n').slice(0, 2).map((l) => l.replace(/^bzip2: /, '').trim()).join(' ');
      const how = ended.code === null ? `was killed by ${ended.killedBy}` : `exited with ${ended.code}`;
      throw new Error(`bzip2 could not compress ${input}: bzip2 ${how}${why ? `: ${why}` : ''}`);
    } finally {
      signal?.removeEventListener('abort', kill);
    }
  } finally {
    await Promise.all(handles.map((h) => h.close()));
  }
}

/**
 * The typed surface of libbzip2-wasm (ISC; the reference libbzip2 compiled to WebAssembly and
 * embedded in one JS file: no native build, so it loads wherever Node runs), which ships no
 * declarations. Its output is byte for byte what `bzip2 -9` writes for the same bytes. On the
 * 201 MB file above it ran at ~5.7-6.2 MB/s, ratio 34.8x, against ~8.9-9.8 MB/s, ratio 35.1x for
 * the system bzip2. The pure-JS alternative, compressjs (GPL), ran at 0.4 MB/s.
 */
interface Bzip2Wasm {
  /** BZ2_bzBuffToBuffCompress. `output` is a view into the module's heap, valid until its next call. */
  compressBZ2(input: Uint8Array, blockSize100k: number, workFactor: number): { error: number; error_msg?: string; output: Uint8Array };
}
/** Emscripten's MODULARIZE factory: its result is a thenable that calls back once the WebAssembly is instantiated. */
type Bzip2WasmFactory = (overrides: { onAbort(what: unknown): void }) => { then(ready: (module: Bzip2Wasm) => void): unknown };

let wasmInstance: Promise<{ module: Bzip2Wasm }> | undefined;

/**
 * The JavaScript bzip2 encoder, instantiated once (lazily: it is only the fallback).
 * Emscripten's Node glue adds process-wide 'uncaughtException' (rethrows) and
 * 'unhandledRejection' (aborts the module) listeners, which would change how this process fails;
 * they are removed again at once. The result is wrapped in an object because the module itself
 * is a thenable, which a promise would try to resolve forever.
 */
function bzip2Wasm(): Promise<{ module: Bzip2Wasm }> {
  wasmInstance ??= new Promise<{ module: Bzip2Wasm }>((resolve, reject) => {
    const events = ['uncaughtException', 'unhandledRejection'];
    const emitter: NodeJS.EventEmitter = process;
    const before = events.map((event) => emitter.listeners(event));
    try {
      const factory = createRequire(__filename)('libbzip2-wasm') as Bzip2WasmFactory;
      factory({ onAbort: (what) => reject(new Error(`the JavaScript bzip2 encoder failed to start: ${String(what)}`)) }).then((module) => resolve({ module }));
    } finally {
      events.forEach((event, i) => {
        for (const listener of emitter.listeners(event)) {
          if (!before[i].includes(listener)) emitter.removeListener(event, listener as (...args: unknown[]) => void);
        }
      });
    }
  }).catch((err: unknown) => {
    wasmInstance = undefined;
    throw err;
  });
  return wasmInstance;
}

/** Compresses one chunk into a complete .bz2 stream (level 9, as `bzip2` by default), copied out of the WebAssembly heap. */
function compressChunk(module: Bzip2Wasm, chunk: Uint8Array): Buffer {
  let result: ReturnType<Bzip2Wasm['compressBZ2']>;
  try {
    result = module.compressBZ2(chunk, 9, 30);
  } catch (err) {
    // An abort (out of memory) leaves the module unusable: instantiate a new one next time.
    wasmInstance = undefined;
    throw new Error(`the JavaScript bzip2 encoder failed: ${err instanceof Error ? err.message : String(err)}`);
  }
  if (result.error !== 0) throw new Error(`the JavaScript bzip2 encoder failed (BZ error ${result.error}): ${result.error_msg ?? 'no message'}`);
  return Buffer.from(result.output);
}

/**
 * bzip2 in JavaScript (WebAssembly), chunk by chunk (see JS_BZIP2_CHUNK_BYTES). Each chunk blocks
 * the event loop while it compresses (~1.4 s for 8 MiB here), and files do not compress in
 * parallel: this is the fallback for machines without `bzip2`.
 */
async function jsBzip2(input: string, output: string, signal?: AbortSignal): Promise<void> {
  const { module } = await bzip2Wasm();
  const source = await open(input, 'r');
  try {
    const sink = await open(output, 'w');
    try {
      const chunk = Buffer.allocUnsafe(JS_BZIP2_CHUNK_BYTES);
      // An empty input still gets one (empty) stream, as `bzip2` writes.
      for (let first = true; ; first = false) {
        signal?.throwIfAborted();
        const filled = await readFully(source, chunk);
        if (filled === 0 && !first) break;
        signal?.throwIfAborted();
        await writeFully(sink, compressChunk(module, chunk.subarray(0, filled)));
        if (filled < chunk.length) break;
      }
    } finally {
      await sink.close();
    }
  } finally {
    await source.close();
  }
}

/** Reads until `buffer` is full or the file ends; resolves with the bytes read. */
async function readFully(file: FileHandle, buffer: Buffer): Promise<number> {
  let filled = 0;
  while (filled < buffer.length) {
    const { bytesRead } = await file.read(buffer, filled, buffer.length - filled);
    if (bytesRead === 0) break;
    filled += bytesRead;
  }
  return filled;
}

async function writeFully(file: FileHandle, bytes: Buffer): Promise<void> {
  for (let written = 0; written < bytes.length; ) {
    written += (await file.write(bytes, written, bytes.length - written)).bytesWritten;
  }
}
