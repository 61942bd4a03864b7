import { intervalAt, MINUTE_MS, windowOf, windowsBetween, type ExportWindow, type IntervalPeriod } from './windows';

/**
 * The windows an outbound integration owes, from its interval history (DECISIONS, "Impressions
 * and export"): what `export status` checks the customer's bucket against, and what
 * `export backfill` asks the schedule to run. Pure: the caller lists the bucket.
 */

const ceilTo = (ms: number, step: number) => Math.ceil(ms / step) * step;

/**
 * The windows that should be complete by `now` (end + settle ≤ now), from the integration's
 * creation rounded up to its interval, chronologically and without gaps:
 * - under each interval, its regular windows (starting at multiples of it) whose run came
 *   before the next change (end + settle ≤ the change);
 * - after a change, one window from where the last one ended to the first end of the new
 *   interval at or after the change: the export merges what the old schedule had not run into
 *   its first window under the new interval, so no time is left out.
 * When the interval changed before any window was owed, counting starts at the creation again,
 * rounded up to the new interval.
 */
export function expectedWindows(history: readonly IntervalPeriod[], createdAt: number, settleMs: number, now: number): ExportWindow[] {
  const out: ExportWindow[] = [];
  const due = (end: number) => end + settleMs <= now;
  let cursor = 0;
  for (const [i, period] of history.entries()) {
    const step = period.intervalMinutes * MINUTE_MS;
    const nextChange = history[i + 1]?.fromMs ?? Infinity;
    if (i === 0) cursor = ceilTo(createdAt, step);
    else {
      if (out.length === 0) cursor = Math.min(cursor, ceilTo(createdAt, step));
      const end = ceilTo(Math.max(period.fromMs, cursor), step);
      if (end > cursor) {
        if (!due(end)) return out;
        out.push({ start: cursor, end });
        cursor = end;
      }
    }
    for (let end = cursor + step; end + settleMs <= nextChange; end += step) {
      if (!due(end)) return out;
      out.push({ start: cursor, end });
      cursor = end;
    }
  }
  return out;
}

/**
 * The end of a complete window that starts at `start`, when the regular schedule decides it:
 * the start is on its interval's grid and no change comes before its regular end. Otherwise
 * (a window around a change) undefined: only its manifest tells.
 */
export function regularEnd(history: readonly IntervalPeriod[], start: number): number | undefined {
  const step = intervalAt(history, start) * MINUTE_MS;
  if (start % step !== 0) return undefined;
  const end = start + step;
  return history.some((p, i) => i > 0 && p.fromMs > start && p.fromMs <= end) ? undefined : end;
}

/** The expected windows not wholly inside the union of the complete ones. */
export function uncovered(expected: readonly ExportWindow[], complete: readonly ExportWindow[]): ExportWindow[] {
  const spans: ExportWindow[] = [];
  for (const w of [...complete].sort((a, b) => a.start - b.start)) {
    const last = spans.at(-1);
    if (last && w.start <= last.end) last.end = Math.max(last.end, w.end);
    else spans.push({ ...w });
  }
  return expected.filter((w) => {
    // The last span starting at or before the window is the only one that can hold it.
    let lo = 0;
    let hi = spans.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (spans[mid]!.start <= w.start) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    return found === -1 || spans[found]!.end < w.end;
  });
}

export interface GapCheckInput {
  history: readonly IntervalPeriod[];
  createdAt: number;
  settleMs: number;
  now: number;
  /** The starts of the window folders that hold `_SUCCESS`. */
  completeStarts: readonly number[];
  /** A complete window's end from its manifest (undefined when it has none we can read). */
  manifestEnd(start: number): Promise<number | undefined>;
}

export interface GapCheck {
  expected: ExportWindow[];
  missing: ExportWindow[];
  /** The complete windows, with the ends the check used. */
  complete: ExportWindow[];
  /** Manifests read to find ends (the regular schedule decides the others). */
  manifestsRead: number;
}

/**
 * The gap check: the expected windows that no complete window covers. A complete window's end
 * is its regular end where the schedule decides it, else its manifest's. A window merged after
 * a change or a pause can be longer than its regular end says, so before a window is reported
 * missing, the manifest of the complete window just before it is read.
 */
export async function findGaps(input: GapCheckInput): Promise<GapCheck> {
  const expected = expectedWindows(input.history, input.createdAt, input.settleMs, input.now);
  const ends = new Map<number, number | undefined>();
  const verified = new Set<number>();
  let manifestsRead = 0;
  const verify = async (start: number) => {
    verified.add(start);
    manifestsRead++;
    ends.set(start, await input.manifestEnd(start));
  };
  const starts = [...new Set(input.completeStarts)].sort((a, b) => a - b);
  for (const s of starts) {
    const end = regularEnd(input.history, s);
    if (end === undefined) await verify(s);
    else ends.set(s, end);
  }
  const complete = () => starts.flatMap((start) => (ends.get(start) === undefined ? [] : [{ start, end: ends.get(start)! }]));
  for (;;) {
    const missing = uncovered(expected, complete());
    const toVerify = new Set<number>();
    for (const w of missing) {
      const before = starts.filter((s) => s <= w.start).at(-1);
      if (before !== undefined && !verified.has(before)) toVerify.add(before);
    }
    if (toVerify.size === 0) return { expected, missing, complete: complete(), manifestsRead };
    for (const s of toVerify) await verify(s);
  }
}

