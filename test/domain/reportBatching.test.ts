import assert from 'node:assert/strict';
import { passKeyOf, PendingReports } from '../../src/domain/reportBatching';
import type { FileStatusEntry } from '../../src/domain/statusEntry';

const RULES = { flushDelayMs: 5_000, passWaitMs: 60_000, maxEntriesPerReport: 4 };

function e(fileName: string, chunk: number, generation = 0): FileStatusEntry {
  return { fileName, entry: { originalCreationTime: 1, entryId: generation * 2 ** 20 + chunk * 16, valid: true, numberOfRows: 1, errors: [], errorsDetails: [], warnings: [] } };
}
const files = (report: FileStatusEntry[]) => [...new Set(report.map((x) => x.fileName))];

describe('report batching (when a report goes out, and what it holds)', () => {
  it('is due at once when every pending pass has ended', () => {
    const p = new PendingReports(RULES);
    p.add([e('a', 0)], [passKeyOf(e('a', 0))], 1_000);
    assert.ok(p.flushDueAt()! <= 1_000);
    assert.deepEqual(files(p.takeReport(1_000)), ['a']);
    assert.equal(p.flushDueAt(), undefined);
  });

  it('knows when the oldest pass a report took began (what report latency is measured from), not an older pass left pending', () => {
    const p = new PendingReports(RULES);
    p.add([e('long', 0)], [], 1_000); // a long pass still running: not ready
    p.add([e('b', 0)], [passKeyOf(e('b', 0))], 5_000);
    p.add([e('c', 0)], [passKeyOf(e('c', 0))], 4_000);
    assert.deepEqual(files(p.takeReport(20_000)).sort(), ['b', 'c']);
    assert.equal(p.lastTakenFirstAtMs, 4_000);
    p.takeReport(20_000);
    assert.equal(p.lastTakenFirstAtMs, undefined, 'nothing taken');
  });

  it('holds a running pass for the pass wait, then the flush delay', () => {
    const p = new PendingReports(RULES);
    p.add([e('a', 0)], [], 1_000);
    assert.equal(p.flushDueAt(), 1_000 + 60_000 + 5_000);
    assert.deepEqual(p.takeReport(30_000), [], 'not ready yet');
    assert.deepEqual(files(p.takeReport(61_000)), ['a']);
  });

  it('an ended pass beside a running one goes out one flush delay after it ended, without the running one', () => {
    const p = new PendingReports(RULES);
    p.add([e('running', 0)], [], 0);
    p.add([e('done', 0)], [passKeyOf(e('done', 0))], 10_000);
    assert.equal(p.flushDueAt(), 15_000);
    assert.deepEqual(files(p.takeReport(15_000)), ['done']);
    assert.equal(p.size, 1);
  });

  it('is due at once with a full report pending, and never splits a pass that fits into a report', () => {
    const p = new PendingReports(RULES);
    p.add([e('a', 0), e('a', 1), e('a', 2)], [], 0);
    p.add([e('b', 0), e('b', 1)], [], 0);
    assert.ok(p.flushDueAt()! < 0);
    assert.deepEqual(files(p.takeReport(0)), ['a'], 'b does not fit beside a, and is not split');
    assert.deepEqual(files(p.takeReport(0, true)), ['b']);
  });

  it('with a full report pending, sends ended passes first and does not split a small running one', () => {
    const p = new PendingReports(RULES);
    p.add([e('running', 0)], [], 0);
    const done = [0, 1, 2, 3].map((c) => e('done', c));
    p.add(done, [passKeyOf(done[0]!)], 0);
    assert.ok(p.flushDueAt()! < 0, 'due at once: a full report is pending');
    assert.deepEqual(files(p.takeReport(0)), ['done']);
    assert.equal(p.size, 1, 'the running pass stays whole for later');
  });

  it('splits only a pass bigger than a report, in report-sized pieces', () => {
    const p = new PendingReports(RULES);
    const big = [0, 1, 2, 3, 4, 5].map((c) => e('big', c));
    p.add(big, [passKeyOf(big[0]!)], 0);
    assert.equal(p.takeReport(0).length, 4);
    assert.equal(p.takeReport(0).length, 2);
    assert.equal(p.size, 0);
  });

  it('keeps generations of one file apart, and carries passes through a snapshot', () => {
    const p = new PendingReports(RULES);
    p.add([e('a', 0, 0), e('a', 0, 1)], [passKeyOf(e('a', 0, 1))], 0);
    assert.equal(p.passCount, 2);
    const q = new PendingReports(RULES, p.snapshot());
    assert.equal(q.size, 2);
    assert.equal(q.flushDueAt(), 5_000, 'generation 0 still runs, so the ended generation 1 waits one flush delay');
  });
});
