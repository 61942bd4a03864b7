import assert from 'node:assert/strict';
import { chunkEntries, EntryContext, GroupAggregate, passWarnings, SAMPLE_COUNT, SAMPLE_MAX_CHARS, schemaInvalidEntry, unreadableEntry } from '../../src/domain/entries';
import { StatusEntry } from '../../src/domain/statusEntry';
import { statusEntrySchema } from '../../src/domain/statusEntrySchema';

const FILE = 'events/2024/a.parquet';
const ctx: EntryContext = {
  fileName: FILE,
  originalCreationTime: 1_642_198_960_000,
  generation: 0,
  environments: ['env-a', 'env-b'],
  warnings: [],
};
const chunk = { index: 2, firstRow: 0, rowCount: 100 };
const noNulls = { environmentId: 0, trafficTypeId: 0, eventTypeId: 0, key: 0, timestamp: 0 };

function group(mask: number, rows: number, firstRow: number, lastRow: number, extra: Partial<GroupAggregate> = {}): GroupAggregate {
  return { mask, rows, firstRow, lastRow, nullCounts: { ...noNulls }, environmentSamples: [], timestampSamples: [], ...extra };
}

const TS_RULE = 'not epoch milliseconds in [946684800000, 4102444800000) (2000-01-01 to 2100-01-01 UTC)';
const CONTRACT_KEYS = ['originalCreationTime', 'entryId', 'valid', 'numberOfRows', 'errors', 'errorsDetails', 'warnings'];

