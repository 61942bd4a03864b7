import { randomUUID } from 'node:crypto';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { type ExportCodec, type ExportFormat, partFileName } from '../domain/export/formats';
import type { ExportWindow } from '../domain/export/windows';
import { IMPRESSION_COLUMNS } from '../domain/impressions/impressionSchema';
import { type DuckDBConnection, sqlIdent, sqlString } from './duckdb';
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
export async function writeExportParts(conn: DuckDBConnection, input: ExportPartsInput): Promise<ExportPartsResult> {
  const { window: w, lookbackStart } = input;
  const partRows = input.partRows ?? DEFAULT_PART_ROWS;
  if (!Number.isInteger(partRows) || partRows < 1) throw new Error(`partRows must be a positive integer, not ${partRows}`);
  // The bounds go into the SQL as literals: integers only.
  if (![lookbackStart, w.start, w.end].every(Number.isSafeInteger) || !(lookbackStart <= w.start && w.start <= w.end)) throw new Error(`expected lookbackStart <= start <= end, got ${lookbackStart}, ${w.start}, ${w.end}`);
  if (input.files.length === 0 || input.environments.length === 0 || w.start === w.end) return { parts: [], rows: 0, duplicatesDropped: 0 };

  // union_by_name: files of the intake and of the loader are matched by column name, never by
  // position. filename and file_row_number name a row, so a chosen copy can be picked out again.
  const source = `read_parquet([${input.files.map(sqlString).join(', ')}], hive_partitioning = false, union_by_name = true, filename = true, file_row_number = true)`;
  const inEnvironments = `environmentId IN (${input.environments.map(sqlString).join(', ')})`;
  const inWindow = `${inEnvironments} AND receptionTimestamp >= ${w.start} AND receptionTimestamp < ${w.end}`;
  const id = randomUUID().replace(/-/g, '');
  const [table, earlier, repeated, winners] = ['export_rows', 'export_earlier', 'export_repeated', 'export_winners'].map((t) => `${t}_${id}`) as [string, string, string, string];
  // Parts are rowid ranges written without an ORDER BY, so this connection must keep the table's
  // order in what it writes; openDuckDb turns insertion order off for the instance (it costs
  // memory elsewhere), so it is turned on for this session only, and restored after.
  const [[ordered]] = (await conn.runAndReadAll(`SELECT current_setting('preserve_insertion_order')`)).getRows() as [[boolean]];
  await conn.run('SET SESSION preserve_insertion_order = true');
  try {
    // Set-based, and only one pass reads whole rows, so 10M rows stay cheap:
    //   1. narrow passes over the hashes: those received in the lookback (a retried batch
    //      exported before), and those repeated inside the window;
    //   2. among the copies of each repeated hash (a few %), the one kept, by KEEP_ORDER;
    //   3. one pass over the window's rows that drops the lookback's hashes and all but the kept
    //      copy of a repeated one, sorted once into a table.
    // The table is filled in that order, so its rowids are the export order and a part is a rowid
    // range, with no sort of its own (insertion order is on for this session, see above). At 10M
    // rows on 2 cores this is 10 s, against 67 s for two window functions over every row.
    await conn.run(
      `CREATE TEMP TABLE ${earlier} AS SELECT DISTINCT contentHash FROM ${source}
       WHERE ${inEnvironments} AND receptionTimestamp >= ${lookbackStart} AND receptionTimestamp < ${w.start} AND contentHash IS NOT NULL`,
    );
    await conn.run(`CREATE TEMP TABLE ${repeated} AS SELECT contentHash FROM ${source} WHERE ${inWindow} AND contentHash IS NOT NULL GROUP BY contentHash HAVING count(*) > 1`);
    const windowRows = `SELECT ${EXPORT_SELECT}, contentHash, previousTime, filename, file_row_number FROM ${source} WHERE ${inWindow}`;
    await conn.run(
      `CREATE TEMP TABLE ${winners} AS SELECT filename, file_row_number FROM (
         SELECT s.* FROM (${windowRows}) s SEMI JOIN ${repeated} r ON s.contentHash = r.contentHash ANTI JOIN ${earlier} e ON s.contentHash = e.contentHash
       ) QUALIFY row_number() OVER (PARTITION BY contentHash ORDER BY ${KEEP_ORDER}, filename, file_row_number) = 1`,
    );
    await conn.run(
      `CREATE TEMP TABLE ${table} AS SELECT * EXCLUDE (filename, file_row_number) FROM (
         SELECT s.* FROM (${windowRows}) s ANTI JOIN ${earlier} e ON s.contentHash = e.contentHash
         WHERE s.contentHash IS NULL
            OR s.contentHash NOT IN (SELECT contentHash FROM ${repeated})
            OR (s.filename, s.file_row_number) IN (SELECT (filename, file_row_number) FROM ${winners})
       ) ORDER BY ${ORDER_BY}`,
    );
    const [counts] = (
      await conn.runAndReadAll(
        `SELECT (SELECT count(*) FROM ${table}) AS kept,
                (SELECT count(*) FROM ${source} WHERE ${inWindow}) AS received`,
      )
    ).getRows();
    const rows = Number(counts![0]);
    const duplicatesDropped = Number(counts![1]) - rows;

    const parts: ExportPart[] = [];
    if (rows > 0) await mkdir(input.outDir, { recursive: true });
    const writer = createPartWriter(conn, { format: input.format, compression: input.compression, finishConcurrency: input.finishConcurrency, signal: input.signal });
    try {
      for (let i = 0; i * partRows < rows; i++) {
        const file = join(input.outDir, partFileName(input.format, input.compression, i));
        const select = `SELECT ${EXPORT_NAMES} FROM ${table} WHERE rowid >= ${i * partRows} AND rowid < ${(i + 1) * partRows}`;
        parts.push({ file, rows: await writer.write(select, file) });
      }
      await writer.done();
    } catch (e) {
      await writer.abandon();
      throw e;
    }
    const written = parts.reduce((n, p) => n + p.rows, 0);
    if (written !== rows) throw new Error(`wrote ${written} rows in ${parts.length} parts, expected ${rows}`);
    return { parts, rows, duplicatesDropped };
  } finally {
    // Best effort: after an interrupted query the table dies with the connection anyway, and the query's error is the one to report.
    for (const t of [table, earlier, repeated, winners]) await conn.run(`DROP TABLE IF EXISTS ${t}`).catch(() => undefined);
    await conn.run(`SET SESSION preserve_insertion_order = ${ordered ? 'true' : 'false'}`).catch(() => undefined);
  }
}
