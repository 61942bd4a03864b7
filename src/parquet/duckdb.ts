import { DuckDBConnection, DuckDBInstance } from '@duckdb/node-api';

export interface DuckDbSettings {
  /** e.g. '512MB'; DuckDB spills to tempDirectory beyond it. */
  memoryLimit: string;
  threads: number;
  tempDirectory: string;
}

export type { DuckDBConnection, DuckDBInstance };

export async function openDuckDb(settings: DuckDbSettings): Promise<DuckDBInstance> {
  return DuckDBInstance.create(':memory:', {
    memory_limit: settings.memoryLimit,
    threads: String(settings.threads),
    temp_directory: settings.tempDirectory,
    // Keep insertion order off: we never rely on it and it costs memory on large COPYs.
    preserve_insertion_order: 'false',
  });
}

/** Runs `fn` on a fresh connection (cheap in DuckDB) and always closes it. */
export async function withConnection<T>(db: DuckDBInstance, fn: (c: DuckDBConnection) => Promise<T>): Promise<T> {
  const conn = await db.connect();
  try {
    return await fn(conn);
  } finally {
    conn.closeSync();
  }
}

/** A SQL string literal. */
export function sqlString(s: string): string {
  return `'${s.replace(/'/g, "''")}'`;
}

/** A SQL identifier, quoted. */
export function sqlIdent(s: string): string {
  return `"${s.replace(/"/g, '""')}"`;
}

export async function queryObjects(conn: DuckDBConnection, sql: string): Promise<Record<string, unknown>[]> {
  const reader = await conn.runAndReadAll(sql);
  return reader.getRowObjectsJS() as Record<string, unknown>[];
}
