import { mkdir, readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CONTENT_HASH_FIELDS, IMPRESSION_COLUMNS, impressionSchema, INTAKE_EXTRA_COLUMNS } from '../domain/impressions/impressionSchema';
import { openDuckDb, queryObjects, sqlIdent, sqlString, type DuckDBConnection, type DuckDBInstance, type DuckDbSettings } from './duckdb';
import { contentHashSql, INTAKE_COLUMNS } from './impressionSql';

/**
 * The loader's half in DuckDB (`intake load <file>`): a Parquet or JSON lines file in the seed's
 * impression schema is checked and turned into the warehouse's impression files, one per
 * (environment, reception minute), on local disk. Set-based: one checking pass that also counts
 * the partitions, one COPY ... PARTITION_BY that writes them; no row becomes a JS object.
 */

export type ImpressionFileFormat = 'parquet' | 'jsonl';

/** The format a file name implies; whole-file gzip'd JSON lines are read as such by DuckDB. */
export function formatOfFile(path: string): ImpressionFileFormat | undefined {
  const name = path.toLowerCase();
  if (name.endsWith('.parquet')) return 'parquet';
  if (/\.(jsonl|ndjson)(\.gz)?$/.test(name)) return 'jsonl';
  return undefined;
}

export interface LoadOptions {
  format: ImpressionFileFormat;
  /** Stamped as receptionTimestamp where the file has none: one value for the whole load. */
  loadTimeMs: number;
  /** Where the partition files are written; must not exist yet (or be empty). */
  outDir: string;
}

export interface LoadPartition {
  environmentId: string;
  /** The start of the reception minute (ms). */
  minuteMs: number;
  /** The local Parquet file of the partition, in INTAKE_COLUMNS' layout. */
  file: string;
  rows: number;
}

export type LoadResult =
  | { ok: true; rows: number; stampedRows: number; partitions: LoadPartition[]; ignoredColumns: string[] }
  | { ok: false; problems: string[]; ignoredColumns: string[] };

/**
 * A DuckDB for loading: JSON lines carry no row number, so problems name a row by its position
 * in the scan, which only insertion order makes the file's order (openDuckDb turns it off for
 * the worker, where it costs memory and nothing relies on it).
 */
export async function openLoaderDuckDb(settings: DuckDbSettings): Promise<DuckDBInstance> {
  const db = await openDuckDb(settings);
  const conn = await db.connect();
  try {
    await conn.run('SET preserve_insertion_order = true');
  } finally {
    conn.closeSync();
  }
  return db;
}

interface LoadColumn {
  name: string;
  type: 'String' | 'Long';
  /** Must hold a value on every row (receptionTimestamp is stamped instead). */
  required: boolean;
  /** The schema refuses the empty string (splitName, environmentId, trafficTypeId). */
  nonEmpty: boolean;
}

/** The contract's columns, then the two the SDKs send beyond it, which a file may carry too. */
const LOAD_COLUMNS: readonly LoadColumn[] = [
  ...IMPRESSION_COLUMNS.map((c) => ({
    name: c.name,
    type: c.type,
    required: !c.nullable && c.name !== 'receptionTimestamp',
    nonEmpty: c.type === 'String' && !impressionSchema.shape[c.name].safeParse('').success,
  })),
  ...INTAKE_EXTRA_COLUMNS.filter((c) => c.name === 'bucketingKey' || c.name === 'previousTime').map((c) => ({ name: c.name, type: c.type as 'String' | 'Long', required: false, nonEmpty: false })),
];
const indexOf = (name: string): number => LOAD_COLUMNS.findIndex((c) => c.name === name);
const ENV = indexOf('environmentId');
const RECEPTION = indexOf('receptionTimestamp');
const MINUTE_MS = 60_000;
/** The last millisecond of year 9999: reception minutes name folders with a four-digit year. */
const LAST_MS = Date.UTC(9999, 11, 31, 23, 59, 59, 999);
const CODEC = 'zstd';

/**
 * How a column is read: absent, or read: `raw` selects it from the file (as r<i>), `value`
 * converts r<i> to the contract type (NULL where it cannot). `wrongType` is a Parquet type the
 * contract type never comes from: only its nulls are taken (a column of nulls has some type).
 */
