import assert from 'node:assert/strict';
import { backfillPlan, expectedWindows, findGaps, pausedAtOfNote, pauseNote, predictedWindows, regularEnd, skippedNominals, uncovered, type BackfillRequest } from '../../src/domain/export/gaps';
import { MINUTE_MS, windowOf, type ExportWindow, type IntervalPeriod } from '../../src/domain/export/windows';

/** A time on 2026-03-02, UTC: `t('10:07')`, `t('10:10:30')`. */
const t = (hhmm: string) => Date.parse(`2026-03-02T${hhmm.length === 5 ? `${hhmm}:00` : hhmm}Z`);
const w = (start: string, end: string): ExportWindow => ({ start: t(start), end: t(end) });
const S = 2 * MINUTE_MS;
const minutes = (from: string, to: string, step = 1) => {
  const out: ExportWindow[] = [];
  for (let s = t(from); s < t(to); s += step * MINUTE_MS) out.push({ start: s, end: s + step * MINUTE_MS });
  return out;
};

/**
 * What the schedule and the export workflow do over a history: the entity changes the schedule
 * at each change; the old spec fires up to the change, the new one after it; each run's window
 * is windowOf with the last exported end. `skip` drops runs (a paused schedule).
 */
function scheduleRuns(history: IntervalPeriod[], now: number, skip: (nominal: number) => boolean = () => false): ExportWindow[] {
  const out: ExportWindow[] = [];
  let lastEnd: number | undefined;
  for (const [i, p] of history.entries()) {
    const step = p.intervalMinutes * MINUTE_MS;
    const until = Math.min(history[i + 1]?.fromMs ?? Infinity, now);
    for (let n = Math.floor((p.fromMs - S) / step) * step + S; n <= until; n += step) {
      if (n <= p.fromMs || skip(n)) continue;
      const win = windowOf(n, S, history, lastEnd);
      if (win.end <= win.start) continue;
      out.push(win);
      lastEnd = win.end;
    }
  }
  return out;
}

const fromRuns = (runs: ExportWindow[]) => ({
  completeStarts: runs.map((r) => r.start),
  reads: [] as number[],
  manifestEnd(this: { reads: number[] }, start: number) {
    this.reads.push(start);
    return Promise.resolve(runs.find((r) => r.start === start)?.end);
  },
});

