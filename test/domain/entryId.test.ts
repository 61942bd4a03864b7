import assert from 'node:assert/strict';
import { decodeEntryId, entryIdOf, MAX_CHUNKS, MAX_GENERATION, MAX_MASK } from '../../src/domain/entryId';

describe('entryId', () => {
  it('is generation * 2^20 + chunkIndex * 2^4 + mask', () => {
    assert.equal(entryIdOf(0, 0, 0), 0);
    assert.equal(entryIdOf(0, 0, 1), 1);
    assert.equal(entryIdOf(0, 0, 8), 8);
    assert.equal(entryIdOf(0, 1, 0), 16);
    assert.equal(entryIdOf(0, 2, 4), 36);
    assert.equal(entryIdOf(1, 0, 0), 1_048_576);
    assert.equal(entryIdOf(3, 5, 6), 3 * 1_048_576 + 5 * 16 + 6);
    assert.equal(entryIdOf(2, 65_535, 7), 2 * 1_048_576 + 65_535 * 16 + 7);
  });

  it('has the documented bounds and stays below 2^31', () => {
    assert.equal(MAX_GENERATION, 2047);
    assert.equal(MAX_CHUNKS, 65_536);
    assert.equal(MAX_MASK, 15);
    assert.equal(entryIdOf(MAX_GENERATION, MAX_CHUNKS - 1, MAX_MASK), 2 ** 31 - 1);
  });

  it('rejects values outside the bounds, and non-integers', () => {
    assert.throws(() => entryIdOf(-1, 0, 0), { name: 'RangeError', message: 'generation -1 outside 0..2047' });
    assert.throws(() => entryIdOf(2048, 0, 0), { name: 'RangeError', message: 'generation 2048 outside 0..2047' });
    assert.throws(() => entryIdOf(0.5, 0, 0), RangeError);
    assert.throws(() => entryIdOf(Number.NaN, 0, 0), RangeError);
    assert.throws(() => entryIdOf(0, -1, 0), { name: 'RangeError', message: 'chunk index -1 outside 0..65535' });
    assert.throws(() => entryIdOf(0, 65_536, 0), { name: 'RangeError', message: 'chunk index 65536 outside 0..65535' });
    assert.throws(() => entryIdOf(0, 1.5, 0), RangeError);
    assert.throws(() => entryIdOf(0, 0, -1), { name: 'RangeError', message: 'mask -1 outside 0..15' });
    assert.throws(() => entryIdOf(0, 0, 16), { name: 'RangeError', message: 'mask 16 outside 0..15' });
    assert.throws(() => entryIdOf(0, 0, 2.5), RangeError);
  });

  it('decodes back to its parts', () => {
    for (const [g, c, m] of [
      [0, 0, 0],
      [0, 1, 15],
      [7, 1234, 8],
      [MAX_GENERATION, MAX_CHUNKS - 1, MAX_MASK],
    ] as const) {
      assert.deepEqual(decodeEntryId(entryIdOf(g, c, m)), { generation: g, chunkIndex: c, mask: m });
    }
  });

  it('is unique across generations, chunks and masks', () => {
    const seen = new Set<number>();
    for (let g = 0; g < 4; g++) {
      for (const c of [0, 1, 2, 15, 16, 17, 4095, 4096, 65_535]) {
        for (let m = 0; m <= MAX_MASK; m++) seen.add(entryIdOf(g, c, m));
      }
    }
    assert.equal(seen.size, 4 * 9 * 16);
  });
});