type ColumnRead = { kind: 'absent' } | { kind: 'read'; raw: string; value: (r: string) => string; wrongType?: string };

const EXPECTED = { String: 'a String', Long: 'a Long (an integer, a whole number, an integer string or a timestamp)' };
const PARQUET_INTEGER = /^U?(TINYINT|SMALLINT|INTEGER|BIGINT|HUGEINT)$/;
const PARQUET_FRACTIONAL = /^(FLOAT|DOUBLE|DECIMAL\(\d+,\d+\))$/;

/** A whole number from a double or decimal; anything fractional, infinite or out of range is NULL. */
const wholeSql = (x: string) => `CASE WHEN ${x} = trunc(${x}) THEN TRY_CAST(${x} AS BIGINT) END`;
/** An integer literal in a string: 64-bit integers are often quoted in JSON (JS cannot hold them). */
const integerStringSql = (x: string) => `CASE WHEN regexp_full_match(${x}, '-?[0-9]+') THEN TRY_CAST(${x} AS BIGINT) END`;

/** Parquet: the column's DuckDB type decides, once for the column, how its values convert. */
function parquetRead(col: LoadColumn, raw: string, duckType: string): ColumnRead {
  const read = (value: (r: string) => string): ColumnRead => ({ kind: 'read', raw, value });
  const wrongType: ColumnRead = { kind: 'read', raw, value: () => `NULL::${col.type === 'Long' ? 'BIGINT' : 'VARCHAR'}`, wrongType: duckType };
  // JSON is DuckDB's name for a string annotated JSON: text all the same.
  if (col.type === 'String') return duckType === 'VARCHAR' || duckType === 'JSON' ? read((r) => `${r}::VARCHAR`) : wrongType;
  if (PARQUET_INTEGER.test(duckType)) return read((r) => `TRY_CAST(${r} AS BIGINT)`);
  if (PARQUET_FRACTIONAL.test(duckType)) return read(wholeSql);
  if (duckType === 'VARCHAR') return read(integerStringSql);
  // The inbound contract takes TIMESTAMP(MILLIS) for a Long; any precision is fine when whole ms.
  if (/^TIMESTAMP/.test(duckType)) return read((r) => `CASE WHEN date_trunc('millisecond', ${r}) = ${r} THEN epoch_ms(${r}) END`);
  return wrongType;
}

/** JSON lines: every value is read as JSON and its own JSON type decides. */
function jsonRead(col: LoadColumn, raw: string): ColumnRead {
  const value = (r: string) => {
    const text = `(${r} ->> '$')`;
    return col.type === 'String'
      ? `CASE WHEN json_type(${r}) = 'VARCHAR' THEN ${text} END`
      : `CASE json_type(${r}) WHEN 'BIGINT' THEN TRY_CAST(${text} AS BIGINT) WHEN 'UBIGINT' THEN TRY_CAST(${text} AS BIGINT)
          WHEN 'DOUBLE' THEN ${wholeSql(`TRY_CAST(${text} AS DOUBLE)`)} WHEN 'VARCHAR' THEN ${integerStringSql(text)} END`;
  };
  return { kind: 'read', raw, value };
}

interface Source {
  /** A SELECT of `rn` (1-based row) and r0..rN (each load column, raw) from the file. */
  select(withRowNumber: boolean): string;
  reads: ColumnRead[];
  ignoredColumns: string[];
  /** Rows of a JSON file with no keys at all cannot tell a missing column from an empty file. */
  empty: boolean;
}

