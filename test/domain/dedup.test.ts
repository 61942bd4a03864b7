import assert from 'node:assert/strict';
import { RecentTriplets } from '../../src/domain/dedup';
import { FileStatusEntry } from '../../src/domain/statusEntry';

function fe(fileName: string, entryId: number, originalCreationTime = 1000, numberOfRows = 1): FileStatusEntry {
  return { fileName, entry: { originalCreationTime, entryId, valid: true, numberOfRows, errors: [], errorsDetails: [], warnings: [] } };
}

describe('dedup', () => {
  it('admits a new triplet once and drops its redeliveries', () => {
    const r = new RecentTriplets(10);
    assert.equal(r.admit(fe('a', 1)), true);
    assert.equal(r.admit(fe('a', 1)), false);
    // The triplet decides, not the rest of the entry.
    assert.equal(r.admit(fe('a', 1, 1000, 99)), false);
  });

  it('tells triplets apart by fileName, originalCreationTime and entryId', () => {
    const r = new RecentTriplets(10);
    assert.equal(r.admit(fe('a', 1, 1000)), true);
    assert.equal(r.admit(fe('b', 1, 1000)), true);
    assert.equal(r.admit(fe('a', 2, 1000)), true);
    assert.equal(r.admit(fe('a', 1, 1001)), true);
    assert.equal(r.snapshot().length, 4);
  });

  it('keeps only the most recent `capacity` triplets, evicting the oldest', () => {
    const r = new RecentTriplets(3);
    for (const id of [1, 2, 3, 4]) assert.equal(r.admit(fe('f', id)), true);
    assert.equal(r.snapshot().length, 3);
    assert.equal(r.admit(fe('f', 1)), true, '1 was evicted, so it is admitted again');
    // Admitting 1 evicted 2; 3 and 4 are still remembered.
    assert.equal(r.admit(fe('f', 3)), false);
    assert.equal(r.admit(fe('f', 4)), false);
    assert.equal(r.admit(fe('f', 2)), true);
    assert.equal(r.snapshot().length, 3);
  });

  it('survives continue-as-new through its snapshot, trimmed to capacity', () => {
    const r = new RecentTriplets(5);
    for (let id = 0; id < 5; id++) r.admit(fe('f', id));
    const snap = r.snapshot();
    assert.equal(snap.length, 5);
    assert.ok(snap.every((s) => /^[0-9a-f]{20}$/.test(s)));
    const restored = new RecentTriplets(5, snap);
    for (let id = 0; id < 5; id++) assert.equal(restored.admit(fe('f', id)), false);
    const smaller = new RecentTriplets(2, snap);
    assert.deepEqual(smaller.snapshot(), snap.slice(-2));
    assert.equal(smaller.admit(fe('f', 4)), false);
    assert.equal(smaller.admit(fe('f', 0)), true);
  });

  it('snapshot is a copy', () => {
    const r = new RecentTriplets(3);
    r.admit(fe('f', 1));
    const snap = r.snapshot();
    snap.push('x');
    assert.equal(r.snapshot().length, 1);
  });
});
