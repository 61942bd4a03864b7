import assert from 'node:assert/strict';
import { buildSchemaTree, checkEventSchema, describeType, ParquetSchemaElement } from '../../src/domain/schemaCheck';

/**
 * Element lists as DuckDB's parquet_schema() returns them (depth first, root first), including
 * its quirks, e.g. an INTEGER annotation's bitWidth rendered as a character ('@' for 64).
 */
type El = ParquetSchemaElement;
type Column = El[];

function leaf(name: string, type: string, o: { rep?: string; conv?: string; logical?: string } = {}): Column {
  return [{ name, type, repetitionType: o.rep ?? 'OPTIONAL', numChildren: null, convertedType: o.conv ?? null, logicalType: o.logical ?? null }];
}
function group(name: string, numChildren: number, o: { rep?: string; conv?: string; logical?: string } = {}): El {
  return { name, type: null, repetitionType: o.rep ?? 'OPTIONAL', numChildren, convertedType: o.conv ?? null, logicalType: o.logical ?? null };
}

const LOGICAL_MILLIS = 'TimestampType(isAdjustedToUTC=0, unit=TimeUnit(MILLIS=MilliSeconds(), MICROS=<null>, NANOS=<null>))';
const LOGICAL_MILLIS_UTC = 'TimestampType(isAdjustedToUTC=1, unit=TimeUnit(MILLIS=MilliSeconds(), MICROS=<null>, NANOS=<null>))';
const LOGICAL_MICROS = 'TimestampType(isAdjustedToUTC=0, unit=TimeUnit(MILLIS=<null>, MICROS=MicroSeconds(), NANOS=<null>))';
const LOGICAL_NANOS = 'TimestampType(isAdjustedToUTC=0, unit=TimeUnit(MILLIS=<null>, MICROS=<null>, NANOS=NanoSeconds()))';

/** pyarrow: UTF8 + StringType(). */
const str = (name: string, rep?: string): Column => leaf(name, 'BYTE_ARRAY', { rep, conv: 'UTF8', logical: 'StringType()' });
/** DuckDB: UTF8 only. */
const strDuck = (name: string): Column => leaf(name, 'BYTE_ARRAY', { conv: 'UTF8' });
const int64 = (name: string, o: { conv?: string; logical?: string; rep?: string } = {}): Column => leaf(name, 'INT64', o);
const dbl = (name: string): Column => leaf(name, 'DOUBLE');

function map(
  name: string,
  key: Column,
  value: Column,
  o: { conv?: string | null; logical?: string | null; entriesName?: string; entriesConv?: string } = {},
): Column {
  return [
    group(name, 1, { conv: o.conv === null ? undefined : (o.conv ?? 'MAP'), logical: o.logical === null ? undefined : (o.logical ?? 'MapType()') }),
    group(o.entriesName ?? 'key_value', 2, { rep: 'REPEATED', conv: o.entriesConv }),
    ...key,
    ...value,
  ];
}
const stringMap = (name = 'properties') =>
  map(name, str('key', 'REQUIRED'), str('value'));

function schema(...columns: Column[]): El[] {
  return [{ name: 'schema', type: null, repetitionType: 'REQUIRED', numChildren: columns.length, convertedType: null, logicalType: null }, ...columns.flat()];
}

/** The contract's seven columns; `replace` swaps (or with null drops) columns by name. */
function contract(replace: Record<string, Column | null> = {}, extra: Column[] = []): El[] {
  const base: [string, Column][] = [
    ['environmentId', str('environmentId')],
    ['trafficTypeId', str('trafficTypeId')],
    ['eventTypeId', str('eventTypeId')],
    ['key', str('key')],
    ['timestamp', int64('timestamp')],
    ['value', dbl('value')],
    ['properties', stringMap()],
  ];
  const cols = base.flatMap(([name, col]) => (name in replace ? (replace[name] === null ? [] : [replace[name]!]) : [col]));
  return schema(...cols, ...extra);
}

const ALL = ['environmentId', 'trafficTypeId', 'eventTypeId', 'key', 'timestamp', 'value', 'properties'];
const LONG_EXPECTED = 'Long expected (INT64 (plain, INT(64, signed) or TIMESTAMP(MILLIS)))';
const STRING_EXPECTED = 'String expected (BYTE_ARRAY annotated UTF8/STRING)';
const DOUBLE_EXPECTED = 'Double expected (DOUBLE)';
const MAP_EXPECTED = 'Map<String,String> expected (MAP of UTF8 keys to UTF8 values)';

