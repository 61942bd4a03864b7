import { setTimeout as sleep } from 'node:timers/promises';
import { Command, InvalidArgumentError } from 'commander';
import { manifestKey } from '../../domain/export/exportKeys';
import { backfillPlan, predictedWindows } from '../../domain/export/gaps';
import type { ExportWindow } from '../../domain/export/windows';
import { backfillExport } from '../../exportClient';
import { s3ClientPool } from '../../s3/s3';
import { deployment } from '../deployment';
import { UsageError } from '../exitCodes';
import type { CommandContext } from '../program';
import { backfillProgress } from './backfillProgress';
import { ExportBucket } from './exportBucket';
import { exportScheduleOrFail, outboundStateOrFail, parseId } from './exportArgs';
import { iso, plural, windowRanges, windowText, windowView, type WindowView } from './exportOutput';

/** How often `--wait` looks for the next window's `_SUCCESS`. */
const POLL_MS = 2_000;

const ISO_TIME = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,3})?)?(Z|[+-]\d{2}:?\d{2}))?$/;

/** Epoch milliseconds, or an ISO 8601 date (UTC) or date-time with its zone (`Z` or an offset): never the machine's zone. */
export function parseTime(value: string): number {
  const v = value.trim();
  if (/^\d+$/.test(v)) {
    const n = Number(v);
    if (Number.isSafeInteger(n)) return n;
  } else if (ISO_TIME.test(v)) {
    const n = Date.parse(v);
    if (Number.isFinite(n)) return n;
  }
  throw new InvalidArgumentError('an ISO time with its zone (2026-01-31T10:00Z) or epoch milliseconds');
}

interface BackfilledWindow extends WindowView {
  rows?: number;
  parts?: number;
  manifestKey?: string;
  exportedAt?: string;
}

export function backfillCommand(ctx: CommandContext): Command {
  return new Command('backfill')
    .description("export the windows in [from, to) again (or for the first time) through the integration's schedule")
    .requiredOption('--integration <id>', 'the outbound integration id', parseId)
    .requiredOption('--from <time>', 'the start of the first window: an ISO time with its zone or epoch ms, aligned to the interval', parseTime)
    .requiredOption('--to <time>', 'the end of the last window (exclusive), aligned to the interval', parseTime)
    .option('--wait', "wait until every window's _SUCCESS is in the bucket, then print each window's rows")
    .option('--json', 'print the result as JSON')
    .action(async (o: { integration: string; from: number; to: number; wait?: boolean; json?: boolean }) => {
      const d = deployment();
      const state = await outboundStateOrFail(d, o.integration, 'only outbound integrations export');
      if (state.deletedAt !== undefined) throw new UsageError(`integration "${o.integration}" was deleted: it has no schedule to backfill`);
      const schedule = await exportScheduleOrFail(d, o.integration);
      const settleMs = schedule.settleMs ?? d.settings.EXPORT_SETTLE_DELAY;
      const scheduleInterval = schedule.intervalMinutes ?? state.outbound.intervalMinutes;
      const plan = backfillPlan({
        history: state.intervals,
        fromMs: o.from,
        toMs: o.to,
        settleMs,
        scheduleIntervalMinutes: scheduleInterval,
        now: Date.now(),
      });
      if (!plan.ok) throw new UsageError(plan.problem);

      // What each run will find as the last exported window, so what is printed is what runs export.
      const bucket = new ExportBucket(s3ClientPool(d.settings, d.s3)(state.outbound.region), state.outbound);
      const starts = await bucket.completeStarts();
      const windows = predictedWindows(plan.nominals, settleMs, state.intervals, await bucket.lastEndBefore(plan.windows[0]!.end, starts));
      // A window re-exported is done when its manifest is a new one: its old _SUCCESS is there until the run replaces it.
      const complete = new Set(starts);
      const before = new Map<number, string | undefined>();
      if (o.wait) for (const w of windows) if (complete.has(w.start)) before.set(w.start, (await bucket.manifest(w.start))?.exportedAt);

      await d.withClient((client) => backfillExport(client, o.integration, plan.nominals, scheduleInterval));
      const stretched = windows[0] && windows[0].start !== plan.windows[0]!.start;
      if (!o.json) {
        ctx.out(`backfill of ${windows.length} window${windows.length === 1 ? '' : 's'} of ${plan.intervalMinutes} min through the schedule ${schedule.scheduleId} (runs buffered behind any running export):\n`);
        for (const line of windows.length <= 24 ? windows.map(windowText) : windowRanges(windows)) ctx.out(`  ${line}\n`);
        if (stretched) ctx.out(`the first window starts at ${iso(windows[0]!.start)}, where the last exported window ended: the interval changed since, and a window after a change starts where the last one ended\n`);
        ctx.out(`into ${bucket.location}${schedule.paused ? ' (the schedule is paused: backfills run all the same)' : ''}\n`);
      }
      const result: BackfilledWindow[] = windows.map(windowView);
      if (o.wait) {
        const progress = backfillProgress(windows.length);
        try {
          for (const [i, w] of windows.entries()) {
            const m = await waitForWindow(bucket, w, before.get(w.start));
            Object.assign(result[i]!, { rows: m.rows, parts: m.parts.length, manifestKey: manifestKey(state.outbound.writePrefix, w), exportedAt: m.exportedAt });
            progress.complete(w, m.rows);
          }
        } finally {
          progress.stop();
        }
        if (!o.json) {
          ctx.out(`every window is complete:\n`);
          for (const w of result) ctx.out(`  [${w.start}, ${w.end}): ${plural(w.rows ?? 0, 'row')} in ${w.parts} part${w.parts === 1 ? '' : 's'}\n`);
        }
      }
      if (o.json) {
        ctx.out(JSON.stringify({ integrationId: state.id, scheduleId: schedule.scheduleId, intervalMinutes: plan.intervalMinutes, settleMs, waited: Boolean(o.wait), windows: result }, null, 2) + '\n');
      }
    });
}

/** Polls until the window has `_SUCCESS` and a manifest other than the one it had before the backfill. */
async function waitForWindow(bucket: ExportBucket, w: ExportWindow, previousExportedAt: string | undefined) {
  for (;;) {
    if (await bucket.isComplete(w.start)) {
      const m = await bucket.manifest(w.start, true);
      if (m && m.exportedAt !== previousExportedAt) return m;
    }
    await sleep(POLL_MS);
  }
}
