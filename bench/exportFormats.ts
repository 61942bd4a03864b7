/**
 * Figure (i), export formats (issue 17, item 5): `writeExportParts` (src/parquet/exportWindow.ts,
 * the code the export activity runs) on a window of intake files, in every format and compression,
 * beside one DuckDB `COPY` of the same rows where DuckDB can write that format itself.
 *
 * Every run must export exactly the window's distinct impressions.
 */
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { COMPRESSIONS_BY_FORMAT, EXPORT_FORMATS, type ExportCodec, type ExportFormat } from '../src/domain/export/formats';
import { openDuckDb, sqlString, withConnection, type DuckDBInstance } from '../src/parquet/duckdb';
import { DEFAULT_PART_ROWS, EXPORT_NAMES, EXPORT_SELECT, ORDER_BY, writeExportParts } from '../src/parquet/exportWindow';
import { cpuBetween, markCpu } from './cpuAccounting';
import { log, seconds } from './format';
import { DEFAULTS, OUT_DIR } from './params';
import { procStatusBytes } from './processMemory';
import { ensureExportData, EXPORT_ENVIRONMENT, EXPORT_LOOKBACK_MS, EXPORT_ROWS, EXPORT_WINDOW, type ExportData, warmPageCache } from './exportData';

export { EXPORT_ROWS } from './exportData';

/** DuckDB's memory limit in every run, ours and DuckDB's alike. */
export const EXPORT_MEMORY_LIMIT = DEFAULTS.DUCKDB_MEMORY_LIMIT;
const WORK_DIR = join(OUT_DIR, 'export-work');

export interface ExportCombo {
  format: ExportFormat;
  compression: ExportCodec;
}

/** Every combination the export offers, in COMPRESSIONS_BY_FORMAT's order. */
export const EXPORT_COMBOS: ExportCombo[] = EXPORT_FORMATS.flatMap((format) => COMPRESSIONS_BY_FORMAT[format].map((compression) => ({ format, compression })));

/** DuckDB's own COPY options for a combination it can write alone, or undefined (LZO, bzip2). */
export function duckDbCopyOptions(c: ExportCombo): { options: string; extension: string } | undefined {
  if (c.format === 'parquet') {
    if (c.compression === 'lzo' || c.compression === 'bzip2') return undefined;
    return { options: `FORMAT parquet, COMPRESSION ${c.compression === 'none' ? 'uncompressed' : c.compression}`, extension: c.compression === 'none' ? 'parquet' : `${c.compression}.parquet` };
  }
  if (c.compression === 'bzip2') return undefined;
  const gz = c.compression === 'gzip';
  const base = c.format === 'jsonl' ? 'FORMAT json' : 'FORMAT csv, HEADER true';
  return { options: gz ? `${base}, COMPRESSION gzip` : base, extension: gz ? `${c.format}.gz` : c.format };
}

// ---------------------------------------------------------------------------------------------
// The intake files

// ---------------------------------------------------------------------------------------------
// The runs

export interface TimedRun {
  seconds: number;
  rows: number;
  rowsPerSec: number;
  bytes: number;
  files: number;
  /** VmHWM of this process over the run (reset before it), undefined where /proc/self/clear_refs is not writable. */
  peakRssBytes: number | undefined;
  /** CPU seconds meanwhile: this process (DuckDB's threads and Node's), other processes, idle. */
  cpu: Record<string, number>;
}

export interface OursRun extends TimedRun {
  duplicatesDropped: number;
  /** From the call until outDir appeared: writeExportParts creates it once the window's rows are deduplicated, ordered and counted. */
  prepareSeconds: number | undefined;
}

export interface ExportComboResult extends ExportCombo {
  ours?: OursRun;
  duckdb?: TimedRun;
  /** ours / DuckDB, by wall time. */
  ratio?: number;
  /** What went wrong, if a run failed (its message); the other runs go on. */
  error?: string;
}

export interface ExportResults {
  rows: number;
  data: ExportData;
  settings: { duckdbThreads: number; duckdbMemoryLimit: string; partRows: number; finishConcurrency: string; lookbackMs: number; window: { start: string; end: string } };
  expected: { rows: number; duplicatesDropped: number; receivedInWindow: number };
  combos: ExportComboResult[];
}

function resetPeakRss(): boolean {
  try {
    writeFileSync('/proc/self/clear_refs', '5');
    return true;
  } catch {
    return false;
  }
}

async function sizeOf(paths: string[]): Promise<number> {
  let n = 0;
  for (const p of paths) n += (await stat(p)).size;
  return n;
}