/** Every reader here turns hive partitioning off: folders such as `env=prod/` in a path are not columns of the file. */
async function describeSource(conn: DuckDBConnection, file: string, format: ImpressionFileFormat): Promise<Source> {
  const known = new Set(LOAD_COLUMNS.map((c) => c.name));
  if (format === 'parquet') {
    const from = `read_parquet(${sqlString(file)}, file_row_number = true, hive_partitioning = false)`;
    const described = await queryObjects(conn, `DESCRIBE SELECT * FROM read_parquet(${sqlString(file)}, hive_partitioning = false)`);
    const names = described.map((r) => String(r.column_name));
    // By position (`#n`): DuckDB resolves names case-insensitively, and "Key" is not "key".
    const reads = LOAD_COLUMNS.map((col): ColumnRead => {
      const at = names.indexOf(col.name);
      return at < 0 ? { kind: 'absent' } : parquetRead(col, `#${at + 1}`, String(described[at]!.column_type));
    });
    const rowNumber = `#${names.length + 1}`;
    return {
      reads,
      ignoredColumns: names.filter((n) => !known.has(n)),
      empty: false,
      select: (withRowNumber) =>
        `SELECT ${withRowNumber ? `${rowNumber} + 1` : 'NULL::BIGINT'} AS rn, ${reads.map((r, i) => `${r.kind === 'read' ? r.raw : 'NULL'} AS r${i}`).join(', ')} FROM ${from}`,
    };
  }
  const [keys] = await queryObjects(
    conn,
    `SELECT count(*)::BIGINT AS n, list_sort(list_distinct(flatten(array_agg(DISTINCT json_keys(json))))) AS keys
     FROM read_json_objects(${sqlString(file)}, format = 'newline_delimited', hive_partitioning = false)`,
  );
  const present = new Set(((keys?.keys as string[] | null) ?? []).map(String));
  const columns = `{${LOAD_COLUMNS.map((c) => `${sqlString(c.name)}: 'JSON'`).join(', ')}}`;
  const from = `read_json(${sqlString(file)}, format = 'newline_delimited', columns = ${columns}, hive_partitioning = false)`;
  const reads = LOAD_COLUMNS.map((col): ColumnRead => (present.has(col.name) ? jsonRead(col, sqlIdent(col.name)) : { kind: 'absent' }));
  return {
    reads,
    ignoredColumns: [...present].filter((n) => !known.has(n)),
    empty: Number(keys?.n ?? 0) === 0,
    select: (withRowNumber) =>
      `SELECT ${withRowNumber ? 'row_number() OVER ()' : 'NULL::BIGINT'} AS rn, ${LOAD_COLUMNS.map((c, i) => `${sqlIdent(c.name)} AS r${i}`).join(', ')} FROM ${from}`,
  };
}

/** `n`: each load column's value (v<i>, typed, NULL when absent) and whether a present value failed to convert (b<i>). */
function normalizedSql(source: Source, withRowNumber: boolean): string {
  const cols = LOAD_COLUMNS.map((col, i) => {
    const read = source.reads[i]!;
    const nullOf = `NULL::${col.type === 'Long' ? 'BIGINT' : 'VARCHAR'}`;
    if (read.kind !== 'read') return `${nullOf} AS v${i}, FALSE AS b${i}`;
    return `${read.value(`r${i}`)} AS v${i}, (r${i} IS NOT NULL AND v${i} IS NULL) AS b${i}`;
  });
  return `src AS (${source.select(withRowNumber)}), n AS (SELECT rn, ${LOAD_COLUMNS.map((_, i) => `r${i}`).join(', ')}, ${cols.join(', ')} FROM src)`;
}

/** The stored reception time, and the start of its minute (floored, also before 1970). */
const receptionSql = (loadTimeMs: number) => `coalesce(v${RECEPTION}, ${Math.trunc(loadTimeMs)}::BIGINT)`;
const minuteSql = (loadTimeMs: number) => `(${receptionSql(loadTimeMs)} - ((${receptionSql(loadTimeMs)} % ${MINUTE_MS}) + ${MINUTE_MS}) % ${MINUTE_MS})`;

/** Per column: rows whose value failed to convert, rows null where required, rows empty where refused; each with its first row. */
function problemAggregates(source: Source): string[] {
  const out: string[] = [];
  LOAD_COLUMNS.forEach((col, i) => {
    if (source.reads[i]!.kind !== 'read') return;
    const first = (cond: string, tag: string) => `count(*) FILTER (${cond}) AS ${tag}${i}_n, min(rn) FILTER (${cond}) AS ${tag}${i}_row`;
    out.push(first(`b${i}`, 'bad'), `left(arg_min(r${i}::VARCHAR, rn) FILTER (b${i}), 60) AS bad${i}_example`);
    if (col.required) out.push(first(`v${i} IS NULL AND NOT b${i}`, 'null'));
    if (col.nonEmpty) out.push(first(`v${i} = ''`, 'empty'));
    if (i === RECEPTION) out.push(first(`v${i} NOT BETWEEN 0 AND ${LAST_MS}`, 'range'));
  });
  return out;
}

