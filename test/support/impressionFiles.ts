import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { writeFile } from 'node:fs/promises';
import { queryObjects, sqlString, withConnection, type DuckDBInstance } from '../../src/parquet/duckdb';
import { INTAKE_COLUMNS } from '../../src/parquet/impressionSql';
import { VENV_PYTHON } from './paths';

/** Impression files for the loader's tests (`intake load`), and what the warehouse must hold for them. */

/** An impression as a file holds it; Long columns as bigint so 2^63-1 stays exact. */
export type Row = Record<string, string | bigint | number | null>;

const LONG = new Set(INTAKE_COLUMNS.filter((c) => c.type === 'Long').map((c) => c.name));
export const T0 = Date.UTC(2026, 0, 2, 10, 5, 0);

/** Three impressions with every column: nulls where allowed, quotes, unicode, an environment id with '/' and '='. */
export const EVERY_COLUMN: Row[] = [
  { key: 'user-1', label: 'default rule', treatment: 'on', splitName: 'checkout_flow', splitVersion: 1767348000001n, properties: '{"plan":"pro"}', environmentId: 'env-a', trafficTypeId: 'user', sdk: 'nodejs', sdkVersion: '11.11.2', machineName: 'host-1', machineIp: '10.0.0.1', timestamp: BigInt(T0 - 1500), receptionTimestamp: BigInt(T0 + 59_999), bucketingKey: 'bk-1', previousTime: BigInt(T0 - 86_400_000), note: 'ignored' },
  { key: `o'brien "quoted" ✓ \\ tab\t`, label: null, treatment: 'off', splitName: 'new_search', splitVersion: 9223372036854775807n, properties: null, environmentId: 'env/b=2 weird', trafficTypeId: 'account', sdk: 'python', sdkVersion: '10.2.0', machineName: null, machineIp: null, timestamp: BigInt(T0), receptionTimestamp: BigInt(T0 + 60_000), bucketingKey: null, previousTime: null, note: null },
  { key: 'user-3', label: 'in segment beta', treatment: 'v2', splitName: 'checkout_flow', splitVersion: null, properties: '{}', environmentId: 'env-a', trafficTypeId: 'user', sdk: 'go', sdkVersion: '6.1.0', machineName: 'host-3', machineIp: null, timestamp: BigInt(T0 - 1), receptionTimestamp: BigInt(T0), bucketingKey: 'bk-3', previousTime: null, note: 'x' },
];

/** JSON text with bigints as plain numbers (JSON.stringify cannot write them). */
export const jsonText = (v: unknown): string => JSON.stringify(v, (_k, x: unknown) => (typeof x === 'bigint' ? `@@${x}@@` : x)).replace(/"@@(-?\d+)@@"/g, '$1');

export async function writeJsonl(path: string, rows: readonly Row[]): Promise<string> {
  await writeFile(path, rows.map(jsonText).join('\n') + '\n');
  return path;
}

/** Parquet from pyarrow, an independent writer: strings as UTF8, Long columns as INT64, `note` as a string. */
export function writeParquetWithPyarrow(path: string, rows: readonly Row[], columns: readonly [string, string][] = pyarrowColumns(rows)): string {
  const script = `import json, sys, pyarrow as pa, pyarrow.parquet as pq
spec = json.load(sys.stdin)
pq.write_table(pa.table({n: pa.array([r.get(n) for r in spec["rows"]], type=getattr(pa, t)()) for n, t in spec["columns"]}), spec["path"])`;
  execFileSync(VENV_PYTHON, ['-c', script], { input: jsonText({ path, rows, columns }), stdio: ['pipe', 'pipe', 'pipe'] });
  return path;
}

export const pyarrowColumns = (rows: readonly Row[]): [string, string][] => Object.keys(rows[0]!).map((n) => [n, LONG.has(n) ? 'int64' : 'string']);

/** The loaded rows with every stored column, ordered by key; DuckDB gives BIGINT as bigint. Folders like env=/minute= are not columns. */
export async function readBack(db: DuckDBInstance, files: readonly string[]): Promise<Record<string, unknown>[]> {
  const rows = await withConnection(db, (c) => queryObjects(c, `SELECT * FROM read_parquet([${files.map(sqlString).join(', ')}], hive_partitioning = false) ORDER BY "key"`));
  return rows.map((r) => ({ ...r, contentHash: r.contentHash === null ? null : String(r.contentHash) }));
}

/** The content hash as DECISIONS defines it, computed here without DuckDB: MD5 of the JSON array, as a UUID. */
/** The content hash computed without DuckDB: MD5 of the JSON array of CONTENT_HASH_FIELDS, as a UUID. */
export function expectedHash(r: Row, sdkKeyId: string | null = null): string {
  const fields = [sdkKeyId, r.environmentId, r.splitName, r.key, r.bucketingKey ?? null, r.treatment, r.timestamp, r.splitVersion ?? null, r.label ?? null, r.properties ?? null];
  const hex = createHash('md5').update(jsonText(fields)).digest('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** What the warehouse must hold for a file's row: every stored column, in order. */
export function expectedStored(r: Row, loadTimeMs?: number): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const c of INTAKE_COLUMNS) {
    const v = r[c.name] ?? null;
    out[c.name] = c.type === 'Long' && v !== null ? BigInt(v) : v;
  }
  if (out.receptionTimestamp === null && loadTimeMs !== undefined) out.receptionTimestamp = BigInt(loadTimeMs);
  out.sdkKeyId = null;
  out.contentHash = expectedHash(r);
  return out;
}

export const byKey = (rows: readonly Row[]) => [...rows].sort((a, b) => (String(a.key) < String(b.key) ? -1 : 1));