/** A fresh DuckDB as the worker opens it: DUCKDB_THREADS at its default, the given memory limit. */
async function freshDuckDb(memoryLimit: string): Promise<DuckDBInstance> {
  const temp = join(WORK_DIR, 'duckdb');
  await rm(temp, { recursive: true, force: true });
  await mkdir(temp, { recursive: true });
  return openDuckDb({ memoryLimit, threads: DEFAULTS.DUCKDB_THREADS, tempDirectory: temp });
}

/**
 * Each run starts with the disk idle: the run before may have left gigabytes of output (3.7 GB
 * of JSON lines, twice) being written back, which would compete with this run's spill files.
 */
function flushDisk(): void {
  execFileSync('sync');
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number; cpu: Record<string, number>; peakRssBytes: number | undefined }> {
  flushDisk();
  const canReset = resetPeakRss();
  const cpu0 = markCpu();
  const t0 = performance.now();
  const value = await fn();
  const ms = performance.now() - t0;
  return { value, ms, cpu: cpuBetween(cpu0, markCpu()), peakRssBytes: canReset ? procStatusBytes(process.pid, 'VmHWM') : undefined };
}

const comboName = (c: ExportCombo) => `${c.format}/${c.compression}`;

async function runOurs(data: ExportData, c: ExportCombo, memoryLimit: string): Promise<OursRun> {
  const outDir = join(WORK_DIR, `ours-${c.format}-${c.compression}`);
  await rm(outDir, { recursive: true, force: true });
  const db = await freshDuckDb(memoryLimit);
  let prepareMs: number | undefined;
  try {
    const r = await timed(async () => {
      const t0 = performance.now();
      const watch = setInterval(() => {
        if (prepareMs === undefined && existsSync(outDir)) prepareMs = performance.now() - t0;
      }, 5);
      try {
        return await writeExportParts(db, {
          files: data.files,
          window: EXPORT_WINDOW,
          lookbackStart: EXPORT_WINDOW.start - EXPORT_LOOKBACK_MS,
          environments: [EXPORT_ENVIRONMENT],
          format: c.format,
          compression: c.compression,
          outDir,
        });
      } finally {
        clearInterval(watch);
      }
    });
    const partFiles = r.value.parts.map((p) => p.file);
    const onDisk = (await readdir(outDir)).length;
    if (onDisk !== partFiles.length) throw new Error(`${onDisk} files in the output folder, ${partFiles.length} parts named`);
    return {
      seconds: seconds(r.ms),
      rows: r.value.rows,
      rowsPerSec: Math.round(r.value.rows / (r.ms / 1000)),
      bytes: await sizeOf(partFiles),
      files: partFiles.length,
      peakRssBytes: r.peakRssBytes,
      cpu: r.cpu,
      duplicatesDropped: r.value.duplicatesDropped,
      prepareSeconds: prepareMs === undefined ? undefined : seconds(prepareMs),
    };
  } finally {
    db.closeSync();
    await rm(outDir, { recursive: true, force: true });
  }
}

/**
 * The same rows as DuckDB alone writes them: one COPY of the window's impressions, the lookback's
 * hashes anti-joined away, one row per content hash (its earliest reception, joined back to the
 * minimum per hash: a `QUALIFY row_number() OVER (PARTITION BY contentHash ...)` runs out of memory
 * on 10M hashes even at 4GB), in the export's order, into one file. No temp table, no counts, no
 * parts, no finishing. The columns and the order are exportWindow.ts's own. (A retried batch is received again later, so (hash, reception) is unique.)
 */
export function baselineSql(files: string[], copyOptions: string, target: string): string {
  const { start, end } = EXPORT_WINDOW;
  const source = `read_parquet([${files.map(sqlString).join(', ')}])`;
  const qualified = (list: string) => list.split(', ').map((c) => `s.${c}`).join(', ');
  return `COPY (
      WITH s AS (
        SELECT ${EXPORT_SELECT}, "contentHash" FROM ${source}
        WHERE "environmentId" IN (${sqlString(EXPORT_ENVIRONMENT)}) AND "receptionTimestamp" >= ${start - EXPORT_LOOKBACK_MS} AND "receptionTimestamp" < ${end}
      ),
      earlier AS (SELECT DISTINCT "contentHash" FROM s WHERE "receptionTimestamp" < ${start}),
      first AS (SELECT "contentHash", min("receptionTimestamp") AS r FROM s WHERE "receptionTimestamp" >= ${start} GROUP BY "contentHash")
      SELECT ${qualified(EXPORT_NAMES)} FROM s
      JOIN first f ON s."contentHash" = f."contentHash" AND s."receptionTimestamp" = f.r
      ANTI JOIN earlier e ON s."contentHash" = e."contentHash"
      ORDER BY ${qualified(ORDER_BY)}
    ) TO ${sqlString(target)} (${copyOptions})`;
}

