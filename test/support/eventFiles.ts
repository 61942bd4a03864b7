import { execFileSync } from 'node:child_process';
import { DuckDBInstance, sqlString, withConnection } from '../../src/parquet/duckdb';

export type InnerCodec = 'snappy' | 'gzip' | 'zstd' | 'uncompressed';

export { expectedRowCodes, expectedCounts, eventsSql, GOOD_ENVIRONMENTS } from '../../src/dev/sampleEvents';
import { eventsSql } from '../../src/dev/sampleEvents';

export async function writeParquet(
  db: DuckDBInstance,
  path: string,
  selectSql: string,
  opts: { codec?: InnerCodec; rowGroupSize?: number } = {},
): Promise<void> {
  await withConnection(db, (c) =>
    c.run(
      `COPY (${selectSql}) TO ${sqlString(path)} (FORMAT parquet, COMPRESSION ${opts.codec ?? 'snappy'}, ROW_GROUP_SIZE ${opts.rowGroupSize ?? 122880})`,
    ),
  );
}

export async function writeEventFile(db: DuckDBInstance, path: string, n: number, opts: { codec?: InnerCodec; rowGroupSize?: number } = {}) {
  await writeParquet(db, path, eventsSql(n), opts);
}

/** Whole-file compression with the system tools, as a customer's pipeline would do it. */
export function compressWhole(path: string, kind: 'gzip' | 'bzip2'): string {
  execFileSync(kind, ['-kf', path]);
  return path + (kind === 'gzip' ? '.gz' : '.bz2');
}
