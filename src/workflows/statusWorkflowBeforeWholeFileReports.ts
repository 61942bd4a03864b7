import { allHandlersFinished, condition, continueAsNew, patched, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { SharedActivities } from '../activities/sharedActivities';
import { RecentTriplets } from '../domain/dedup';
import { nextReportTime, reportKeyOf } from '../domain/keys';
import { FileStatusEntry, toStatusDocument } from '../domain/statusEntry';
import { StatusStateV1, StatusWorkflowInputV1, statusEntriesSignal, statusStateQuery } from '../messages';
// Frozen copies: this loop must replay exactly as recorded, whatever the current limits become.
const DEDUP_CAPACITY = 20_000;
const MAX_ENTRIES_PER_REPORT = 500;
const MAX_HISTORY_EVENTS = 5_000;
/** Before the `smaller-reports` patch. */
const MAX_ENTRIES_PER_REPORT_V1 = 5_000;

const activities = proxyActivities<SharedActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', maximumInterval: '1 minute' },
});

/**
 * The status workflow as it ran before the `whole-file-reports` patch, kept so histories
 * recorded then replay: it waits the flush delay after the first entry, then writes up to a
 * report's worth of entries, whatever file they belong to. Runs it continues into take the
 * current code path.
 */
export async function statusLoopBeforeWholeFileReports(input: StatusWorkflowInputV1): Promise<void> {
  const pending: FileStatusEntry[] = [...(input.carried?.pending ?? [])];
  const seen = new RecentTriplets(DEDUP_CAPACITY, input.carried?.seen);
  let reportsWritten = input.carried?.reportsWritten ?? 0;
  let reportsThisRun = 0;
  let lastReportMs = input.carried?.lastReportMs;
  let lastReportKey: string | undefined;

  setHandler(statusEntriesSignal, ({ entries }) => {
    for (const e of entries) if (seen.admit(e)) pending.push(e);
  });
  setHandler(statusStateQuery, (): StatusStateV1 => ({ pendingEntries: pending.length, reportsWritten, lastReportKey }));

  for (;;) {
    await condition(() => pending.length > 0);
    await sleep(input.flushDelayMs);
    const batch = pending.splice(0, patched('smaller-reports') ? MAX_ENTRIES_PER_REPORT : MAX_ENTRIES_PER_REPORT_V1);
    const document = toStatusDocument(batch);
    // Results recorded by this code path are undefined (the activity then threw on a conflict),
    // so replay never enters the loop; live, a taken key moves the report to the next one.
    for (;;) {
      lastReportMs = nextReportTime(lastReportMs, Date.now());
      lastReportKey = reportKeyOf(input.statusPrefix, new Date(lastReportMs));
      const result = await activities.writeStatusReport({ bucket: input.bucket, key: lastReportKey, document });
      if (result?.outcome !== 'taken') break;
    }
    reportsWritten++;
    reportsThisRun++;

    const info = workflowInfo();
    const runFull = input.reportsPerRun !== undefined && reportsThisRun >= input.reportsPerRun;
    if (runFull || info.continueAsNewSuggested || info.historyLength > MAX_HISTORY_EVENTS) {
      await condition(allHandlersFinished);
      await continueAsNew<(input: StatusWorkflowInputV1) => Promise<void>>({
        ...input,
        carried: { pending, seen: seen.snapshot(), reportsWritten, lastReportMs },
      });
    }
  }
}
