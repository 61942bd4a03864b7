import assert from 'node:assert/strict';
import {
  documentIsAllValid,
  entryTriplet,
  FileStatusEntry,
  rowsIn,
  StatusEntry,
  toStatusDocument,
} from '../../src/domain/statusEntry';
import { statusDocumentSchema, statusEntrySchema } from '../../src/domain/statusEntrySchema';

const entry = (o: Partial<StatusEntry> = {}): StatusEntry => ({
  originalCreationTime: 1_642_198_960_000,
  entryId: 3,
  valid: true,
  numberOfRows: 100,
  errors: [],
  errorsDetails: [],
  warnings: [],
  ...o,
});

describe('statusEntry', () => {
  it('the schema accepts the contract example entry', () => {
    const e = entry({ warnings: ['WARNING_XYZ'] });
    assert.deepEqual(statusEntrySchema.parse(e), e);
  });

  it('the schema rejects entryIds outside [0, 2^31), negative counts and missing fields', () => {
    assert.equal(statusEntrySchema.safeParse(entry({ entryId: 2 ** 31 - 1 })).success, true);
    assert.equal(statusEntrySchema.safeParse(entry({ entryId: 2 ** 31 })).success, false);
    assert.equal(statusEntrySchema.safeParse(entry({ entryId: -1 })).success, false);
    assert.equal(statusEntrySchema.safeParse(entry({ entryId: 1.5 })).success, false);
    assert.equal(statusEntrySchema.safeParse(entry({ numberOfRows: -1 })).success, false);
    assert.equal(statusEntrySchema.safeParse(entry({ originalCreationTime: 1.5 })).success, false);
    const missing: Partial<StatusEntry> = entry();
    delete missing.errorsDetails;
    assert.equal(statusEntrySchema.safeParse(missing).success, false);
    // The contract's example misspells it once as "errorDetails"; the JSON field is "errorsDetails".
    assert.equal(statusEntrySchema.safeParse({ ...missing, errorDetails: [] }).success, false);
  });

  it('a status document maps file names to lists of entries', () => {
    assert.equal(statusDocumentSchema.safeParse({ 'a.parquet': [entry()], 'b/c.parquet': [] }).success, true);
    assert.equal(statusDocumentSchema.safeParse({ 'a.parquet': entry() }).success, false);
    assert.equal(statusDocumentSchema.safeParse([entry()]).success, false);
  });

  it('the triplet is originalCreationTime|entryId|fileName', () => {
    assert.equal(entryTriplet({ fileName: 'x/y.parquet', entry: entry() }), '1642198960000|3|x/y.parquet');
  });

  it('toStatusDocument groups by file (in key order) and orders entries by creation time, then entryId', () => {
    const list: FileStatusEntry[] = [
      { fileName: 'fileB', entry: entry({ entryId: 2 }) },
      { fileName: 'fileA', entry: entry({ entryId: 9, originalCreationTime: 5 }) },
      { fileName: 'fileA', entry: entry({ entryId: 1, originalCreationTime: 7 }) },
      { fileName: 'fileA', entry: entry({ entryId: 0, originalCreationTime: 7 }) },
      { fileName: 'fileB', entry: entry({ entryId: 1 }) },
    ];
    const doc = toStatusDocument(list);
    assert.deepEqual(Object.keys(doc), ['fileA', 'fileB']);
    assert.deepEqual(
      doc.fileA!.map((e) => [e.originalCreationTime, e.entryId]),
      [
        [5, 9],
        [7, 0],
        [7, 1],
      ],
    );
    assert.deepEqual(
      doc.fileB!.map((e) => e.entryId),
      [1, 2],
    );
    assert.deepEqual(toStatusDocument([]), {});
  });

  it('documentIsAllValid and rowsIn', () => {
    const entries = [entry({ numberOfRows: 100 }), entry({ valid: false, numberOfRows: 7, errors: ['X'], errorsDetails: ['x'] }), entry({ numberOfRows: 3 })];
    assert.equal(rowsIn(entries), 110);
    assert.equal(rowsIn(entries, true), 103);
    assert.equal(rowsIn(entries, false), 7);
    assert.equal(rowsIn([]), 0);
    assert.equal(documentIsAllValid({ a: entries }), false);
    assert.equal(documentIsAllValid({ a: [entries[0]!], b: [entries[2]!] }), true);
    assert.equal(documentIsAllValid({}), true);
  });
});