const rowsText = (n: number) => `${n} row${n === 1 ? '' : 's'}`;

function describeProblems(source: Source, totals: Record<string, unknown>, rows: number): string[] {
  const problems: string[] = [];
  const num = (k: string) => Number(totals[k] ?? 0);
  LOAD_COLUMNS.forEach((col, i) => {
    const read = source.reads[i]!;
    const name = `"${col.name}"`;
    if (read.kind === 'absent') {
      if (col.required && !source.empty) problems.push(`${name} is missing: a required column`);
      return;
    }
    if (num(`bad${i}_n`) > 0) {
      const what = read.wrongType ? `${read.wrongType} where ${EXPECTED[col.type]} is expected,` : col.type === 'String' ? 'not a string' : 'not a whole number in the Long range';
      problems.push(`${name} is ${what} on ${rowsText(num(`bad${i}_n`))} (first: row ${num(`bad${i}_row`)}, ${String(totals[`bad${i}_example`])})`);
    }
    const nulls = num(`null${i}_n`);
    if (nulls === rows && rows > 0) problems.push(`${name} is missing or null on every row: a required column`);
    else if (nulls > 0) problems.push(`${name} is missing or null on ${rowsText(nulls)} (first: row ${num(`null${i}_row`)}); it is required`);
    if (num(`empty${i}_n`) > 0) problems.push(`${name} is empty on ${rowsText(num(`empty${i}_n`))} (first: row ${num(`empty${i}_row`)})`);
    if (num(`range${i}_n`) > 0) {
      problems.push(`${name} is before 1970 or after 9999 on ${rowsText(num(`range${i}_n`))} (first: row ${num(`range${i}_row`)}): the warehouse's minute folders need a date`);
    }
  });
  return problems;
}

/**
 * The refusal for a file DuckDB cannot read (malformed JSON, a line that is not an object, no
 * Parquet magic bytes): its first line names the line or the fault; the rest (reader options,
 * the SQL) is not for our users. Other failures (disk, memory) are not the file's: thrown.
 */
function unreadable(err: unknown, label: string): string {
  const message = err instanceof Error ? err.message : String(err);
  if (!/^(Invalid Input|Conversion) Error/.test(message)) throw err;
  return `cannot read the file as ${label}: ${message.split('\n')[0]!.trim()}`;
}

/**
 * Checks the file and, when it conforms, writes its partitions under `opts.outDir`. A file with
 * problems writes nothing: the problems name each column, the rows at fault and the first one.
 */
export async function loadImpressionFile(conn: DuckDBConnection, file: string, opts: LoadOptions): Promise<LoadResult> {
  const label = opts.format === 'parquet' ? 'Parquet' : 'JSON lines';
  let source: Source;
  try {
    source = await describeSource(conn, file, opts.format);
  } catch (err) {
    return { ok: false, problems: [unreadable(err, label)], ignoredColumns: [] };
  }
  const { ignoredColumns } = source;
  try {
    // One pass: the problems over all rows (grouping set ()) and the partitions' row counts
    // (grouping set (environment, minute)), kept in a temporary table for the mapping below.
    try {
      await conn.run(
        `CREATE OR REPLACE TEMP TABLE load_groups AS
         WITH ${normalizedSql(source, true)}
         SELECT grouping(v${ENV}, minute)::INTEGER AS g, v${ENV} AS env, minute, count(*)::BIGINT AS n_rows,
                count(*) FILTER (v${RECEPTION} IS NULL AND NOT b${RECEPTION})::BIGINT AS stamped, ${problemAggregates(source).join(', ')}
         FROM (SELECT *, ${minuteSql(opts.loadTimeMs)} AS minute FROM n)
         GROUP BY GROUPING SETS ((), (v${ENV}, minute))`,
      );
    } catch (err) {
      return { ok: false, problems: [unreadable(err, label)], ignoredColumns };
    }
    const [totals = {}] = await queryObjects(conn, 'SELECT * FROM load_groups WHERE g <> 0');
    const rows = Number(totals.n_rows ?? 0);
    const problems = describeProblems(source, totals, rows);
    if (problems.length > 0) return { ok: false, problems, ignoredColumns };
    const partitions = rows === 0 ? [] : await writePartitions(conn, source, opts);
    return { ok: true, rows, stampedRows: Number(totals.stamped ?? 0), partitions, ignoredColumns };
  } finally {
    await conn.run('DROP TABLE IF EXISTS load_groups');
    await conn.run('DROP TABLE IF EXISTS load_envs');
  }
}

