import { availableParallelism } from 'node:os';
import { rm } from 'node:fs/promises';
import type { ExportCodec, ExportFormat, PartLayout } from '../domain/export/formats';
import { partLayoutOf } from '../domain/export/formats';
import { type DuckDBConnection, sqlString } from './duckdb';
import { transcodeUncompressedToLzo } from './lzo/transcode';
import { bzip2Encoder, compressFile } from './wholeFileCompression';

/**
 * Writes one export part in its format: DuckDB writes what it can (Parquet with its own codecs,
 * JSON lines, CSV); LZO pages (our transcoder) and whole-file gzip or bzip2 are applied to
 * DuckDB's output afterwards, off DuckDB's threads, so the next part is written meanwhile.
 */

/**
 * Row groups are fixed in size (DuckDB's default), so a part's layout, and so its bytes, depends
 * only on its rows; a part of a million rows still is a handful of groups a reader can split.
 */
const ROW_GROUP_SIZE = 122_880;

const DUCKDB_PARQUET_CODEC = { snappy: 'snappy', gzip: 'gzip', zstd: 'zstd', none: 'uncompressed', lzo: 'uncompressed' } as const;

/**
 * DuckDB's COPY options for the file it writes. CSV: a header, RFC 4180 quoting (quotes doubled,
 * fields with a comma, quote or line break quoted), a null as an empty unquoted field and an
 * empty string as `""`, LF line ends. JSON lines: one object per line, nulls as `null`, Longs as
 * numbers.
 */
function copyOptions(layout: PartLayout): string {
  switch (layout.format) {
    case 'parquet':
      return `FORMAT parquet, COMPRESSION ${DUCKDB_PARQUET_CODEC[layout.parquetCodec ?? 'none']}, ROW_GROUP_SIZE ${ROW_GROUP_SIZE}`;
    case 'jsonl':
      return 'FORMAT json';
    case 'csv':
      return 'FORMAT csv, HEADER true';
  }
}

const needsFinishing = (layout: PartLayout): boolean => layout.parquetCodec === 'lzo' || layout.wholeFile !== undefined;

/** Turns DuckDB's file into the part: LZO pages, or the whole file compressed; the raw file is removed. */
async function finishPart(layout: PartLayout, raw: string, file: string, signal?: AbortSignal): Promise<void> {
  try {
    if (layout.parquetCodec === 'lzo') await transcodeUncompressedToLzo(raw, file, signal);
    else if (layout.wholeFile) await compressFile(raw, file, layout.wholeFile, { signal });
  } finally {
    await rm(raw, { force: true });
  }
}

export interface PartWriterOptions {
  format: ExportFormat;
  compression: ExportCodec;
  /**
   * Parts being finished at once beside DuckDB writing the next. gzip and the system bzip2 run
   * off the main thread (libuv's pool, a child process): default, the CPUs. LZO pages and the
   * JavaScript bzip2 run on the main thread, where more than one at a time only adds memory: 1.
   */
  finishConcurrency?: number;
  signal?: AbortSignal;
}

/** Whether finishing this layout runs on the main thread (see finishConcurrency). */
const finishesOnMainThread = (layout: PartLayout): boolean => layout.parquetCodec === 'lzo' || (layout.wholeFile === 'bzip2' && bzip2Encoder() === 'js');

/**
 * Writes parts with DuckDB, on whichever connection the caller gives each one (parts may be
 * written side by side), finishing each in the background: `write` resolves with the part's row
 * count once DuckDB is done with it, and `done` once every part is complete. The first failure,
 * of a write or a finish, stops the running finishes (they are aborted) and fails `done` and every
 * later `write`; no raw file is ever left as a part, nor left behind.
 */
export function createPartWriter(opts: PartWriterOptions) {
  const layout = partLayoutOf(opts.format, opts.compression);
  const finish = needsFinishing(layout);
  const limit = Math.max(1, opts.finishConcurrency ?? (finishesOnMainThread(layout) ? 1 : availableParallelism()));
  const finishing = new Set<Promise<void>>();
  // Aborted on the first failure, or when the caller gives up: running finishes stop early.
  const stop = new AbortController();
  const signal = opts.signal ? AbortSignal.any([opts.signal, stop.signal]) : stop.signal;
  let failure: unknown;

  const fail = (e: unknown) => {
    failure ??= e;
    stop.abort(e);
  };

  return {
    /** Aborted at the first failure, or when the caller's signal is: the caller stops its own work on it. */
    signal,
    /** The first failure, of a write or a finish: the cause, where later ones are its echoes (interrupted queries, aborts). */
    get failure(): unknown {
      return failure;
    },
    /** Writes `select` (a query that yields the part's rows in order) to `file`, on `conn`. */
    async write(conn: DuckDBConnection, select: string, file: string): Promise<number> {
      // Aborted by the caller or by a failure: its reason is the cause to report.
      signal.throwIfAborted();
      const target = finish ? `${file}.raw` : file;
      let rows: number;
      try {
        const reader = await conn.runAndReadAll(`COPY (${select}) TO ${sqlString(target)} (${copyOptions(layout)})`);
        rows = Number(reader.getRows()[0]?.[0] ?? 0);
      } catch (e) {
        fail(e);
        await rm(target, { force: true });
        throw e;
      }
      if (finish) {
        while (finishing.size >= limit) await Promise.race(finishing);
        if (signal.aborted) {
          await rm(target, { force: true });
          throw signal.reason;
        }
        const p: Promise<void> = finishPart(layout, target, file, signal)
          .catch(fail)
          .finally(() => finishing.delete(p));
        finishing.add(p);
      }
      return rows;
    },
    async done(): Promise<void> {
      await Promise.all(finishing);
      if (failure !== undefined) throw failure;
    },
    /** After a failure elsewhere: stops running finishes and waits for them, so nothing writes into a removed directory. */
    async abandon(): Promise<void> {
      stop.abort(new Error('the export of this window failed'));
      await Promise.allSettled(finishing);
    },
  };
}