describe('export gaps: the windows an outbound integration owes, and backfill plans', () => {
  describe('expectedWindows', () => {
    it('counts from the creation rounded up to the interval, and owes a window once its end plus the settle delay has passed', () => {
      const history = [{ fromMs: t('10:07'), intervalMinutes: 30 }];
      assert.deepEqual(expectedWindows(history, t('10:07'), S, t('11:01:59')), []);
      assert.deepEqual(expectedWindows(history, t('10:07'), S, t('11:02')), [w('10:30', '11:00')]);
      assert.deepEqual(expectedWindows(history, t('10:07'), S, t('12:31:59')), [w('10:30', '11:00'), w('11:00', '11:30'), w('11:30', '12:00')]);
    });

    it('after a change, one window runs from the last regular end to the first end of the new interval, then the new windows', () => {
      const down = [{ fromMs: t('10:00'), intervalMinutes: 30 }, { fromMs: t('11:10:30'), intervalMinutes: 1 }];
      assert.deepEqual(expectedWindows(down, t('10:00'), S, t('11:20')), [w('10:00', '10:30'), w('10:30', '11:00'), w('11:00', '11:11'), ...minutes('11:11', '11:18')]);
      // The old spec's run of [10:09, 10:10) would have come at 10:12, after the change: the bridge takes it.
      const up = [{ fromMs: t('10:00'), intervalMinutes: 1 }, { fromMs: t('10:10:30'), intervalMinutes: 30 }];
      assert.deepEqual(expectedWindows(up, t('10:00'), S, t('11:02')), [...minutes('10:00', '10:08'), w('10:08', '10:30'), w('10:30', '11:00')]);
    });

    it('a change before any window was owed counts from the creation under the new interval', () => {
      const history = [{ fromMs: t('10:05'), intervalMinutes: 30 }, { fromMs: t('10:07'), intervalMinutes: 1 }];
      assert.deepEqual(expectedWindows(history, t('10:05'), S, t('10:12')), [w('10:05', '10:07'), ...minutes('10:07', '10:10')]);
    });
  });

  describe('the gap check against what the schedule does', () => {
    const histories: [string, IntervalPeriod[]][] = [
      ['one interval', [{ fromMs: t('10:07:13'), intervalMinutes: 5 }]],
      ['30 to 1 minute', [{ fromMs: t('09:41:07'), intervalMinutes: 30 }, { fromMs: t('11:10:30'), intervalMinutes: 1 }]],
      ['1 to 30 minutes', [{ fromMs: t('10:00:05'), intervalMinutes: 1 }, { fromMs: t('10:10:30'), intervalMinutes: 30 }]],
      ['three changes', [{ fromMs: t('08:03'), intervalMinutes: 15 }, { fromMs: t('09:01:59'), intervalMinutes: 2 }, { fromMs: t('09:31'), intervalMinutes: 60 }, { fromMs: t('11:59:30'), intervalMinutes: 4 }]],
    ];
    for (const [name, history] of histories) {
      it(`${name}: every owed window is exported by the schedule's runs, so a healthy integration has no gap`, async () => {
        const now = t('13:00:17');
        const runs = scheduleRuns(history, now);
        const expected = expectedWindows(history, history[0]!.fromMs, S, now);
        assert.ok(expected.length > 0);
        assert.deepEqual(uncovered(expected, runs), []);
        const gaps = await findGaps({ history, createdAt: history[0]!.fromMs, settleMs: S, now, ...fromRuns(runs) });
        assert.deepEqual(gaps.missing, []);
        assert.ok(gaps.manifestsRead <= 3 * history.length, `manifests are read only around changes (${gaps.manifestsRead})`);
      });
    }

    it('a paused stretch is reported window by window; runs after it are not', async () => {
      const history = [{ fromMs: t('10:00'), intervalMinutes: 1 }];
      const paused = (n: number) => n > t('10:20') && n < t('10:30');
      const runs = scheduleRuns(history, t('10:45'), paused);
      const gaps = await findGaps({ history, createdAt: t('10:00'), settleMs: S, now: t('10:45'), ...fromRuns(runs) });
      assert.deepEqual(gaps.missing, minutes('10:18', '10:27'));
      assert.equal(gaps.manifestsRead, 1, 'one manifest, to rule out a longer window before the gap');
    });

    it('a window longer than its interval (a pause, then a change) covers what it holds: its manifest is read', async () => {
      const history = [{ fromMs: t('08:00'), intervalMinutes: 30 }, { fromMs: t('10:05'), intervalMinutes: 60 }];
      const runs = scheduleRuns(history, t('12:30'), (n) => n > t('08:40') && n < t('10:05'));
      assert.deepEqual(runs.find((r) => r.start === t('08:30')), w('08:30', '11:00'), 'the first window after the change starts where the last one ended');
      const fake = fromRuns(runs);
      const gaps = await findGaps({ history, createdAt: t('08:00'), settleMs: S, now: t('12:30'), ...fake });
      assert.deepEqual(gaps.missing, []);
      assert.ok(fake.reads.includes(t('08:30')));
    });

    it('no complete window at all: every owed window is missing, and no manifest is read', async () => {
      const history = [{ fromMs: t('10:00:30'), intervalMinutes: 1 }];
      const fake = fromRuns([]);
      const gaps = await findGaps({ history, createdAt: t('10:00:30'), settleMs: S, now: t('10:06'), ...fake });
      assert.deepEqual(gaps.missing, minutes('10:01', '10:04'));
      assert.deepEqual(fake.reads, []);
    });
  });

  it('regularEnd: the start plus its interval, unless the start is off its grid or a change comes first', () => {
    const history = [{ fromMs: t('08:00'), intervalMinutes: 30 }, { fromMs: t('10:05'), intervalMinutes: 60 }];
    assert.equal(regularEnd(history, t('09:00')), t('09:30'));
    assert.equal(regularEnd(history, t('09:15')), undefined);
    assert.equal(regularEnd(history, t('09:59')), undefined);
    assert.equal(regularEnd(history, t('10:00')), undefined, 'the change at 10:05 may end it early');
    assert.equal(regularEnd(history, t('11:00')), t('12:00'));
  });

  describe('backfillPlan', () => {
    const history = [{ fromMs: t('06:00'), intervalMinutes: 30 }, { fromMs: t('09:10'), intervalMinutes: 10 }];
    const req = (o: Partial<BackfillRequest>): BackfillRequest => ({ history, fromMs: t('10:00'), toMs: t('10:30'), settleMs: S, scheduleIntervalMinutes: 10, now: t('12:00'), ...o });
    const problem = (o: Partial<BackfillRequest>) => {
      const p = backfillPlan(req(o));
      assert.equal(p.ok, false);
      return p.ok ? '' : p.problem;
    };

    it('the windows fully inside [from, to), each run at its end plus the offset', () => {
      assert.deepEqual(backfillPlan(req({})), { ok: true, intervalMinutes: 10, windows: minutes('10:00', '10:30', 10), nominals: [t('10:12'), t('10:22'), t('10:32')] });
    });

    it('uses the interval in force for the range, when the schedule runs at its ends', () => {
      const plan = backfillPlan(req({ fromMs: t('07:00'), toMs: t('08:00') }));
      assert.deepEqual(plan, { ok: true, intervalMinutes: 30, windows: minutes('07:00', '08:00', 30), nominals: [t('07:32'), t('08:02')] });
      assert.match(problem({ fromMs: t('07:00'), toMs: t('08:00'), scheduleIntervalMinutes: 20 }), /schedule now runs every 20 minutes, which does not divide them/);
    });

    it('refuses a range across an interval change, not aligned to the interval, empty, or not due yet', () => {
      assert.match(problem({ fromMs: t('08:30'), toMs: t('09:30') }), /crosses the interval change at 2026-03-02T09:10:00.000Z \(every 30 minutes, then every 10\).*backfill each side separately/);
      assert.match(problem({ fromMs: t('10:05') }), /--from 2026-03-02T10:05:00.000Z is not aligned to the 10-minute interval.*try 2026-03-02T10:00:00.000Z or 2026-03-02T10:10:00.000Z/);
      assert.match(problem({ toMs: t('10:31') }), /--to .* is not aligned/);
      assert.match(problem({ toMs: t('10:00') }), /must be before --to/);
      assert.match(problem({ now: t('10:31:59') }), /the window ending at 2026-03-02T10:30:00.000Z is not due yet/);
    });
  });

  it('predictedWindows: the runs\' windows, the first starting where the last exported one ended after a change', () => {
    const history = [{ fromMs: t('06:00'), intervalMinutes: 30 }, { fromMs: t('09:10'), intervalMinutes: 10 }];
    const nominals = [t('10:12'), t('10:22')];
    assert.deepEqual(predictedWindows(nominals, S, history, t('10:00')), minutes('10:00', '10:20', 10));
    assert.deepEqual(predictedWindows(nominals, S, history, t('09:00')), [w('09:00', '10:10'), w('10:10', '10:20')]);
  });
});