async function runDuckDb(data: ExportData, c: ExportCombo, copy: { options: string; extension: string }, memoryLimit: string): Promise<TimedRun> {
  const target = join(WORK_DIR, `duckdb-${c.format}-${c.compression}.${copy.extension}`);
  await rm(target, { force: true });
  const db = await freshDuckDb(memoryLimit);
  try {
    const r = await timed(() => withConnection(db, async (conn) => Number((await conn.runAndReadAll(baselineSql(data.files, copy.options, target))).getRows()[0]?.[0] ?? 0)));
    return { seconds: seconds(r.ms), rows: r.value, rowsPerSec: Math.round(r.value / (r.ms / 1000)), bytes: await sizeOf([target]), files: 1, peakRssBytes: r.peakRssBytes, cpu: r.cpu };
  } finally {
    db.closeSync();
    await rm(target, { force: true });
  }
}

const errorText = (e: unknown) => (e instanceof Error ? e.message : String(e)).split('\n')[0]!.slice(0, 300);

/** (i): each combination of EXPORT_COMBOS, ours then DuckDB's COPY (where it can write it), on fresh DuckDB instances. */
export async function benchExport(rows = EXPORT_ROWS, combos = EXPORT_COMBOS, memoryLimit = EXPORT_MEMORY_LIMIT): Promise<ExportResults> {
  await mkdir(OUT_DIR, { recursive: true });
  const data = await ensureExportData(rows);
  log(`(i) ${data.files.length} intake files, ${(data.bytes / 1024 ** 2).toFixed(0)} MiB (${data.reused ? 'reused' : `generated in ${data.generationSeconds} s`}); reading them once into the page cache`);
  await warmPageCache(data.files);
  await rm(WORK_DIR, { recursive: true, force: true });
  await mkdir(WORK_DIR, { recursive: true });
  const results: ExportComboResult[] = [];
  try {
    for (const c of combos) {
      const res: ExportComboResult = { ...c };
      results.push(res);
      try {
        log(`(i) ${comboName(c)}: writeExportParts`);
        res.ours = await runOurs(data, c, memoryLimit);
        log(`(i) ${comboName(c)}: ${res.ours.seconds} s (prepare ${res.ours.prepareSeconds} s), ${res.ours.rows} rows in ${res.ours.files} parts, ${res.ours.bytes} bytes`);
      } catch (e) {
        res.error = `ours: ${errorText(e)}`;
        log(`(i) ${comboName(c)} failed: ${res.error}`);
      }
      const copy = duckDbCopyOptions(c);
      if (copy) {
        try {
          log(`(i) ${comboName(c)}: DuckDB COPY`);
          res.duckdb = await runDuckDb(data, c, copy, memoryLimit);
          log(`(i) ${comboName(c)}: DuckDB ${res.duckdb.seconds} s, ${res.duckdb.rows} rows, ${res.duckdb.bytes} bytes`);
        } catch (e) {
          res.error = `${res.error ? `${res.error}; ` : ''}DuckDB: ${errorText(e)}`;
          log(`(i) ${comboName(c)} DuckDB COPY failed: ${errorText(e)}`);
        }
      }
      // Unrounded: a target at the line (2x) must not pass by rounding; the table rounds for display.
      if (res.ours && res.duckdb) res.ratio = res.ours.seconds / res.duckdb.seconds;
    }
  } finally {
    await rm(WORK_DIR, { recursive: true, force: true });
  }
  const { start, end } = EXPORT_WINDOW;
  return {
    rows,
    data,
    settings: {
      duckdbThreads: DEFAULTS.DUCKDB_THREADS,
      duckdbMemoryLimit: memoryLimit,
      partRows: DEFAULT_PART_ROWS,
      finishConcurrency: 'default (the CPUs)',
      lookbackMs: EXPORT_LOOKBACK_MS,
      window: { start: new Date(start).toISOString(), end: new Date(end).toISOString() },
    },
    expected: { rows, duplicatesDropped: data.plan.expectedDuplicates, receivedInWindow: data.plan.receivedInWindow },
    combos: results,
  };
}
