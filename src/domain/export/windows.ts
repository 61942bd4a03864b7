/**
 * Export windows (DECISIONS, "Impressions and export"): a schedule of interval I fires at
 * nominal times N = k·I + S, S being the settle delay; the run at N exports the impressions
 * received in [N − S − I, N − S), so a batch stamped before a window's end but stored after it
 * (the intake answers within seconds) is still in it.
 */
export const MINUTE_MS = 60_000;

export interface ExportWindow {
  /** Inclusive, ms since the epoch, a whole minute. */
  start: number;
  /** Exclusive, a whole minute. */
  end: number;
}

/** One interval that was in force from `fromMs` (the entity keeps them all, oldest first). */
export interface IntervalPeriod {
  fromMs: number;
  intervalMinutes: number;
}

/** The interval in force at `atMs`: the last period begun at or before it (the first before any). */
export function intervalAt(history: readonly IntervalPeriod[], atMs: number): number {
  if (history.length === 0) throw new Error('an interval history has at least one period');
  let current = history[0]!;
  for (const p of history) if (p.fromMs <= atMs) current = p;
  return current.intervalMinutes;
}

/**
 * The window of the run nominally at `nominalMs`: it ends at N − S (down to the minute) and is as
 * long as the interval in force then. `lastEnd` is the end of the latest window exported before
 * it (from the manifests). When the interval changed, the first window under the new one starts
 * where the last one ended, so windows never overlap and leave no gap: a window that would
 * overlap the last one starts at its end, and a gap opened by an interval change since the last
 * window is closed. A gap with no change in it is a paused schedule's, left to a backfill (the
 * gap check reports it).
 */
export function windowOf(nominalMs: number, settleMs: number, history: readonly IntervalPeriod[], lastEnd?: number): ExportWindow {
  const end = Math.floor((nominalMs - settleMs) / MINUTE_MS) * MINUTE_MS;
  let start = end - intervalAt(history, end) * MINUTE_MS;
  if (lastEnd !== undefined && lastEnd < end) {
    const changedSince = history.some((p, i) => i > 0 && p.fromMs > lastEnd && p.fromMs <= end);
    if (lastEnd > start || changedSince) start = lastEnd;
  }
  return { start, end };
}

/** Every minute a window covers, as the starts of the intake's minute folders. */
export function minutesOf(w: ExportWindow): number[] {
  const out: number[] = [];
  for (let m = w.start; m < w.end; m += MINUTE_MS) out.push(m);
  return out;
}

/** The windows a regular schedule of this interval produces over [from, to): for gap checks and backfills. */
export function windowsBetween(from: number, to: number, intervalMinutes: number): ExportWindow[] {
  const step = intervalMinutes * MINUTE_MS;
  const out: ExportWindow[] = [];
  for (let s = Math.ceil(from / step) * step; s + step <= to; s += step) out.push({ start: s, end: s + step });
  return out;
}
