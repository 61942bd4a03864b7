import { readdir, rm } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { DuckDBConnection, sqlString } from '../parquet/duckdb';
import { flaggedRowsSql } from '../parquet/rowRulesSql';
import { SchemaVerdict } from '../domain/schemaCheck';
import { Chunk } from '../domain/chunkPlan';

export interface StagedFile {
  /** e.g. `environmentId=env-a/event_date=2024-01-31` */
  partitionPath: string;
  localPath: string;
}

async function listFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile()).map((e) => join(e.parentPath, e.name));
}

/**
 * Writes the chunk's valid rows as snappy Parquet, Hive-partitioned by environmentId and
 * event date (UTC), into a fresh local directory. Timestamps are stored as epoch-ms INT64.
 */
export async function stageValidRows(
  conn: DuckDBConnection,
  path: string,
  verdict: SchemaVerdict,
  chunk: Chunk,
  environments: readonly string[],
  stageDir: string,
): Promise<StagedFile[]> {
  await rm(stageDir, { recursive: true, force: true });
  const flagged = flaggedRowsSql(path, verdict, chunk, environments);
  await conn.run(`
    COPY (
      SELECT "environmentId", "trafficTypeId", "eventTypeId", "key", "timestamp", "value", "properties",
             epoch_ms("timestamp")::DATE AS event_date
      FROM (${flagged}) WHERE _mask = 0
    ) TO ${sqlString(stageDir)} (FORMAT parquet, COMPRESSION snappy, PARTITION_BY ("environmentId", event_date))`);
  const files = await listFiles(stageDir).catch(() => []);
  return files.sort().map((localPath) => ({ partitionPath: relative(stageDir, join(localPath, '..')), localPath }));
}
