import assert from 'node:assert/strict';
import { type ExportWindow, intervalAt, type IntervalPeriod, MINUTE_MS, minutesOf, windowOf, windowsBetween } from '../../src/domain/export/windows';

/** 2026-01-02 at hh:mm(:ss) UTC, in ms. */
const at = (h: number, m: number, s = 0, ms = 0) => Date.UTC(2026, 0, 2, h, m, s, ms);
const SETTLE = 2 * MINUTE_MS;
const iso = (w: ExportWindow) => [new Date(w.start).toISOString(), new Date(w.end).toISOString()];
const same = (actual: ExportWindow, expected: ExportWindow, message?: string) => assert.deepEqual(iso(actual), iso(expected), message);

/** Created the day before, every 30 minutes since. */
const CREATED = at(0, 0) - 24 * 60 * MINUTE_MS;
const EVERY_30: IntervalPeriod[] = [{ fromMs: CREATED, intervalMinutes: 30 }];

describe('export windows (DECISIONS: windows from nominal time, settle delay and interval history)', () => {
  describe('windowOf', () => {
    it('a regular 30-minute schedule with a 2-minute settle delay: the run at 12:32 exports [12:00, 12:30)', () => {
      same(windowOf(at(12, 32), SETTLE, EVERY_30), { start: at(12, 0), end: at(12, 30) });
      // The next run, with the last one's end as lastEnd: adjacent, unchanged.
      same(windowOf(at(13, 2), SETTLE, EVERY_30, at(12, 30)), { start: at(12, 30), end: at(13, 0) });
    });

    it('a nominal time not on the minute: the end is N − S rounded down to the minute', () => {
      same(windowOf(at(12, 32, 45, 500), SETTLE, EVERY_30), { start: at(12, 0), end: at(12, 30) });
      // A 10-second settle delay: 12:30:09 − 10 s = 12:29:59, down to 12:29.
      same(windowOf(at(12, 30, 9), 10_000, EVERY_30), { start: at(11, 59), end: at(12, 29) });
      same(windowOf(at(12, 30, 10), 10_000, EVERY_30), { start: at(12, 0), end: at(12, 30) });
      const w = windowOf(at(7, 1, 33, 1), 17_003, [{ fromMs: 0, intervalMinutes: 5 }]);
      assert.equal(w.start % MINUTE_MS, 0, 'whole minutes');
      assert.equal(w.end % MINUTE_MS, 0, 'whole minutes');
      same(w, { start: at(6, 56), end: at(7, 1) });
    });

    it('the interval grown 30 → 60: the first 60-minute window starts at the last 30-minute window\'s end, no overlap', () => {
      const history: IntervalPeriod[] = [...EVERY_30, { fromMs: at(12, 40), intervalMinutes: 60 }];
      // Before the change: a 30-minute window.
      const last30 = windowOf(at(12, 32), SETTLE, history, at(12, 0));
      same(last30, { start: at(12, 0), end: at(12, 30) });
      // The first run under the new interval (every 60 minutes, offset 2: 13:02) would cover [12:00, 13:00).
      const first60 = windowOf(at(13, 2), SETTLE, history, last30.end);
      same(first60, { start: at(12, 30), end: at(13, 0) }, 'starts at the last window\'s end');
      assert.ok(first60.start >= last30.end, 'no overlap');
      // Then regular 60-minute windows.
      same(windowOf(at(14, 2), SETTLE, history, first60.end), { start: at(13, 0), end: at(14, 0) });
      // Without a lastEnd (nothing exported yet), the interval in force at the end alone.
      same(windowOf(at(13, 2), SETTLE, history), { start: at(12, 0), end: at(13, 0) });
    });

    it('the interval grown just after a window\'s end, before its run: that run still uses the old interval, the next the new', () => {
      const history: IntervalPeriod[] = [...EVERY_30, { fromMs: at(13, 1), intervalMinutes: 60 }];
      same(windowOf(at(13, 2), SETTLE, history, at(12, 30)), { start: at(12, 30), end: at(13, 0) });
      same(windowOf(at(14, 2), SETTLE, history, at(13, 0)), { start: at(13, 0), end: at(14, 0) });
    });

    it('the interval shrunk 60 → 30 with the change opening a gap: the gap is closed (start = lastEnd)', () => {
      const history: IntervalPeriod[] = [
        { fromMs: CREATED, intervalMinutes: 60 },
        { fromMs: at(12, 40), intervalMinutes: 30 },
      ];
      const last60 = windowOf(at(12, 2), SETTLE, history, at(11, 0));
      same(last60, { start: at(11, 0), end: at(12, 0) });
      // The first run every 30 minutes after the change is at 13:02: [12:30, 13:00) would leave [12:00, 12:30) out.
      const first30 = windowOf(at(13, 2), SETTLE, history, last60.end);
      same(first30, { start: at(12, 0), end: at(13, 0) }, 'closed: starts at the last window\'s end');
      same(windowOf(at(13, 32), SETTLE, history, first30.end), { start: at(13, 0), end: at(13, 30) }, 'then 30-minute windows');
    });

    it('the interval shrunk 60 → 30 at a window boundary opens no gap: a regular 30-minute window', () => {
      const history: IntervalPeriod[] = [
        { fromMs: CREATED, intervalMinutes: 60 },
        { fromMs: at(12, 10), intervalMinutes: 30 },
      ];
      same(windowOf(at(12, 32), SETTLE, history, at(12, 0)), { start: at(12, 0), end: at(12, 30) });
    });

    it('a paused range (a gap with no interval change in it) is left as is: the window is [end − I, end)', () => {
      // Paused after [12:00, 12:30), unpaused for the run at 15:02: [12:30, 14:30) is left to a backfill.
      same(windowOf(at(15, 2), SETTLE, EVERY_30, at(12, 30)), { start: at(14, 30), end: at(15, 0) });
      // An interval change before the last window ended is not "since" it: the gap is still a pause.
      const history: IntervalPeriod[] = [{ fromMs: CREATED, intervalMinutes: 60 }, { fromMs: at(12, 10), intervalMinutes: 30 }];
      same(windowOf(at(15, 2), SETTLE, history, at(12, 30)), { start: at(14, 30), end: at(15, 0) });
    });

    it('a lastEnd at or after the window\'s end is ignored (a re-export of this window or an older one)', () => {
      const regular = { start: at(12, 0), end: at(12, 30) };
      same(windowOf(at(12, 32), SETTLE, EVERY_30, at(12, 30)), regular, 'lastEnd = end');
      same(windowOf(at(12, 32), SETTLE, EVERY_30, at(14, 0)), regular, 'lastEnd after end');
      const changed: IntervalPeriod[] = [...EVERY_30, { fromMs: at(12, 40), intervalMinutes: 60 }];
      same(windowOf(at(13, 2), SETTLE, changed, at(13, 0)), { start: at(12, 0), end: at(13, 0) }, 'an interval change does not bring lastEnd back into play');
      same(windowOf(at(13, 2), SETTLE, changed, at(16, 0)), { start: at(12, 0), end: at(13, 0) });
    });

    it('a lastEnd equal to the regular start changes nothing', () => {
      same(windowOf(at(12, 32), SETTLE, EVERY_30, at(12, 0)), { start: at(12, 0), end: at(12, 30) });
    });
  });

  describe('intervalAt', () => {
    const history: IntervalPeriod[] = [
      { fromMs: at(10, 0), intervalMinutes: 30 },
      { fromMs: at(12, 0), intervalMinutes: 60 },
      { fromMs: at(14, 0), intervalMinutes: 15 },
    ];

    it('the last period begun at or before the time: a period starts at its fromMs, inclusive', () => {
      assert.equal(intervalAt(history, at(10, 0)), 30);
      assert.equal(intervalAt(history, at(11, 59, 59, 999)), 30);
      assert.equal(intervalAt(history, at(12, 0)), 60, 'in force from its fromMs');
      assert.equal(intervalAt(history, at(13, 59, 59, 999)), 60);
      assert.equal(intervalAt(history, at(14, 0)), 15);
      assert.equal(intervalAt(history, at(23, 0)), 15, 'the last stays in force');
    });

    it('before any period: the first', () => {
      assert.equal(intervalAt(history, at(9, 59, 59, 999)), 30);
      assert.equal(intervalAt(history, 0), 30);
    });

    it('an empty history is an error', () => {
      assert.throws(() => intervalAt([], at(12, 0)), /at least one period/);
    });
  });

  describe('windowsBetween', () => {
    it('windows aligned on multiples of the interval from the epoch, whole ones only, within [from, to)', () => {
      const ws = windowsBetween(at(12, 10), at(14, 20), 30);
      assert.deepEqual(
        ws.map(iso),
        [
          [at(12, 30), at(13, 0)],
          [at(13, 0), at(13, 30)],
          [at(13, 30), at(14, 0)],
        ].map(([start, end]) => iso({ start: start!, end: end! })),
      );
    });

    it('aligned bounds are included, the last window ending exactly at `to`', () => {
      const ws = windowsBetween(at(12, 0), at(13, 0), 30);
      assert.deepEqual(ws.map(iso), [iso({ start: at(12, 0), end: at(12, 30) }), iso({ start: at(12, 30), end: at(13, 0) })]);
    });

    it('windows of a day-dividing interval align with days', () => {
      const day = Date.UTC(2026, 0, 2);
      const ws = windowsBetween(day - 1, day + 24 * 60 * MINUTE_MS, 90);
      assert.equal(ws.length, 16);
      assert.equal(ws[0]!.start, day);
      assert.equal(ws.at(-1)!.end, day + 24 * 60 * MINUTE_MS);
      for (const [i, w] of ws.entries()) {
        assert.equal(w.end - w.start, 90 * MINUTE_MS);
        if (i > 0) assert.equal(w.start, ws[i - 1]!.end, 'adjacent');
      }
    });

    it('a range shorter than one aligned window holds none', () => {
      assert.deepEqual(windowsBetween(at(12, 10), at(12, 50), 30), []);
      assert.deepEqual(windowsBetween(at(12, 0), at(12, 0), 30), []);
    });
  });

  describe('minutesOf', () => {
    it('the start of every minute a window covers, its end excluded', () => {
      assert.deepEqual(minutesOf({ start: at(12, 0), end: at(12, 3) }), [at(12, 0), at(12, 1), at(12, 2)]);
      assert.equal(minutesOf({ start: at(12, 0), end: at(12, 30) }).length, 30);
      assert.deepEqual(minutesOf({ start: at(12, 0), end: at(12, 0) }), []);
    });
  });
});
