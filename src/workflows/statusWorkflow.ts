import { allHandlersFinished, condition, continueAsNew, patched, proxyActivities, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { SharedActivities } from '../activities/sharedActivities';
import { RecentTriplets } from '../domain/dedup';
import { nextReportTime, reportKeyOf } from '../domain/keys';
import { FileStatusEntry, toStatusDocument } from '../domain/statusEntry';
import { StatusStateV1, StatusWorkflowInputV1, statusEntriesSignal, statusStateQuery } from '../messages';

/** Triplets remembered for deduplication: ~21 bytes each, well under the payload limit. */
export const DEDUP_CAPACITY = 20_000;
/**
 * Entries per report file; more wait for the next report (the contract allows a file's status to
 * span reports). 500 entries of at most ~1.5 KB (3 details with 64-character samples) keep the
 * activity input well under Temporal's 2 MB payload limit.
 */
export const MAX_ENTRIES_PER_REPORT = 500;
/** Before the `smaller-reports` patch. */
const MAX_ENTRIES_PER_REPORT_V1 = 5_000;
const MAX_HISTORY_EVENTS = 5_000;

const activities = proxyActivities<SharedActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', maximumInterval: '1 minute' },
});

/**
 * One per (bucket, status prefix): collects entries from file workflows, drops redelivered
 * ones, and writes each batch of new entries to a new `..._report.status` file.
 */
export async function statusWorkflow(input: StatusWorkflowInputV1): Promise<void> {
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
    lastReportMs = nextReportTime(lastReportMs, Date.now());
    lastReportKey = reportKeyOf(input.statusPrefix, new Date(lastReportMs));
    await activities.writeStatusReport({ bucket: input.bucket, key: lastReportKey, document: toStatusDocument(batch) });
    reportsWritten++;
    reportsThisRun++;

    const info = workflowInfo();
    const runFull = input.reportsPerRun !== undefined && reportsThisRun >= input.reportsPerRun;
    if (runFull || info.continueAsNewSuggested || info.historyLength > MAX_HISTORY_EVENTS) {
      await condition(allHandlersFinished);
      await continueAsNew<typeof statusWorkflow>({
        ...input,
        carried: { pending, seen: seen.snapshot(), reportsWritten, lastReportMs },
      });
    }
  }
}
