import { allHandlersFinished, condition, continueAsNew, log, patched, proxyActivities, setHandler, upsertMemo, workflowInfo } from '@temporalio/workflow';
import type { SharedActivities } from '../activities/sharedActivities';
import { RecentTriplets } from '../domain/dedup';
import { nextReportTime, reportKeyOf } from '../domain/keys';
import { passKeyOf, PendingPass, PendingReports } from '../domain/reportBatching';
import { toStatusDocument } from '../domain/statusEntry';
import { StatusStateV1, StatusWorkflowInputV1, statusEntriesSignal, statusStateQuery } from '../messages';
import { statusLoopBeforeWholeFileReports } from './statusWorkflowBeforeWholeFileReports';
import {
  BACKPRESSURE_ENTRIES,
  BACKPRESSURE_MEMO_KEY,
  BACKPRESSURE_RELEASE_ENTRIES,
  DEDUP_CAPACITY,
  DEFAULT_FILE_TUNING_V1,
  MAX_CARRIED_ENTRIES,
  MAX_ENTRIES_PER_REPORT,
  MAX_HISTORY_EVENTS,
} from '../messages';

/**
 * Patch: reports hold whole passes and go out when DECISIONS says (at once when every pending
 * pass has ended), a taken report key moves the report to the next key instead of failing the
 * workflow, and continue-as-new carries a bounded number of entries.
 */
export const WHOLE_FILE_REPORTS = 'whole-file-reports';

const activities = proxyActivities<SharedActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', maximumInterval: '1 minute' },
});

/** Runs before the patch carried bare entries: they were due, so they count as ended passes. */
function carriedPasses(input: StatusWorkflowInputV1, nowMs: number): PendingPass[] {
  const passes = [...(input.carried?.passes ?? [])];
  const byKey = new Map<string, PendingPass>();
  for (const e of input.carried?.pending ?? []) {
    const key = passKeyOf(e);
    let p = byKey.get(key);
    if (!p) byKey.set(key, (p = { key, entries: [], firstAtMs: nowMs, endedAtMs: nowMs }));
    p.entries.push(e);
  }
  return [...passes, ...byKey.values()];
}

/**
 * One per (bucket, status prefix): collects entries from file workflows, drops redelivered
 * ones, and writes them to new `..._report.status` files, whole passes per report.
 */
export async function statusWorkflow(input: StatusWorkflowInputV1): Promise<void> {
  if (!patched(WHOLE_FILE_REPORTS)) return statusLoopBeforeWholeFileReports(input);

  const pending = new PendingReports(
    { flushDelayMs: input.flushDelayMs, passWaitMs: input.passWaitMs ?? DEFAULT_FILE_TUNING_V1.statusPassWaitMs, maxEntriesPerReport: MAX_ENTRIES_PER_REPORT },
    carriedPasses(input, Date.now()),
  );
  const seen = new RecentTriplets(DEDUP_CAPACITY, input.carried?.seen);
  let reportsWritten = input.carried?.reportsWritten ?? 0;
  let reportsThisRun = 0;
  let keysSkipped = input.carried?.keysSkipped ?? 0;
  let lastReportMs = input.carried?.lastReportMs;
  let lastReportKey: string | undefined;
  // The bucket's region as the latest entries say: a corrected integration corrects its reports' writes.
  let region = input.region;
  /** Entries taken into the report being written: still unreported, so they count for back-pressure. */
  let writing = 0;
  /** Whether the memo tells `reportEntries` to hold back; a new run starts without the flag. */
  let holdingBack = false;
  /** History is due for continue-as-new: inflow is held back until the run can continue. */
  let historyFull = false;
  function updateBackPressure(): void {
    const unwritten = pending.size + writing;
    const hold = historyFull || (holdingBack ? unwritten >= BACKPRESSURE_RELEASE_ENTRIES : unwritten >= BACKPRESSURE_ENTRIES);
    if (hold === holdingBack) return;
    holdingBack = hold;
    upsertMemo({ [BACKPRESSURE_MEMO_KEY]: hold });
  }

  setHandler(statusEntriesSignal, ({ entries, passEnded, region: newRegion }) => {
    if (newRegion) region = newRegion;
    const fresh = entries.filter((e) => seen.admit(e));
    pending.add(fresh, passEnded ? [...new Set(entries.map(passKeyOf))] : [], Date.now());
    updateBackPressure();
  });
  setHandler(statusStateQuery, (): StatusStateV1 => ({
    pendingEntries: pending.size + writing,
    pendingPasses: pending.passCount,
    reportsWritten,
    lastReportKey,
    keysSkipped,
  }));

  /** History is due for continue-as-new, but too much is pending to carry: write it out first. */
  let draining = false;
  for (;;) {
    await condition(() => pending.size > 0);
    // Sleep until the next report is due; wake early only when something makes it due sooner.
    while (!draining) {
      const dueAt = pending.flushDueAt()!;
      if (dueAt <= Date.now()) break;
      await condition(() => (pending.flushDueAt() ?? Infinity) < dueAt, dueAt - Date.now());
    }
    const batch = pending.takeReport(Date.now(), draining);
    const oldestEntryAtMs = pending.lastTakenFirstAtMs;
    writing = batch.length;
    const document = toStatusDocument(batch);
    for (;;) {
      lastReportMs = nextReportTime(lastReportMs, Date.now());
      lastReportKey = reportKeyOf(input.statusPrefix, new Date(lastReportMs));
      const { outcome } = await activities.writeStatusReport({ bucket: input.bucket, ...(region ? { region } : {}), key: lastReportKey, document, ...(oldestEntryAtMs !== undefined ? { oldestEntryAtMs } : {}) });
      if (outcome !== 'taken') break;
      keysSkipped++;
      log.warn('report key holds other content (or its ETag cannot be compared); writing the report to the next key', { key: lastReportKey });
    }
    writing = 0;
    updateBackPressure();
    reportsWritten++;
    reportsThisRun++;

    const info = workflowInfo();
    const runFull = input.reportsPerRun !== undefined && reportsThisRun >= input.reportsPerRun;
    historyFull = info.continueAsNewSuggested || info.historyLength > MAX_HISTORY_EVENTS;
    draining = historyFull && pending.size > MAX_CARRIED_ENTRIES;
    // Entries arriving while it drains must not keep it from ever carrying few enough.
    if (draining) updateBackPressure();
    if ((runFull || historyFull) && pending.size <= MAX_CARRIED_ENTRIES) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof statusWorkflow>({
        ...input,
        ...(region ? { region } : {}),
        carried: { passes: pending.snapshot(), seen: seen.snapshot(), reportsWritten, lastReportMs, keysSkipped },
      });
    }
  }
}
