import { DuckDBConnection, queryObjects, sqlString } from './duckdb';
import { ParquetSchemaElement } from '../domain/schemaCheck';

export interface ParquetFooter {
  numRows: number;
  rowGroupRows: number[];
  /** Distinct codecs of the file's column chunks, e.g. ['SNAPPY']. */
  codecs: string[];
  schema: ParquetSchemaElement[];
}

const num = (v: unknown) => (v === null || v === undefined ? null : Number(v));
const str = (v: unknown) => (v === null || v === undefined ? null : String(v));

/** Reads only the footer: schema, row groups and codecs. Throws when the file is not readable Parquet. */
export async function readFooter(conn: DuckDBConnection, path: string): Promise<ParquetFooter> {
  const schemaRows = await queryObjects(
    conn,
    `SELECT name, type, repetition_type, num_children, converted_type, logical_type FROM parquet_schema(${sqlString(path)})`,
  );
  const schema = schemaRows.map((r) => ({
    name: String(r.name),
    type: str(r.type),
    repetitionType: str(r.repetition_type),
    numChildren: num(r.num_children),
    convertedType: str(r.converted_type),
    logicalType: str(r.logical_type),
  }));
  const groups = await queryObjects(
    conn,
    `SELECT row_group_id, any_value(row_group_num_rows)::BIGINT AS rows, list(DISTINCT compression) AS codecs
       FROM parquet_metadata(${sqlString(path)}) GROUP BY row_group_id ORDER BY row_group_id`,
  );
  const rowGroupRows = groups.map((g) => Number(g.rows));
  const codecs = [...new Set(groups.flatMap((g) => (g.codecs as string[]).map(String)))].sort();
  const meta = await queryObjects(conn, `SELECT num_rows::BIGINT AS n FROM parquet_file_metadata(${sqlString(path)})`);
  return { numRows: Number(meta[0]?.n ?? 0), rowGroupRows, codecs, schema };
}