describe('export pause and resume: the windows a paused schedule skipped', () => {
  const at = (hhmm: string, s = 0) => Date.UTC(2026, 11, 2, Number(hhmm.slice(0, 2)), Number(hhmm.slice(3)), s);

  it('reads back the pause time the pause note carries, with or without a reason, and nothing from another note', () => {
    assert.equal(pausedAtOfNote(pauseNote(at('10:07'))), at('10:07'));
    assert.equal(pausedAtOfNote(pauseNote(at('10:07'), 'bucket policy being changed')), at('10:07'));
    assert.equal(pausedAtOfNote('paused in the Web UI'), undefined);
    assert.equal(pausedAtOfNote(undefined), undefined);
  });

  it('lists every run (window end + settle) from the pause to the resume, and none outside', () => {
    // Every 30 minutes, 2 minutes of settle: runs at :02 and :32.
    assert.deepEqual(skippedNominals(at('10:05'), at('11:40'), 2 * MINUTE_MS, 30), [at('10:32'), at('11:02'), at('11:32')]);
    // Paused just before a run and resumed just after it: that one run.
    assert.deepEqual(skippedNominals(at('10:31', 59), at('10:32', 1), 2 * MINUTE_MS, 30), [at('10:32')]);
    // Paused and resumed between two runs: nothing skipped.
    assert.deepEqual(skippedNominals(at('10:03'), at('10:31'), 2 * MINUTE_MS, 30), []);
  });
});
