import assert from 'node:assert/strict';
import { Chunk, planChunks } from '../../src/domain/chunkPlan';
import { MAX_CHUNKS } from '../../src/domain/entryId';

const c = (index: number, firstRow: number, rowCount: number): Chunk => ({ index, firstRow, rowCount });

/** The invariants every plan must hold: contiguous, numbered 0.., covering every row, capped. */
function assertWellFormed(plan: Chunk[], rowGroupRows: number[]) {
  const total = rowGroupRows.reduce((a, b) => a + b, 0);
  assert.ok(plan.length >= 1 && plan.length <= MAX_CHUNKS, `${plan.length} chunks`);
  let next = 0;
  plan.forEach((ch, i) => {
    assert.equal(ch.index, i);
    assert.equal(ch.firstRow, next);
    next += ch.rowCount;
  });
  assert.equal(next, total);
  if (total > 0) assert.ok(plan.every((ch) => ch.rowCount > 0), 'no empty chunk in a non-empty file');
}

describe('chunkPlan', () => {
  it('an empty file (no row groups) gets one empty chunk', () => {
    assert.deepEqual(planChunks([], 1000), [c(0, 0, 0)]);
  });

  it('a file with only empty row groups gets one empty chunk', () => {
    assert.deepEqual(planChunks([0, 0], 1000), [c(0, 0, 0)]);
  });

  it('a small file is one chunk', () => {
    assert.deepEqual(planChunks([10, 20, 30], 1000), [c(0, 0, 60)]);
  });

  it('merges consecutive row groups until a chunk holds at least the target', () => {
    assert.deepEqual(planChunks([100, 100, 100, 100, 100], 250), [c(0, 0, 300), c(1, 300, 200)]);
    assert.deepEqual(planChunks([250, 250, 250], 250), [c(0, 0, 250), c(1, 250, 250), c(2, 500, 250)]);
    assert.deepEqual(planChunks([2048, 2048, 2048, 2048, 1808], 2048), [
      c(0, 0, 2048),
      c(1, 2048, 2048),
      c(2, 4096, 2048),
      c(3, 6144, 2048),
      c(4, 8192, 1808),
    ]);
  });

  it('keeps a row group of up to twice the target whole', () => {
    assert.deepEqual(planChunks([500], 250), [c(0, 0, 500)]);
    assert.deepEqual(planChunks([200, 500], 250), [c(0, 0, 700)]);
  });

  it('splits a row group bigger than twice the target into near-equal row ranges', () => {
    // ceil(1001 / 250) = 5 pieces: 201, 200, 200, 200, 200
    assert.deepEqual(planChunks([1001], 250), [c(0, 0, 201), c(1, 201, 200), c(2, 401, 200), c(3, 601, 200), c(4, 801, 200)]);
    assert.deepEqual(planChunks([1000], 250), [c(0, 0, 250), c(1, 250, 250), c(2, 500, 250), c(3, 750, 250)]);
  });

  it('flushes the pending merge before a big row group and resumes after it', () => {
    assert.deepEqual(planChunks([100, 1000, 100, 50], 250), [
      c(0, 0, 100),
      c(1, 100, 250),
      c(2, 350, 250),
      c(3, 600, 250),
      c(4, 850, 250),
      c(5, 1100, 150),
    ]);
  });

  it('raises the target so that a file never has more than 65536 chunks', () => {
    const many = Array.from({ length: 200_000 }, () => 1);
    const plan = planChunks(many, 1);
    // target becomes ceil(200000 / 65536) = 4
    assert.equal(plan.length, 50_000);
    assert.deepEqual(plan[1], c(1, 4, 4));
    assertWellFormed(plan, many);

    const exact = Array.from({ length: MAX_CHUNKS }, () => 3);
    const exactPlan = planChunks(exact, 3);
    assert.equal(exactPlan.length, MAX_CHUNKS);
    assertWellFormed(exactPlan, exact);

    const big = [MAX_CHUNKS * 10 + 5];
    const bigPlan = planChunks(big, 1);
    assertWellFormed(bigPlan, big);
  });

  it('keeps the 65536 cap when big row groups are split (pieces smaller than the target)', () => {
    // 30000 row groups of 100 rows with target 1: the raised target is 46, every row group is
    // bigger than twice that and splits into 3 pieces, i.e. 90000 chunks without a further raise.
    const layout = Array.from({ length: 30_000 }, () => 100);
    assertWellFormed(planChunks(layout, 1), layout);
    // Tiny row groups between big ones: each tiny one is flushed on its own.
    const alternating = Array.from({ length: 58_000 }, (_, i) => (i % 2 === 0 ? 1 : 21));
    assertWellFormed(planChunks(alternating, 1), alternating);
  });

  it('holds its invariants for varied layouts and is deterministic', () => {
    let seed = 12345;
    const rand = () => ((seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31) / 2 ** 31);
    for (let t = 0; t < 200; t++) {
      const layout = Array.from({ length: 1 + Math.floor(rand() * 30) }, () => Math.floor(rand() * 5000));
      const target = 1 + Math.floor(rand() * 3000);
      const plan = planChunks(layout, target);
      assertWellFormed(plan, layout);
      assert.deepEqual(planChunks(layout, target), plan);
    }
  });

  it('rejects a target that is not positive', () => {
    assert.throws(() => planChunks([10], 0), { name: 'RangeError', message: 'targetRows must be positive, got 0' });
    assert.throws(() => planChunks([10], -5), RangeError);
    assert.throws(() => planChunks([10], Number.NaN), RangeError);
  });
});
