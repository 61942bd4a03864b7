import { RowCodeBit } from '../domain/codes';
import { EVENT_COLUMNS, REQUIRED_COLUMNS, TIMESTAMP_MAX_MS, TIMESTAMP_MIN_MS } from '../domain/eventSchema';
import { SchemaVerdict } from '../domain/schemaCheck';
import { Chunk } from '../domain/chunkPlan';
import { sqlIdent, sqlString } from './duckdb';

const MISSING_OPTIONAL: Record<string, string> = {
  value: 'NULL::DOUBLE',
  properties: 'NULL::MAP(VARCHAR, VARCHAR)',
};

/**
 * How the SQL reads a contract column from read_parquet(): by its position in the file (`#n`).
 * By name it would not be exact: DuckDB matches "key" to a `Key` column too, and when a file
 * has both it renames the later one (`key_1`), so the name reads whichever comes first.
 * Verdicts recorded before positions were added fall back to the name.
 */
function contractColumn(verdict: SchemaVerdict, name: string): string {
  const position = verdict.columnPositions?.[name];
  return position === undefined ? sqlIdent(name) : `#${position}`;
}

/**
 * The chunk's rows in contract shape, plus `_row` (0-based row number in the file) and
 * `_mask` (the row's error codes as RowCodeBit bits; 0 = valid). Every contract column is
 * projected, so every column of the chunk is decoded; the file's other columns are not read.
 * Only called for schema-valid files.
 */
export function flaggedRowsSql(path: string, verdict: SchemaVerdict, chunk: Chunk, environments: readonly string[]): string {
  const projections = EVENT_COLUMNS.map((c) => {
    if (!verdict.presentColumns.includes(c.name)) return `${MISSING_OPTIONAL[c.name]} AS ${sqlIdent(c.name)}`;
    const column = contractColumn(verdict, c.name);
    if (c.name === 'timestamp' && verdict.timestampEncoding === 'timestamp_millis') {
      return `epoch_ms(${column}) AS ${sqlIdent(c.name)}`;
    }
    return `${column} AS ${sqlIdent(c.name)}`;
  });
  const anyRequiredNull = REQUIRED_COLUMNS.map((c) => `${sqlIdent(c)} IS NULL`).join(' OR ');
  const envList = `[${environments.map(sqlString).join(', ')}]::VARCHAR[]`;
  const end = chunk.firstRow + chunk.rowCount;
  return `
    SELECT *,
      (CASE WHEN ${anyRequiredNull} THEN ${RowCodeBit.REQUIRED_FIELDS_NULL} ELSE 0 END)
      + (CASE WHEN "environmentId" IS NOT NULL AND NOT list_contains(${envList}, "environmentId") THEN ${RowCodeBit.INVALID_ENVIRONMENT_ID} ELSE 0 END)
      + (CASE WHEN "timestamp" IS NOT NULL AND ("timestamp" < ${TIMESTAMP_MIN_MS} OR "timestamp" >= ${TIMESTAMP_MAX_MS}) THEN ${RowCodeBit.INVALID_TIMESTAMP} ELSE 0 END)
      AS _mask
    FROM (
      SELECT file_row_number AS _row, ${projections.join(', ')}
      FROM read_parquet(${sqlString(path)}, file_row_number = true)
      WHERE file_row_number >= ${chunk.firstRow} AND file_row_number < ${end}
    )`;
}

/**
 * One row per mask with what the status entry needs. Samples are the smallest distinct
 * values, so they are deterministic. count(value) and count(properties) force the
 * optional columns to be decoded: a corrupt page there must not pass unnoticed.
 */
export function groupAggregatesSql(flaggedSql: string): string {
  const nullCounts = REQUIRED_COLUMNS.map(
    (c) => `count(*) FILTER (WHERE ${sqlIdent(c)} IS NULL AND _mask & ${RowCodeBit.REQUIRED_FIELDS_NULL} <> 0) AS ${sqlIdent('null_' + c)}`,
  ).join(',\n      ');
  return `
    SELECT _mask AS mask, count(*)::BIGINT AS rows, min(_row)::BIGINT AS first_row, max(_row)::BIGINT AS last_row,
      ${nullCounts},
      list_sort(list(DISTINCT "environmentId") FILTER (WHERE _mask & ${RowCodeBit.INVALID_ENVIRONMENT_ID} <> 0))[1:3] AS env_samples,
      list_sort(list(DISTINCT "timestamp") FILTER (WHERE _mask & ${RowCodeBit.INVALID_TIMESTAMP} <> 0))[1:3] AS ts_samples,
      count("value") AS _decoded_values, count("properties") AS _decoded_properties
    FROM (${flaggedSql})
    GROUP BY _mask ORDER BY _mask`;
}