describe('entries', () => {
  const groups = [
    group(7, 1, 60, 60, { nullCounts: { ...noNulls, key: 1 }, environmentSamples: ['env-z'], timestampSamples: ['5'] }),
    group(2, 5, 5, 50, { environmentSamples: ['env-c', 'env-d', 'env-e', 'env-f'] }),
    group(0, 90, 0, 99),
    group(1, 3, 7, 77, { nullCounts: { ...noNulls, environmentId: 1, key: 2 } }),
    group(4, 1, 3, 3, { timestampSamples: ['1700000000'] }),
  ];

  it('makes one entry per group, ordered by mask, with entryIds from (generation, chunk, mask)', () => {
    const entries = chunkEntries(chunk, groups, ctx);
    assert.deepEqual(
      entries.map((e) => [e.entryId, e.valid, e.numberOfRows, e.errors]),
      [
        [32, true, 90, []],
        [33, false, 3, ['REQUIRED_FIELDS_NULL']],
        [34, false, 5, ['INVALID_ENVIRONMENT_ID']],
        [36, false, 1, ['INVALID_TIMESTAMP']],
        [39, false, 1, ['INVALID_ENVIRONMENT_ID', 'INVALID_TIMESTAMP', 'REQUIRED_FIELDS_NULL']],
      ],
    );
    for (const e of entries) {
      assert.equal(e.originalCreationTime, 1_642_198_960_000);
      assert.deepEqual(e.warnings, []);
      assert.equal(e.errorsDetails.length, e.errors.length, 'one detail per code');
      assert.deepEqual(statusEntrySchema.parse(e), e);
      assert.deepEqual(Object.keys(e), CONTRACT_KEYS);
    }
  });

  it('details name the column, the row count, the row range, the file and up to 3 samples', () => {
    const entries = chunkEntries(chunk, groups, ctx);
    const byId = new Map(entries.map((e) => [e.entryId, e]));
    assert.deepEqual(byId.get(32)!.errorsDetails, []);
    assert.deepEqual(byId.get(33)!.errorsDetails, [
      `REQUIRED_FIELDS_NULL: 3 rows (rows 7-77 of ${FILE}) have null in required columns: environmentId (1 row), key (2 rows)`,
    ]);
    assert.equal(SAMPLE_COUNT, 3);
    assert.deepEqual(byId.get(34)!.errorsDetails, [
      `INVALID_ENVIRONMENT_ID: column environmentId, 5 rows (rows 5-50 of ${FILE}): not among the integration's environments [env-a, env-b]; samples: "env-c", "env-d", "env-e"`,
    ]);
    assert.deepEqual(byId.get(36)!.errorsDetails, [`INVALID_TIMESTAMP: column timestamp, 1 row (rows 3-3 of ${FILE}): ${TS_RULE}; samples: 1700000000`]);
    assert.deepEqual(byId.get(39)!.errorsDetails, [
      `INVALID_ENVIRONMENT_ID: column environmentId, 1 row (rows 60-60 of ${FILE}): not among the integration's environments [env-a, env-b]; samples: "env-z"`,
      `INVALID_TIMESTAMP: column timestamp, 1 row (rows 60-60 of ${FILE}): ${TS_RULE}; samples: 5`,
      `REQUIRED_FIELDS_NULL: 1 row (rows 60-60 of ${FILE}) have null in required columns: key (1 row)`,
    ]);
  });

  it('samples are quoted as JSON strings, so odd environment ids stay readable', () => {
    const [e] = chunkEntries(chunk, [group(2, 2, 0, 1, { environmentSamples: ['', 'a "b"'] })], ctx);
    assert.equal(
      e!.errorsDetails[0],
      `INVALID_ENVIRONMENT_ID: column environmentId, 2 rows (rows 0-1 of ${FILE}): not among the integration's environments [env-a, env-b]; samples: "", "a \\"b\\""`,
    );
  });

  it('is a function of the groups: the same input gives the same entries', () => {
    assert.deepEqual(chunkEntries(chunk, [...groups].reverse(), ctx), chunkEntries(chunk, groups, ctx));
  });

  it('a chunk without rows gets one valid entry of 0 rows', () => {
    const entries = chunkEntries({ index: 0, firstRow: 0, rowCount: 0 }, [], ctx);
    assert.deepEqual(entries, [
      { originalCreationTime: 1_642_198_960_000, entryId: 0, valid: true, numberOfRows: 0, errors: [], errorsDetails: [], warnings: [] },
    ]);
    assert.deepEqual(Object.keys(entries[0]!), CONTRACT_KEYS);
  });

  it('carries the pass warnings on every entry, and REPROCESSED from generation 1 on', () => {
    const warned = { ...ctx, warnings: ['UNKNOWN_COLUMNS_IGNORED', 'OPTIONAL_COLUMN_MISSING'] };
    for (const e of chunkEntries(chunk, groups, warned)) assert.deepEqual(e.warnings, ['OPTIONAL_COLUMN_MISSING', 'UNKNOWN_COLUMNS_IGNORED']);
    const again = chunkEntries(chunk, groups, { ...warned, generation: 2 });
    assert.deepEqual(
      again.map((e) => e.entryId),
      [32, 33, 34, 36, 39].map((id) => 2 * 2 ** 20 + id),
    );
    for (const e of again) assert.deepEqual(e.warnings, ['OPTIONAL_COLUMN_MISSING', 'REPROCESSED', 'UNKNOWN_COLUMNS_IGNORED']);
    assert.deepEqual(passWarnings([], 0), []);
    assert.deepEqual(passWarnings([], 1), ['REPROCESSED']);
    assert.deepEqual(passWarnings(['REPROCESSED', 'UNKNOWN_COLUMNS_IGNORED'], 3), ['REPROCESSED', 'UNKNOWN_COLUMNS_IGNORED']);
  });

  describe('unreadable rows', () => {
    it('an undecodable chunk: its rows, its range, and what failed', () => {
      const e = unreadableEntry(ctx, { index: 3, firstRow: 300, rowCount: 100 }, 'could not be decoded (chunk 3): Out of buffer');
      const expected: StatusEntry = {
        originalCreationTime: 1_642_198_960_000,
        entryId: 3 * 16 + 8,
        valid: false,
        numberOfRows: 100,
        errors: ['INVALID_SCHEMA'],
        errorsDetails: [`INVALID_SCHEMA: ${FILE} rows 300-399: could not be decoded (chunk 3): Out of buffer`],
        warnings: [],
      };
      assert.deepEqual(e, expected);
      assert.deepEqual(Object.keys(e), CONTRACT_KEYS);
    });

    it('a whole unreadable file: 0 rows and no range', () => {
      const e = unreadableEntry({ ...ctx, generation: 1 }, { index: 0, firstRow: 0, rowCount: 0 }, 'not a Parquet file: the file is empty');
      assert.deepEqual(e, {
        originalCreationTime: 1_642_198_960_000,
        entryId: 2 ** 20 + 8,
        valid: false,
        numberOfRows: 0,
        errors: ['INVALID_SCHEMA'],
        errorsDetails: [`INVALID_SCHEMA: ${FILE}: not a Parquet file: the file is empty`],
        warnings: ['REPROCESSED'],
      });
    });

    it('a schema-invalid file: one entry with the footer rows and every problem', () => {
      const e = schemaInvalidEntry({ ...ctx, warnings: ['UNKNOWN_COLUMNS_IGNORED'] }, 40, [
        'column key: required column not found (found "Key"; column names are case-sensitive)',
        'column value: type FLOAT found, Double expected (DOUBLE)',
      ]);
      assert.deepEqual(e, {
        originalCreationTime: 1_642_198_960_000,
        entryId: 8,
        valid: false,
        numberOfRows: 40,
        errors: ['INVALID_SCHEMA'],
        errorsDetails: [
          `INVALID_SCHEMA: ${FILE}: column key: required column not found (found "Key"; column names are case-sensitive); column value: type FLOAT found, Double expected (DOUBLE)`,
        ],
        warnings: ['UNKNOWN_COLUMNS_IGNORED'],
      });
      assert.deepEqual(Object.keys(e), CONTRACT_KEYS);
    });
  });

  it('cuts long sample values so one odd value cannot bloat a report', () => {
    const long = 'x'.repeat(10_000);
    const [entry] = chunkEntries(
      { index: 0, firstRow: 0, rowCount: 1 },
      [{ mask: 2, rows: 1, firstRow: 0, lastRow: 0, nullCounts: {}, environmentSamples: [long], timestampSamples: [] }],
      { fileName: 'f.parquet', originalCreationTime: 1, generation: 0, environments: ['env-a'], warnings: [] },
    );
    assert.ok(entry!.errorsDetails[0]!.endsWith(`samples: "${'x'.repeat(SAMPLE_MAX_CHARS)}…"`));
    assert.ok(entry!.errorsDetails[0]!.length < 300);
  });
});