export type BackfillPlan =
  | {
      ok: true;
      /** The interval in force for the range: its windows are this long. */
      intervalMinutes: number;
      /** The regular windows fully inside [from, to). */
      windows: ExportWindow[];
      /** The schedule's nominal time of each window's run: its end plus the schedule's offset. */
      nominals: number[];
    }
  | { ok: false; problem: string };

export interface BackfillRequest {
  history: readonly IntervalPeriod[];
  fromMs: number;
  toMs: number;
  /** The runs' settle delay (a window is due once it has passed its end). */
  settleMs: number;
  /** The schedule's interval now: a backfill can only ask for times it runs at. */
  scheduleIntervalMinutes: number;
  now: number;
}

const iso = (ms: number) => new Date(ms).toISOString();

/**
 * Which windows a backfill of [from, to) exports: those of the interval in force for the range
 * (a backfill never mixes intervals), so the range must lie under one interval and be aligned
 * to it, and every window in it must be due. The schedule runs at multiples of its current
 * interval: an older interval's windows can be asked for only when those are among them.
 */
export function backfillPlan(r: BackfillRequest): BackfillPlan {
  if (!(r.fromMs < r.toMs)) return { ok: false, problem: `--from (${iso(r.fromMs)}) must be before --to (${iso(r.toMs)})` };
  const change = r.history.find((p, i) => i > 0 && p.fromMs > r.fromMs && p.fromMs <= r.toMs);
  if (change) {
    const before = intervalAt(r.history, change.fromMs - 1);
    return {
      ok: false,
      problem:
        `the range crosses the interval change at ${iso(change.fromMs)} (every ${before} minutes, then every ${change.intervalMinutes}); ` +
        `a backfill exports the windows of the interval in force for its range: backfill each side separately (a range across a change is not supported yet)`,
    };
  }
  const intervalMinutes = intervalAt(r.history, r.toMs);
  const step = intervalMinutes * MINUTE_MS;
  for (const [flag, t] of [['--from', r.fromMs], ['--to', r.toMs]] as const) {
    if (t % step !== 0) {
      return {
        ok: false,
        problem: `${flag} ${iso(t)} is not aligned to the ${intervalMinutes}-minute interval in force for the range (windows start at multiples of it from midnight UTC): try ${iso(Math.floor(t / step) * step)} or ${iso(Math.ceil(t / step) * step)}`,
      };
    }
  }
  if (r.toMs + r.settleMs > r.now) {
    return { ok: false, problem: `the window ending at ${iso(r.toMs)} is not due yet (its run is at ${iso(r.toMs + r.settleMs)}, after the settle delay): choose an earlier --to` };
  }
  if (intervalMinutes % r.scheduleIntervalMinutes !== 0) {
    return {
      ok: false,
      problem: `the range's windows are ${intervalMinutes} minutes long, but the schedule now runs every ${r.scheduleIntervalMinutes} minutes, which does not divide them: the schedule cannot run their ends`,
    };
  }
  const windows = windowsBetween(r.fromMs, r.toMs, intervalMinutes);
  return { ok: true, intervalMinutes, windows, nominals: windows.map((w) => w.end + r.settleMs) };
}

/**
 * The windows the export workflow derives for these runs, in order (windowOf, with each run
 * seeing the one before it as the last exported window): normally the plan's, but a first window
 * after an interval change starts where the last exported one ended.
 */
export function predictedWindows(nominals: readonly number[], settleMs: number, history: readonly IntervalPeriod[], lastEndBefore?: number): ExportWindow[] {
  const out: ExportWindow[] = [];
  let lastEnd = lastEndBefore;
  for (const n of nominals) {
    const w = windowOf(n, settleMs, history, lastEnd);
    if (w.end <= w.start) continue;
    out.push(w);
    lastEnd = w.end;
  }
  return out;
}

/** What `export pause` writes as the schedule's note, so `export resume` knows since when it was paused. */
export const pauseNote = (pausedAt: number, reason?: string): string => `fme:paused-at=${pausedAt}${reason ? `; ${reason}` : ''}`;
export const pausedAtOfNote = (note: string | undefined): number | undefined => {
  const m = /fme:paused-at=(\d+)/.exec(note ?? '');
  return m ? Number(m[1]) : undefined;
};

/**
 * The nominal times a paused schedule skipped: its runs (window end + settle) from the pause to
 * the resume, at the interval it runs at. `export resume` backfills them (DECISIONS: a paused
 * schedule skips its windows; on unpause the CLI backfills the paused range).
 */
export function skippedNominals(pausedAt: number, resumedAt: number, settleMs: number, intervalMinutes: number): number[] {
  const step = intervalMinutes * MINUTE_MS;
  const out: number[] = [];
  for (let end = Math.ceil((pausedAt - settleMs) / step) * step; end + settleMs < resumedAt; end += step) out.push(end + settleMs);
  return out;
}
