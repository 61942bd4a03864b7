import { ContractType, EVENT_COLUMNS } from './eventSchema';
import { WarningCode } from './codes';

/** One row of DuckDB's `parquet_schema()`: the flattened Parquet schema tree, depth first. */
export interface ParquetSchemaElement {
  name: string;
  type: string | null;
  repetitionType: string | null;
  numChildren: number | null;
  convertedType: string | null;
  logicalType: string | null;
}

export interface SchemaNode extends ParquetSchemaElement {
  children: SchemaNode[];
}

/** How the SQL must read a Long column: plain integers, or a TIMESTAMP(MILLIS) to turn back into epoch ms. */
export type LongEncoding = 'int64' | 'timestamp_millis';

export interface SchemaVerdict {
  valid: boolean;
  /** One detail per problem, naming the column, the type found and the type expected. */
  problems: string[];
  warnings: WarningCode[];
  /** Contract columns present with an acceptable type. */
  presentColumns: string[];
  timestampEncoding: LongEncoding;
  /** Columns in the file beyond the contract's (ignored). */
  unknownColumns: string[];
  /**
   * 1-based position of each present contract column among the file's top-level columns, so SQL
   * reads it by position (DuckDB's `#n`): DuckDB resolves names case-insensitively, and with an
   * extra `TIMESTAMP` before `timestamp` the name "timestamp" would read the extra column.
   * Optional because verdicts recorded in histories before it was added lack it.
   */
  columnPositions?: Record<string, number>;
}

export function buildSchemaTree(elements: readonly ParquetSchemaElement[]): SchemaNode {
  let pos = 0;
  const take = (): SchemaNode => {
    const el = elements[pos++];
    if (!el) throw new Error('Parquet schema ended early');
    const node: SchemaNode = { ...el, children: [] };
    for (let i = 0; i < (el.numChildren ?? 0); i++) node.children.push(take());
    return node;
  };
  return take();
}

/**
 * A node's logical type as text. DuckDB's parquet_schema() prints an INTEGER annotation's
 * i8 bitWidth as a character ('@' for 64, ' ' for 32); this puts the number back.
 */
const logicalOf = (n: ParquetSchemaElement): string =>
  (n.logicalType ?? '').replace(/bitWidth=([^\d,)])/g, (_, c: string) => `bitWidth=${c.charCodeAt(0)}`);

const isUtf8 = (n: SchemaNode) =>
  n.children.length === 0 &&
  n.type === 'BYTE_ARRAY' &&
  (n.convertedType === 'UTF8' || (n.logicalType ?? '').startsWith('StringType'));

function longEncoding(n: SchemaNode): LongEncoding | undefined {
  if (n.children.length > 0 || n.type !== 'INT64') return undefined;
  const logical = logicalOf(n);
  if (n.convertedType === 'TIMESTAMP_MILLIS' || /MILLIS=MilliSeconds/.test(logical)) return 'timestamp_millis';
  if (n.convertedType === null && (logical === '' || /IntType\(bitWidth=64, isSigned=(1|true)\)/.test(logical)))
    return 'int64';
  if (n.convertedType === 'INT_64' && !/isSigned=(0|false)/.test(logical)) return 'int64';
  return undefined;
}

const isDouble = (n: SchemaNode) => n.children.length === 0 && n.type === 'DOUBLE' && n.convertedType === null && !n.logicalType;

function isStringMap(n: SchemaNode): boolean {
  if (n.convertedType !== 'MAP' && n.convertedType !== 'MAP_KEY_VALUE' && !(n.logicalType ?? '').startsWith('MapType')) {
    return false;
  }
  const [entries] = n.children;
  if (n.children.length !== 1 || !entries || entries.repetitionType !== 'REPEATED' || entries.children.length !== 2) {
    return false;
  }
  const [k, v] = entries.children;
  return !!k && !!v && isUtf8(k) && isUtf8(v);
}

/** Describes a node's type the way the Parquet spec writes it, for error details. */
export function describeType(n: SchemaNode): string {
  if (n.children.length > 0) {
    const inner = n.children.map((c) => `${c.name}: ${describeType(c)}`).join(', ');
    return `${n.convertedType ?? n.logicalType ?? 'GROUP'}<${inner}>`;
  }
  const annotation = n.logicalType ? logicalOf(n) : n.convertedType;
  return annotation ? `${n.type}(${annotation})` : `${n.type}`;
}

const EXPECTED: Record<ContractType, string> = {
  String: 'BYTE_ARRAY annotated UTF8/STRING',
  Long: 'INT64 (plain, INT(64, signed) or TIMESTAMP(MILLIS))',
  Double: 'DOUBLE',
  'Map<String,String>': 'MAP of UTF8 keys to UTF8 values',
};

function matches(type: ContractType, n: SchemaNode): boolean {
  switch (type) {
    case 'String':
      return isUtf8(n);
    case 'Long':
      return longEncoding(n) !== undefined;
    case 'Double':
      return isDouble(n);
    case 'Map<String,String>':
      return isStringMap(n);
  }
}

/**
 * Strict check of a file's schema against the contract. Names are exact and
 * case-sensitive; types are never converted (an INT64 where Double is specified is invalid).
 * A column whose name differs from a contract column's only in case is an unknown column.
 */
export function checkEventSchema(elements: readonly ParquetSchemaElement[]): SchemaVerdict {
  const root = buildSchemaTree(elements);
  const byName = new Map(root.children.map((c) => [c.name, c]));
  const problems: string[] = [];
  const warnings = new Set<WarningCode>();
  const presentColumns: string[] = [];
  const columnPositions: Record<string, number> = {};

  for (const col of EVENT_COLUMNS) {
    const node = byName.get(col.name);
    if (!node) {
      if (col.required) {
        const near = root.children.find((c) => c.name.toLowerCase() === col.name.toLowerCase());
        problems.push(
          `column ${col.name}: required column not found` +
            (near ? ` (found "${near.name}"; column names are case-sensitive)` : ''),
        );
      } else {
        warnings.add(WarningCode.OPTIONAL_COLUMN_MISSING);
      }
      continue;
    }
    // A REPEATED top-level column is a list of the type, not the type.
    if (node.repetitionType === 'REPEATED' || !matches(col.type, node)) {
      const found = `${node.repetitionType === 'REPEATED' ? 'REPEATED ' : ''}${describeType(node)}`;
      problems.push(`column ${col.name}: type ${found} found, ${col.type} expected (${EXPECTED[col.type]})`);
      continue;
    }
    presentColumns.push(col.name);
    columnPositions[col.name] = root.children.indexOf(node) + 1;
  }

  const known = new Set<string>(EVENT_COLUMNS.map((c) => c.name));
  const unknownColumns = root.children.map((c) => c.name).filter((n) => !known.has(n));
  if (unknownColumns.length > 0) warnings.add(WarningCode.UNKNOWN_COLUMNS_IGNORED);

  const ts = byName.get('timestamp');
  return {
    valid: problems.length === 0,
    problems,
    warnings: [...warnings].sort(),
    presentColumns,
    timestampEncoding: (ts && longEncoding(ts)) ?? 'int64',
    unknownColumns,
    columnPositions,
  };
}