function assertAccepted(elements: El[], timestampEncoding: 'int64' | 'timestamp_millis' = 'int64') {
  const v = checkEventSchema(elements);
  // Each contract column at its own 1-based position among the file's top-level columns.
  const topLevel = buildSchemaTree(elements).children.map((c) => c.name);
  const columnPositions = Object.fromEntries(ALL.map((name) => [name, topLevel.indexOf(name) + 1]));
  assert.deepEqual(v, { valid: true, problems: [], warnings: [], presentColumns: ALL, timestampEncoding, unknownColumns: [], columnPositions });
}

describe('schemaCheck', () => {
  describe('accepted files', () => {
    it('accepts the contract as pyarrow writes it (UTF8 + StringType, plain INT64, DOUBLE, MAP + MapType)', () => {
      assertAccepted(contract());
    });

    it('accepts the contract as DuckDB writes it (UTF8 only, INT_64, MAP without logical type)', () => {
      assertAccepted(
        contract({
          environmentId: strDuck('environmentId'),
          trafficTypeId: strDuck('trafficTypeId'),
          eventTypeId: strDuck('eventTypeId'),
          key: strDuck('key'),
          timestamp: int64('timestamp', { conv: 'INT_64' }),
          properties: map('properties', leaf('key', 'BYTE_ARRAY', { rep: 'REQUIRED', conv: 'UTF8' }), strDuck('value'), { logical: null }),
        }),
      );
    });

    it('accepts REQUIRED as well as OPTIONAL repetition', () => {
      assertAccepted(
        contract({
          environmentId: str('environmentId', 'REQUIRED'),
          key: str('key', 'REQUIRED'),
          timestamp: int64('timestamp', { rep: 'REQUIRED' }),
          value: leaf('value', 'DOUBLE', { rep: 'REQUIRED' }),
        }),
      );
    });

    it('String: BYTE_ARRAY with only the STRING logical type', () => {
      assertAccepted(contract({ key: leaf('key', 'BYTE_ARRAY', { logical: 'StringType()' }) }));
    });

    it('Long: INT(64, signed) with converted type INT_64, as DuckDB renders it (bitWidth=@)', () => {
      assertAccepted(contract({ timestamp: int64('timestamp', { conv: 'INT_64', logical: 'IntType(bitWidth=@, isSigned=1)' }) }));
    });

    it('Long: INT(64, signed) as a logical type only (no converted type)', () => {
      assertAccepted(contract({ timestamp: int64('timestamp', { logical: 'IntType(bitWidth=@, isSigned=1)' }) }));
      assertAccepted(contract({ timestamp: int64('timestamp', { logical: 'IntType(bitWidth=64, isSigned=true)' }) }));
    });

    it('Long: TIMESTAMP(MILLIS) is read back as epoch milliseconds', () => {
      assertAccepted(contract({ timestamp: int64('timestamp', { conv: 'TIMESTAMP_MILLIS', logical: LOGICAL_MILLIS }) }), 'timestamp_millis');
      assertAccepted(contract({ timestamp: int64('timestamp', { conv: 'TIMESTAMP_MILLIS', logical: LOGICAL_MILLIS_UTC }) }), 'timestamp_millis');
      assertAccepted(contract({ timestamp: int64('timestamp', { conv: 'TIMESTAMP_MILLIS' }) }), 'timestamp_millis');
      assertAccepted(contract({ timestamp: int64('timestamp', { logical: LOGICAL_MILLIS }) }), 'timestamp_millis');
    });

    it('Map: MAP with converted type only, and the legacy MAP_KEY_VALUE forms', () => {
      assertAccepted(contract({ properties: map('properties', str('key', 'REQUIRED'), str('value'), { logical: null }) }));
      // parquet-mr / Hive legacy: MAP outside, MAP_KEY_VALUE on the repeated group named "map".
      assertAccepted(
        contract({ properties: map('properties', str('key', 'REQUIRED'), str('value'), { logical: null, entriesName: 'map', entriesConv: 'MAP_KEY_VALUE' }) }),
      );
      // Older writers that put MAP_KEY_VALUE on the outer group.
      assertAccepted(contract({ properties: map('properties', str('key', 'REQUIRED'), str('value'), { conv: 'MAP_KEY_VALUE', logical: null }) }));
      // Logical type only.
      assertAccepted(contract({ properties: map('properties', str('key', 'REQUIRED'), str('value'), { conv: null }) }));
    });

    it('column order in the file does not matter', () => {
      const cols = [stringMap(), dbl('value'), int64('timestamp'), str('key'), str('eventTypeId'), str('trafficTypeId'), str('environmentId')];
      assertAccepted(schema(...cols));
    });
  });

  describe('rejected types (INVALID_SCHEMA), the detail naming column, type found and type expected', () => {
    const cases: [string, Record<string, Column>, string][] = [
      ['timestamp INT32', { timestamp: leaf('timestamp', 'INT32') }, `column timestamp: type INT32 found, ${LONG_EXPECTED}`],
      ['timestamp INT32 (INT_32)', { timestamp: leaf('timestamp', 'INT32', { conv: 'INT_32' }) }, `column timestamp: type INT32(INT_32) found, ${LONG_EXPECTED}`],
      ['timestamp INT96', { timestamp: leaf('timestamp', 'INT96') }, `column timestamp: type INT96 found, ${LONG_EXPECTED}`],
      [
        'timestamp TIMESTAMP(MICROS)',
        { timestamp: int64('timestamp', { conv: 'TIMESTAMP_MICROS', logical: LOGICAL_MICROS }) },
        `column timestamp: type INT64(${LOGICAL_MICROS}) found, ${LONG_EXPECTED}`,
      ],
      [
        'timestamp TIMESTAMP(NANOS)',
        { timestamp: int64('timestamp', { logical: LOGICAL_NANOS }) },
        `column timestamp: type INT64(${LOGICAL_NANOS}) found, ${LONG_EXPECTED}`,
      ],
      [
        'timestamp UINT_64 (pyarrow: converted and logical)',
        { timestamp: int64('timestamp', { conv: 'UINT_64', logical: 'IntType(bitWidth=@, isSigned=0)' }) },
        `column timestamp: type INT64(IntType(bitWidth=64, isSigned=0)) found, ${LONG_EXPECTED}`,
      ],
      ['timestamp UINT_64 (DuckDB: converted only)', { timestamp: int64('timestamp', { conv: 'UINT_64' }) }, `column timestamp: type INT64(UINT_64) found, ${LONG_EXPECTED}`],
      [
        'timestamp INT(64, unsigned) logical only',
        { timestamp: int64('timestamp', { logical: 'IntType(bitWidth=@, isSigned=0)' }) },
        `column timestamp: type INT64(IntType(bitWidth=64, isSigned=0)) found, ${LONG_EXPECTED}`,
      ],
      [
        'timestamp DECIMAL on INT64',
        { timestamp: int64('timestamp', { conv: 'DECIMAL', logical: 'DecimalType(scale=0, precision=18)' }) },
        `column timestamp: type INT64(DecimalType(scale=0, precision=18)) found, ${LONG_EXPECTED}`,
      ],
      ['timestamp DOUBLE', { timestamp: dbl('timestamp') }, `column timestamp: type DOUBLE found, ${LONG_EXPECTED}`],
      ['timestamp as a string', { timestamp: str('timestamp') }, `column timestamp: type BYTE_ARRAY(StringType()) found, ${LONG_EXPECTED}`],
      ['value FLOAT', { value: leaf('value', 'FLOAT') }, `column value: type FLOAT found, ${DOUBLE_EXPECTED}`],
      ['value INT64 (never converted)', { value: int64('value') }, `column value: type INT64 found, ${DOUBLE_EXPECTED}`],
      ['value INT32', { value: leaf('value', 'INT32') }, `column value: type INT32 found, ${DOUBLE_EXPECTED}`],
      [
        'value DECIMAL',
        { value: leaf('value', 'FIXED_LEN_BYTE_ARRAY', { conv: 'DECIMAL', logical: 'DecimalType(scale=2, precision=10)' }) },
        `column value: type FIXED_LEN_BYTE_ARRAY(DecimalType(scale=2, precision=10)) found, ${DOUBLE_EXPECTED}`,
      ],
      ['key unannotated BYTE_ARRAY', { key: leaf('key', 'BYTE_ARRAY') }, `column key: type BYTE_ARRAY found, ${STRING_EXPECTED}`],
      ['environmentId JSON', { environmentId: leaf('environmentId', 'BYTE_ARRAY', { conv: 'JSON', logical: 'JsonType()' }) }, `column environmentId: type BYTE_ARRAY(JsonType()) found, ${STRING_EXPECTED}`],
      ['eventTypeId INT64', { eventTypeId: int64('eventTypeId') }, `column eventTypeId: type INT64 found, ${STRING_EXPECTED}`],
      [
        'trafficTypeId a struct',
        { trafficTypeId: [group('trafficTypeId', 1), ...str('id')] },
        `column trafficTypeId: type GROUP<id: BYTE_ARRAY(StringType())> found, ${STRING_EXPECTED}`,
      ],
      [
        'key REPEATED (a list, not a String)',
        { key: str('key', 'REPEATED') },
        `column key: type REPEATED BYTE_ARRAY(StringType()) found, ${STRING_EXPECTED}`,
      ],
      [
        'properties map<string,int64>',
        { properties: map('properties', str('key', 'REQUIRED'), int64('value')) },
        `column properties: type MAP<key_value: GROUP<key: BYTE_ARRAY(StringType()), value: INT64>> found, ${MAP_EXPECTED}`,
      ],
      [
        'properties map<int64,string>',
        { properties: map('properties', int64('key', { rep: 'REQUIRED' }), str('value')) },
        `column properties: type MAP<key_value: GROUP<key: INT64, value: BYTE_ARRAY(StringType())>> found, ${MAP_EXPECTED}`,
      ],
      [
        'properties map<string,binary>',
        { properties: map('properties', str('key', 'REQUIRED'), leaf('value', 'BYTE_ARRAY')) },
        `column properties: type MAP<key_value: GROUP<key: BYTE_ARRAY(StringType()), value: BYTE_ARRAY>> found, ${MAP_EXPECTED}`,
      ],
      [
        'properties a plain string',
        { properties: str('properties') },
        `column properties: type BYTE_ARRAY(StringType()) found, ${MAP_EXPECTED}`,
      ],
      [
        'properties a LIST of strings',
        { properties: [group('properties', 1, { conv: 'LIST', logical: 'ListType()' }), group('list', 1, { rep: 'REPEATED' }), ...str('element')] },
        `column properties: type LIST<list: GROUP<element: BYTE_ARRAY(StringType())>> found, ${MAP_EXPECTED}`,
      ],
      [
        'properties a struct of two strings',
        { properties: [group('properties', 2), ...str('key'), ...str('value')] },
        `column properties: type GROUP<key: BYTE_ARRAY(StringType()), value: BYTE_ARRAY(StringType())> found, ${MAP_EXPECTED}`,
      ],
    ];
    for (const [title, replace, problem] of cases) {
      it(title, () => {
        const v = checkEventSchema(contract(replace));
        assert.equal(v.valid, false);
        assert.deepEqual(v.problems, [problem]);
        const column = Object.keys(replace)[0]!;
        assert.ok(!v.presentColumns.includes(column), `${column} must not count as present`);
      });
    }

    it('a missing required column is named', () => {
      for (const name of ['environmentId', 'trafficTypeId', 'eventTypeId', 'key', 'timestamp']) {
        const v = checkEventSchema(contract({ [name]: null }));
        assert.equal(v.valid, false);
        assert.deepEqual(v.problems, [`column ${name}: required column not found`]);
        assert.deepEqual(v.warnings, []);
      }
    });

    it('a case-different name is not the column, and the detail hints at the case', () => {
      const v = checkEventSchema(contract({ key: str('Key') }));
      assert.equal(v.valid, false);
      assert.deepEqual(v.problems, ['column key: required column not found (found "Key"; column names are case-sensitive)']);
      assert.deepEqual(v.unknownColumns, ['Key']);
      assert.deepEqual(v.warnings, ['UNKNOWN_COLUMNS_IGNORED']);
      const ts = checkEventSchema(contract({ timestamp: int64('TIMESTAMP') }));
      assert.deepEqual(ts.problems, ['column timestamp: required column not found (found "TIMESTAMP"; column names are case-sensitive)']);
    });

    it('a case-different twin beside a contract column is unknown, and the contract column keeps its own position', () => {
      // DuckDB would resolve "timestamp" and "key" to the twins that come first; SQL reads by position.
      const v = checkEventSchema(
        schema(str('environmentId'), str('trafficTypeId'), str('eventTypeId'), int64('Key'), str('key'), int64('TIMESTAMP'), int64('timestamp'), dbl('value'), str('Value')),
      );
      assert.equal(v.valid, true);
      assert.deepEqual(v.warnings, ['OPTIONAL_COLUMN_MISSING', 'UNKNOWN_COLUMNS_IGNORED']);
      assert.deepEqual(v.unknownColumns, ['Key', 'TIMESTAMP', 'Value']);
      assert.deepEqual(v.columnPositions, { environmentId: 1, trafficTypeId: 2, eventTypeId: 3, key: 5, timestamp: 7, value: 8 });
    });

    it('a case-different optional column is not the column either: it is missing and unknown', () => {
      const v = checkEventSchema(contract({ value: dbl('Value') }));
      assert.equal(v.valid, true);
      assert.deepEqual(v.warnings, ['OPTIONAL_COLUMN_MISSING', 'UNKNOWN_COLUMNS_IGNORED']);
      assert.deepEqual(v.unknownColumns, ['Value']);
      assert.ok(!v.presentColumns.includes('value'));
    });

    it('lists one problem per bad column, in contract order', () => {
      const v = checkEventSchema(contract({ eventTypeId: null, timestamp: leaf('timestamp', 'INT32'), value: leaf('value', 'FLOAT') }));
      assert.deepEqual(v.problems, [
        'column eventTypeId: required column not found',
        `column timestamp: type INT32 found, ${LONG_EXPECTED}`,
        `column value: type FLOAT found, ${DOUBLE_EXPECTED}`,
      ]);
      assert.deepEqual(v.presentColumns, ['environmentId', 'trafficTypeId', 'key', 'properties']);
    });
  });

  describe('warnings', () => {
    it('OPTIONAL_COLUMN_MISSING when value or properties is absent', () => {
      const noValue = checkEventSchema(contract({ value: null }));
      assert.equal(noValue.valid, true);
      assert.deepEqual(noValue.warnings, ['OPTIONAL_COLUMN_MISSING']);
      assert.deepEqual(noValue.presentColumns, ALL.filter((c) => c !== 'value'));
      const neither = checkEventSchema(contract({ value: null, properties: null }));
      assert.deepEqual(neither.warnings, ['OPTIONAL_COLUMN_MISSING']);
      assert.deepEqual(neither.presentColumns, ['environmentId', 'trafficTypeId', 'eventTypeId', 'key', 'timestamp']);
    });

    it('UNKNOWN_COLUMNS_IGNORED for extra columns, which are listed', () => {
      const v = checkEventSchema(contract({}, [str('sessionId'), int64('ingestedAt')]));
      assert.equal(v.valid, true);
      assert.deepEqual(v.warnings, ['UNKNOWN_COLUMNS_IGNORED']);
      assert.deepEqual(v.unknownColumns, ['sessionId', 'ingestedAt']);
      assert.deepEqual(v.presentColumns, ALL);
    });

    it('both warnings together, sorted', () => {
      const v = checkEventSchema(contract({ properties: null }, [str('extra')]));
      assert.deepEqual(v.warnings, ['OPTIONAL_COLUMN_MISSING', 'UNKNOWN_COLUMNS_IGNORED']);
    });
  });

  describe('buildSchemaTree and describeType', () => {
    it('rebuilds the tree from the depth-first list', () => {
      const root = buildSchemaTree(contract());
      assert.deepEqual(
        root.children.map((c) => c.name),
        ALL,
      );
      const props = root.children[6]!;
      assert.equal(props.children.length, 1);
      assert.deepEqual(
        props.children[0]!.children.map((c) => c.name),
        ['key', 'value'],
      );
    });

    it('throws when the list is shorter than numChildren promises', () => {
      const els = contract();
      assert.throws(() => buildSchemaTree(els.slice(0, els.length - 1)), /Parquet schema ended early/);
    });

    it('describes nested types', () => {
      const root = buildSchemaTree(schema(stringMap()));
      assert.equal(describeType(root.children[0]!), 'MAP<key_value: GROUP<key: BYTE_ARRAY(StringType()), value: BYTE_ARRAY(StringType())>>');
      assert.equal(describeType(buildSchemaTree(schema(leaf('x', 'INT96'))).children[0]!), 'INT96');
    });
  });
});
