/**
 * The generated event file: about 1% invalid rows, every row code, and code combinations; and the
 * counts the generator expects, computed independently of any SQL.
 */
import { existsSync } from 'node:fs';
import { readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { DuckDBInstance as RawDuckDBInstance } from '@duckdb/node-api';
import { sqlString } from '../src/parquet/duckdb';
import { addCount, codesOf, ComboCounts } from './combos';
import { seconds } from './format';
import { DUCKDB_THREADS, OUT_DIR } from './params';

/**
 * Row i (0-based) of a bench file; times lie within one day, as in an hourly or daily export.
 * - i % 400 = 7: one required column is null, in turn environmentId, trafficTypeId,
 *   eventTypeId, key, timestamp ((i div 400) % 5)               → REQUIRED_FIELDS_NULL
 * - i % 401 = 5: environmentId 'env-unknown' (unless it is null)  → INVALID_ENVIRONMENT_ID
 * - i % 397 = 3: timestamp in seconds; i % 397 = 200: in microseconds (unless null) → INVALID_TIMESTAMP
 * - value is null on every 10th row, properties on every 4th.
 */
function benchEventsSql(rows: number): string {
  const nullHere = (col: number) => `i % 400 = 7 AND (i // 400) % 5 = ${col}`;
  return `SELECT
      CASE WHEN ${nullHere(0)} THEN NULL WHEN i % 401 = 5 THEN 'env-unknown' ELSE ['env-a', 'env-b', 'env-c'][1 + i % 3] END AS "environmentId",
      CASE WHEN ${nullHere(1)} THEN NULL WHEN i % 7 = 0 THEN 'account' ELSE 'user' END AS "trafficTypeId",
      CASE WHEN ${nullHere(2)} THEN NULL ELSE ['page_view', 'click', 'add_to_cart', 'checkout', 'signup'][1 + i % 5] END AS "eventTypeId",
      CASE WHEN ${nullHere(3)} THEN NULL ELSE 'user-' || (i * 7919 % 1000003) END AS "key",
      (CASE WHEN ${nullHere(4)} THEN NULL
            WHEN i % 397 = 3 THEN 1700000000 + i // 125
            WHEN i % 397 = 200 THEN (1700000000000 + i * 8) * 1000
            ELSE 1700000000000 + i * 8 END)::BIGINT AS "timestamp",
      CASE WHEN i % 10 = 0 THEN NULL ELSE (i % 10000) * 0.25 END::DOUBLE AS "value",
      CASE WHEN i % 4 = 0 THEN NULL
           ELSE MAP {'plan': ['free', 'pro', 'enterprise'][1 + i % 3], 'country': ['US', 'DE', 'FR', 'BR', 'JP', 'IN'][1 + i % 6]} END AS "properties"
    FROM range(${rows}) t(i)`;
}

/** The row codes benchEventsSql gives row i, computed independently of any SQL. */
function expectedCodesOfRow(i: number): string {
  const nullColumn = i % 400 === 7 ? Math.floor(i / 400) % 5 : -1;
  let mask = nullColumn >= 0 ? 1 : 0;
  if (nullColumn !== 0 && i % 401 === 5) mask |= 2;
  if (nullColumn !== 4 && (i % 397 === 3 || i % 397 === 200)) mask |= 4;
  return codesOf(mask);
}

export function expectedCombos(rows: number): ComboCounts {
  const m: ComboCounts = new Map();
  for (let i = 0; i < rows; i++) addCount(m, expectedCodesOfRow(i), 1);
  return m;
}

export interface EventFile {
  path: string;
  rows: number;
  bytes: number;
  rowGroups: number;
  reused: boolean;
  generationSeconds: number;
}

function generationParams(rows: number): string {
  const copy = 'FORMAT parquet, COMPRESSION snappy';
  return JSON.stringify({ rows, copy, sqlSha256: createHash('sha256').update(benchEventsSql(rows)).digest('hex') });
}

/** Writes the file with DuckDB (default row groups, rows in order), unless the same parameters made it before. */
export async function ensureEventFile(rows: number): Promise<EventFile> {
  const path = join(OUT_DIR, `events-${rows}.snappy.parquet`);
  const paramsPath = `${path}.params.json`;
  const params = generationParams(rows);
  const reused = existsSync(path) && existsSync(paramsPath) && (await readFile(paramsPath, 'utf8')) === params;
  const started = performance.now();
  if (!reused) {
    await rm(paramsPath, { force: true });
    await writeEventFile(path, rows);
    await writeFile(paramsPath, params);
  }
  const generationSeconds = seconds(performance.now() - started);
  return { path, rows, bytes: (await stat(path)).size, rowGroups: await countRowGroups(path), reused, generationSeconds };
}

async function writeEventFile(path: string, rows: number): Promise<void> {
  const tmp = `${path}.tmp`;
  const db = await RawDuckDBInstance.create(':memory:', { threads: String(DUCKDB_THREADS), memory_limit: '2GB', temp_directory: OUT_DIR });
  try {
    const conn = await db.connect();
    try {
      await conn.run(`COPY (${benchEventsSql(rows)}) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION snappy)`);
    } finally {
      conn.closeSync();
    }
  } finally {
    db.closeSync();
  }
  await rename(tmp, path);
}

async function countRowGroups(path: string): Promise<number> {
  const db = await RawDuckDBInstance.create(':memory:', { threads: '1' });
  try {
    const conn = await db.connect();
    try {
      const reader = await conn.runAndReadAll(`SELECT count(DISTINCT row_group_id)::INTEGER AS n FROM parquet_metadata(${sqlString(path)})`);
      return Number(reader.getRowObjectsJS()[0]?.n);
    } finally {
      conn.closeSync();
    }
  } finally {
    db.closeSync();
  }
}