/** The second pass: every row of a checked file into its partition's file. */
async function writePartitions(conn: DuckDBConnection, source: Source, opts: LoadOptions): Promise<LoadPartition[]> {
  // Partition directories are named by a small integer per environment, never by its value:
  // an environment id from a file may hold '/', '=' or anything else.
  await conn.run(
    `CREATE OR REPLACE TEMP TABLE load_envs AS
     SELECT env, (row_number() OVER (ORDER BY env) - 1)::INTEGER AS idx FROM (SELECT DISTINCT env FROM load_groups WHERE g = 0)`,
  );
  const outputs: Record<string, string> = Object.fromEntries(LOAD_COLUMNS.map((c, i) => [c.name, `v${i}`]));
  outputs.receptionTimestamp = receptionSql(opts.loadTimeMs);
  outputs.sdkKeyId = 'NULL::VARCHAR';
  const o = outputs as Record<(typeof CONTENT_HASH_FIELDS)[number], string>;
  outputs.contentHash = contentHashSql(Object.fromEntries(CONTENT_HASH_FIELDS.map((f) => [f, o[f]])) as typeof o);
  await mkdir(opts.outDir, { recursive: true });
  await conn.run(
    `COPY (
       WITH ${normalizedSql(source, false)}
       SELECT ${INTAKE_COLUMNS.map((c) => `${outputs[c.name]} AS ${sqlIdent(c.name)}`).join(', ')}, le.idx AS e, ${minuteSql(opts.loadTimeMs)} AS m
       FROM n JOIN load_envs le ON le.env = n.v${ENV}
     ) TO ${sqlString(opts.outDir)} (FORMAT parquet, COMPRESSION ${CODEC}, PARTITION_BY (e, m), FILENAME_PATTERN 'part{i}')`,
  );
  const groups = await queryObjects(
    conn,
    'SELECT le.idx, le.env, g.minute, g.n_rows FROM load_groups g JOIN load_envs le ON le.env = g.env WHERE g.g = 0 ORDER BY le.env, g.minute',
  );
  const partitions: LoadPartition[] = [];
  for (const g of groups) {
    const dir = join(opts.outDir, `e=${Number(g.idx)}`, `m=${Number(g.minute)}`);
    const rows = Number(g.n_rows);
    partitions.push({ environmentId: String(g.env), minuteMs: Number(g.minute), file: await singleFile(conn, dir, rows), rows });
  }
  return partitions;
}

/**
 * The partition's one file. DuckDB keeps at most `partitioned_write_max_open_files` partitions
 * open and starts a new file when it comes back to a closed one; such a partition is merged into
 * one file, so a re-load of the same file stores the same objects.
 */
async function singleFile(conn: DuckDBConnection, dir: string, rows: number): Promise<string> {
  const files = (await readdir(dir)).filter((f) => f.endsWith('.parquet')).sort();
  if (files.length === 1) return join(dir, files[0]!);
  const merged = join(dir, 'merged.parquet');
  const reader = await conn.runAndReadAll(
    `COPY (SELECT * FROM read_parquet([${files.map((f) => sqlString(join(dir, f))).join(', ')}], hive_partitioning = false)) TO ${sqlString(merged)} (FORMAT parquet, COMPRESSION ${CODEC})`,
  );
  const written = Number(reader.getRows()[0]?.[0] ?? 0);
  if (written !== rows) throw new Error(`${dir}: merged ${written} rows, expected ${rows}`);
  await Promise.all(files.map((f) => rm(join(dir, f), { force: true })));
  return merged;
}
