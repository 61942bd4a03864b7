import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sdkBulkBody, type WireBulkBody } from '../../src/dev/sdkImpressions';
import { queryObjects, sqlString, withConnection, type DuckDBInstance } from '../../src/parquet/duckdb';
import { type BatchContext, writeSdkBatchParquet } from '../../src/parquet/impressionBatch';
import { duckType } from '../../src/parquet/impressionSql';
import { IMPRESSION_COLUMNS } from '../../src/domain/impressions/impressionSchema';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parquet = require('parquetjs-lite');

/** Intake files for the export's tests, made the way the intake makes them (writeSdkBatchParquet). */

let seq = 0;

export const NODE_IDENTITY = { sdk: 'nodejs', sdkVersion: '11.11.2', machineName: 'web-7', machineIp: '10.0.0.7', mode: 'DEBUG' as const };

/** What an intake knows of a batch: here the environment and reception time vary, the rest is one SDK key's. */
export function batchContext(environmentId: string, receptionMs: number, sdkKeyId = 'key-1'): BatchContext {
  return { receptionMs, identity: NODE_IDENTITY, sdkKeyId, environmentId, trafficTypeId: 'user', flagTrafficTypes: {} };
}

/** One stored batch as a local Parquet file, from an SDK bulk body; returns its path. */
export async function intakeFile(db: DuckDBInstance, dir: string, body: WireBulkBody, ctx: BatchContext): Promise<string> {
  await mkdir(dir, { recursive: true });
  const n = seq++;
  const bodyFile = join(dir, `body-${n}.json`);
  const out = join(dir, `${ctx.receptionMs}-${n}.parquet`);
  await writeFile(bodyFile, JSON.stringify(body));
  await withConnection(db, (c) => writeSdkBatchParquet(c, bodyFile, out, ctx));
  return out;
}

/** A body of `n` impressions of one flag, each distinct (its own key), times from `startMs`. */
export const distinctBody = (n: number, startMs: number, flag = 'flag_0'): WireBulkBody => [{ f: flag, i: sdkBulkBody(1, n, startMs)[0]!.i }];

/** Rows of Parquet files as DuckDB reads them, in file order then row order; Long columns as bigint. */
export async function readParts(db: DuckDBInstance, files: readonly string[]): Promise<Record<string, unknown>[]> {
  if (files.length === 0) return [];
  const list = `[${files.map(sqlString).join(', ')}]`;
  return withConnection(db, (c) =>
    queryObjects(c, `SELECT * EXCLUDE (filename, file_row_number) FROM read_parquet(${list}, filename = true, file_row_number = true, hive_partitioning = false) ORDER BY list_position(${list}, filename), file_row_number`),
  );
}

/**
 * Rows of exported JSON-lines or CSV files as DuckDB reads them, in file order then row order.
 * These readers have no file_row_number, so the connection keeps insertion order for the query
 * (openDuckDb turns it off instance-wide, and then a later file's rows may come first).
 */
export async function readTextParts(db: DuckDBInstance, format: 'jsonl' | 'csv', files: readonly string[], compression?: 'gzip'): Promise<Record<string, unknown>[]> {
  if (files.length === 0) return [];
  const list = `[${files.map(sqlString).join(', ')}]`;
  const codec = compression ? `compression = '${compression}', ` : '';
  const source =
    format === 'jsonl'
      ? `read_json(${list}, format = 'newline_delimited', ${codec}columns = ${COLUMNS_SQL})`
      : // allow_quoted_nulls = false: "" is the empty string, and only an empty unquoted field is null.
        `read_csv(${list}, header = true, delim = ',', quote = '"', escape = '"', ${codec}allow_quoted_nulls = false, columns = ${COLUMNS_SQL})`;
  // The setting dies with the connection, which withConnection closes.
  return withConnection(db, async (c) => {
    await c.run('SET SESSION preserve_insertion_order = true');
    return queryObjects(c, `SELECT * FROM ${source}`);
  });
}

/** DuckDB's column list for reading exported JSON lines and CSV: the seed's names and types, so nothing is guessed. */
export const COLUMNS_SQL = `{${IMPRESSION_COLUMNS.map((c) => `${sqlString(c.name)}: ${sqlString(duckType(c.type))}`).join(', ')}}`;

/** The contract's columns of a row, in the seed's order. */
export const contractRow = (r: Record<string, unknown>): Record<string, unknown> => Object.fromEntries(IMPRESSION_COLUMNS.map((c) => [c.name, r[c.name]]));

/** Each Parquet leaf column of a file: name, physical type, converted and logical type, repetition. */
export async function parquetColumns(db: DuckDBInstance, file: string): Promise<{ name: string; type: string; converted: string | null; logical: string | null; repetition: string }[]> {
  const rows = await withConnection(db, (c) =>
    queryObjects(c, `SELECT name, type, converted_type, logical_type, repetition_type FROM parquet_schema(${sqlString(file)}) WHERE num_children IS NULL OR num_children = 0`),
  );
  return rows.map((r) => ({ name: String(r.name), type: String(r.type), converted: r.converted_type === null ? null : String(r.converted_type), logical: r.logical_type === null ? null : String(r.logical_type), repetition: String(r.repetition_type) }));
}

/** The codec of every column chunk of a file, as its footer names it (SNAPPY, GZIP, ZSTD, UNCOMPRESSED). */
export async function parquetCodecs(db: DuckDBInstance, file: string): Promise<string[]> {
  const rows = await withConnection(db, (c) => queryObjects(c, `SELECT DISTINCT compression FROM parquet_metadata(${sqlString(file)}) ORDER BY 1`));
  return rows.map((r) => String(r.compression));
}

/** The order the export promises, as JS sorts it: reception, environment, flag, key, time. */
const EXPORT_ORDER = ['receptionTimestamp', 'environmentId', 'splitName', 'key', 'timestamp'] as const;
export function inExportOrder(rows: readonly Record<string, unknown>[]): Record<string, unknown>[] {
  return [...rows].sort((a, b) => {
    for (const c of EXPORT_ORDER) if (a[c] !== b[c]) return (a[c] as string | bigint) < (b[c] as string | bigint) ? -1 : 1;
    return 0;
  });
}

/**
 * The seed's columns of a record another reader gave, absent optionals as null and Longs as
 * bigint, as DuckDB gives them. parquetjs-lite gives an INT64 as a bigint from a plain page but as
 * its decimal string from a dictionary page (it stringifies every dictionary); parquet-mr's JSON
 * gives a number.
 */
export const seedRow = (r: Record<string, unknown>) =>
  Object.fromEntries(IMPRESSION_COLUMNS.map((c) => [c.name, r[c.name] === undefined || r[c.name] === null ? null : c.type === 'Long' ? BigInt(r[c.name] as string | number | bigint) : r[c.name]]));

/** A Parquet file's rows through parquetjs-lite, a reader independent of DuckDB. */
export async function readWithParquetjs(file: string): Promise<Record<string, unknown>[]> {
  const reader = await parquet.ParquetReader.openFile(file);
  try {
    const cursor = reader.getCursor();
    const rows: Record<string, unknown>[] = [];
    for (let r = await cursor.next(); r; r = await cursor.next()) rows.push(seedRow(r));
    return rows;
  } finally {
    await reader.close();
  }
}
