import { CONTENT_HASH_FIELDS, IMPRESSION_COLUMNS, INTAKE_EXTRA_COLUMNS } from '../domain/impressions/impressionSchema';
import { SDK_IMPRESSION_FIELDS } from '../domain/impressions/sdkProtocol';
import { sqlIdent, sqlString } from './duckdb';

/** DuckDB's type for a contract type. */
export const duckType = (t: 'String' | 'Long' | 'UUID'): string => ({ String: 'VARCHAR', Long: 'BIGINT', UUID: 'UUID' })[t];

/** Every column the warehouse's impression files hold, in order: the contract's, then ours. */
export const INTAKE_COLUMNS: readonly { name: string; type: 'String' | 'Long' | 'UUID' }[] = [...IMPRESSION_COLUMNS, ...INTAKE_EXTRA_COLUMNS];

/**
 * The content hash the export deduplicates on, over expressions for CONTENT_HASH_FIELDS: MD5 of
 * a JSON array (unambiguous, nulls kept as null) stored as a 16-byte UUID. One definition, so
 * the intake and the loader hash alike.
 */
export function contentHashSql(exprs: Record<(typeof CONTENT_HASH_FIELDS)[number], string>): string {
  return `md5(json_array(${CONTENT_HASH_FIELDS.map((f) => exprs[f]).join(', ')}))::UUID`;
}

/** read_json's `columns` for one flag's entry of an SDK bulk body, from the wire table. */
export function sdkBulkJsonColumns(): string {
  const fields = SDK_IMPRESSION_FIELDS.map((f) => `${sqlIdent(f.wire)} ${duckType(f.type)}`).join(', ');
  return `{f: 'VARCHAR', i: ${sqlString(`STRUCT(${fields})[]`)}}`;
}

/** A CASE over a small flag → value map, with a default; keys and values are SQL-quoted. */
export function perFlagSql(flagExpr: string, map: Record<string, string>, fallback: string): string {
  const entries = Object.entries(map);
  if (entries.length === 0) return sqlString(fallback);
  return `CASE ${flagExpr} ${entries.map(([f, v]) => `WHEN ${sqlString(f)} THEN ${sqlString(v)}`).join(' ')} ELSE ${sqlString(fallback)} END`;
}

/** A nullable string constant. */
export const sqlNullableString = (v: string | null): string => (v === null ? 'NULL::VARCHAR' : sqlString(v));
