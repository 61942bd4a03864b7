import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { type ExportCodec, type ExportFormat, partFileName } from '../domain/export/formats';
import type { ExportWindow } from '../domain/export/windows';
import { IMPRESSION_COLUMNS } from '../domain/impressions/impressionSchema';
import { type DuckDBConnection, type DuckDBInstance, sqlIdent, sqlString } from './duckdb';
import { WRITE_CONCURRENCY } from './exportConcurrency';
import { createPartWriter } from './exportPartFiles';
import { duckType } from './impressionSql';

/**
 * One export window's part files from the intake's Parquet, in set-based SQL: DuckDB reads,
 * deduplicates, orders and writes; no impression becomes a JS object.
 */

export const DEFAULT_PART_ROWS = 1_000_000;


export interface ExportPartsInput {
  /** Local intake files: the window's minutes and the lookback's (any order; others are filtered out). */
  files: readonly string[];
  window: ExportWindow;
  /** Impressions received in [lookbackStart, window.start) are read only to drop their repeats. */
  lookbackStart: number;
  environments: readonly string[];
  format: ExportFormat;
  compression: ExportCodec;
  /** Where the parts go (created if missing), named by `partFileName`. */
  outDir: string;
  /** Rows per part (the last holds the rest), so parts depend only on the data. */
  partRows?: number;
  /** Parts compressed (LZO, gzip, bzip2) at once while DuckDB writes the next (default: the CPUs). */
  finishConcurrency?: number;
  /** Parts DuckDB writes at once, each on its own connection (default WRITE_CONCURRENCY). */
  writeConcurrency?: number;
  signal?: AbortSignal;
}

export interface ExportPart {
  file: string;
  rows: number;
}

export interface ExportPartsResult {
  /** In order: part i holds rows [i·partRows, (i+1)·partRows) of the window's order. */
  parts: ExportPart[];
  rows: number;
  /** Rows of the window not exported: repeats of a row received in the lookback, or of an earlier one in the window. */
  duplicatesDropped: number;
}

/** The seed's columns in the seed's order and types; nothing else is ever exported. */
export const EXPORT_SELECT = IMPRESSION_COLUMNS.map((c) => `CAST(${sqlIdent(c.name)} AS ${duckType(c.type)}) AS ${sqlIdent(c.name)}`).join(', ');
export const EXPORT_NAMES = IMPRESSION_COLUMNS.map((c) => sqlIdent(c.name)).join(', ');

/**
 * The window's order: by reception, then what a reader sorts by; contentHash is unique after
 * deduplication, and the remaining columns break ties among rows that have none (a file
 * without hashes), so the order is total and parts are the same on every run.
 */
const LEADING = ['receptionTimestamp', 'environmentId', 'splitName', 'key', 'timestamp', 'contentHash'];
export const ORDER_BY = [...LEADING, ...IMPRESSION_COLUMNS.map((c) => c.name).filter((n) => !LEADING.includes(n))].map(sqlIdent).join(', ');
/** Which of a contentHash's copies is kept: the earliest received, then the same total order. */
const KEEP_ORDER = ['receptionTimestamp', ...IMPRESSION_COLUMNS.map((c) => c.name).filter((n) => n !== 'receptionTimestamp'), 'previousTime'].map(sqlIdent).join(', ');

/**
 * Writes the window's parts. Rows: received in [start, end), of the given environments; a row
 * whose contentHash was received in [lookbackStart, start) is a retried batch exported before and
 * is dropped, and within the window one row per contentHash is kept. An empty window writes none.
 */
export async function writeExportParts(db: DuckDBInstance, input: ExportPartsInput): Promise<ExportPartsResult> {
  const { window: w, lookbackStart } = input;
  const partRows = input.partRows ?? DEFAULT_PART_ROWS;
  const writeConcurrency = input.writeConcurrency ?? WRITE_CONCURRENCY;
  if (!Number.isInteger(partRows) || partRows < 1) throw new Error(`partRows must be a positive integer, not ${partRows}`);
  if (!Number.isInteger(writeConcurrency) || writeConcurrency < 1) throw new Error(`writeConcurrency must be a positive integer, not ${writeConcurrency}`);
  // The bounds go into the SQL as literals: integers only.
  if (![lookbackStart, w.start, w.end].every(Number.isSafeInteger) || !(lookbackStart <= w.start && w.start <= w.end)) throw new Error(`expected lookbackStart <= start <= end, got ${lookbackStart}, ${w.start}, ${w.end}`);
  if (input.files.length === 0 || input.environments.length === 0 || w.start === w.end) return { parts: [], rows: 0, duplicatesDropped: 0 };

  // Every connection is this call's own, so its session settings die with it, and a cancelled
  // export interrupts whatever query each one is running.
  const conns: DuckDBConnection[] = [];
  const interrupt = () => conns.forEach((c) => c.interrupt());
  input.signal?.addEventListener('abort', interrupt, { once: true });
  const connect = async () => {
    input.signal?.throwIfAborted();
    const c = await db.connect();
    conns.push(c);
    input.signal?.throwIfAborted();
    // Parts are rowid ranges written without an ORDER BY, so a connection must keep the table's
    // order in what it writes; openDuckDb turns insertion order off for the instance (it costs
    // memory elsewhere), so it is on for these sessions only.
    await c.run('SET SESSION preserve_insertion_order = true');
    return c;
  };
  const id = randomUUID().replace(/-/g, '');
  // The ordered rows are a table of the database, not a temp table, so every writing connection
  // sees it; the random name keeps concurrent exports apart.
  const [table, earlier, repeated, winners] = ['export_rows', 'export_earlier', 'export_repeated', 'export_winners'].map((t) => `${t}_${id}`) as [string, string, string, string];
  try {
    const conn = await connect();
    const { rows, duplicatesDropped } = await orderWindowRows(conn, input, { table, earlier, repeated, winners });
    if (rows === 0) return { parts: [], rows, duplicatesDropped };
    await mkdir(input.outDir, { recursive: true });
    const writers = [conn];
    while (writers.length < Math.min(writeConcurrency, Math.ceil(rows / partRows))) writers.push(await connect());
    return { parts: await writeParts(writers, table, rows, partRows, input, interrupt), rows, duplicatesDropped };
  } catch (e) {
    // A cancelled export fails with the cancellation, not with the interrupted query's error.
    input.signal?.throwIfAborted();
    throw e;
  } finally {
    input.signal?.removeEventListener('abort', interrupt);
    // The ordered table belongs to the database, so it is dropped before the connections close
    // (an interrupt stops only the query it hit); temp tables left by a failure go with their
    // connection. Best effort: the query's error is the one to report.
    await conns[0]?.run(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    for (const c of conns) c.closeSync();
  }
}

/**
 * Writes the table's rows as parts, each connection taking the next part when it is done with
 * one. Any failure (a COPY, a finish, the caller's abort) stops the others, interrupting the
 * other connections' queries, and removes every part already written: a failed call leaves no
 * part behind, so nothing half-done is ever taken for an export.
 */
async function writeParts(conns: DuckDBConnection[], table: string, rows: number, partRows: number, input: ExportPartsInput, interrupt: () => void): Promise<ExportPart[]> {
  const count = Math.ceil(rows / partRows);
  const parts: ExportPart[] = [];
  const writer = createPartWriter({ format: input.format, compression: input.compression, finishConcurrency: input.finishConcurrency, signal: input.signal });
  writer.signal.addEventListener('abort', interrupt, { once: true });
  try {
    let next = 0;
    const results = await Promise.allSettled(
      conns.map(async (c) => {
        for (let i = next++; i < count; i = next++) {
          const file = join(input.outDir, partFileName(input.format, input.compression, i));
          const select = `SELECT ${EXPORT_NAMES} FROM ${table} WHERE rowid >= ${i * partRows} AND rowid < ${(i + 1) * partRows}`;
          parts[i] = { file, rows: await writer.write(c, select, file) };
        }
      }),
    );
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    // The writer's first failure is the cause; the other rejections are its echoes (interrupted queries).
    if (failed) throw writer.failure ?? failed.reason;
    await writer.done();
    const written = parts.reduce((n, p) => n + p.rows, 0);
    if (written !== rows) throw new Error(`wrote ${written} rows in ${parts.length} parts, expected ${rows}`);
    return parts;
  } catch (e) {
    await writer.abandon();
    await Promise.all(parts.map((p) => p && rm(p.file, { force: true })));
    throw e;
  } finally {
    writer.signal.removeEventListener('abort', interrupt);
  }
}

/** One call's tables, named apart from any other call's. */
interface WorkTables {
  table: string;
  earlier: string;
  repeated: string;
  winners: string;
}

/**
 * Fills `table` with the window's exported rows in the export's order (its rowids are that
 * order), and counts them and the repeats dropped.
 */
async function orderWindowRows(conn: DuckDBConnection, input: ExportPartsInput, t: WorkTables): Promise<{ rows: number; duplicatesDropped: number }> {
  const { window: w, lookbackStart } = input;
  // union_by_name: files of the intake and of the loader are matched by column name, never by
  // position. filename and file_row_number name a row, so a chosen copy can be picked out again.
  const source = `read_parquet([${input.files.map(sqlString).join(', ')}], hive_partitioning = false, union_by_name = true, filename = true, file_row_number = true)`;
  const inEnvironments = `environmentId IN (${input.environments.map(sqlString).join(', ')})`;
  const inWindow = `${inEnvironments} AND receptionTimestamp >= ${w.start} AND receptionTimestamp < ${w.end}`;
  // Set-based, and only one pass reads whole rows, so 10M rows stay cheap:
  //   1. narrow passes over the hashes: those received in the lookback (a retried batch
  //      exported before), and those repeated inside the window;
  //   2. among the copies of each repeated hash (a few %), the one kept, by KEEP_ORDER;
  //   3. one pass over the window's rows that drops the lookback's hashes and all but the kept
  //      copy of a repeated one, sorted once into a table of the exported columns only (the
  //      hash sorts but is not stored: 0.5-0.8 s less at 10M rows).
  // The table is filled in that order, so its rowids are the export order and a part is a rowid
  // range, with no sort of its own (insertion order is on for the call's sessions). At 10M
  // rows on 2 cores this is 10 s, against 67 s for two window functions over every row.
  await conn.run(
    `CREATE TEMP TABLE ${t.earlier} AS SELECT DISTINCT contentHash FROM ${source}
     WHERE ${inEnvironments} AND receptionTimestamp >= ${lookbackStart} AND receptionTimestamp < ${w.start} AND contentHash IS NOT NULL`,
  );
  await conn.run(`CREATE TEMP TABLE ${t.repeated} AS SELECT contentHash FROM ${source} WHERE ${inWindow} AND contentHash IS NOT NULL GROUP BY contentHash HAVING count(*) > 1`);
  const windowRows = `SELECT ${EXPORT_SELECT}, contentHash, previousTime, filename, file_row_number FROM ${source} WHERE ${inWindow}`;
  await conn.run(
    `CREATE TEMP TABLE ${t.winners} AS SELECT filename, file_row_number FROM (
       SELECT s.* FROM (${windowRows}) s SEMI JOIN ${t.repeated} r ON s.contentHash = r.contentHash ANTI JOIN ${t.earlier} e ON s.contentHash = e.contentHash
     ) QUALIFY row_number() OVER (PARTITION BY contentHash ORDER BY ${KEEP_ORDER}, filename, file_row_number) = 1`,
  );
  await conn.run(
    `CREATE TABLE ${t.table} AS SELECT ${EXPORT_NAMES} FROM (
       SELECT s.* FROM (${windowRows}) s ANTI JOIN ${t.earlier} e ON s.contentHash = e.contentHash
       WHERE s.contentHash IS NULL
          OR s.contentHash NOT IN (SELECT contentHash FROM ${t.repeated})
          OR (s.filename, s.file_row_number) IN (SELECT (filename, file_row_number) FROM ${t.winners})
     ) ORDER BY ${ORDER_BY}`,
  );
  const [counts] = (
    await conn.runAndReadAll(
      `SELECT (SELECT count(*) FROM ${t.table}) AS kept,
              (SELECT count(*) FROM ${source} WHERE ${inWindow}) AS received`,
    )
  ).getRows();
  const rows = Number(counts![0]);
  const duplicatesDropped = Number(counts![1]) - rows;
  // Only the ordered table is needed from here: the others' memory goes to the writes.
  for (const w of [t.earlier, t.repeated, t.winners]) await conn.run(`DROP TABLE ${w}`);
  return { rows, duplicatesDropped };
}
