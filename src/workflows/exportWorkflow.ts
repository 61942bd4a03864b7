import { ApplicationFailure, proxyActivities, proxyLocalActivities, workflowInfo } from '@temporalio/workflow';
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { ExportActivities } from '../activities/export/exportActivities';
import type { ExportLookupActivities } from '../activities/export/exportLookups';
import { MINUTE_MS, windowOf } from '../domain/export/windows';
import { exportQueueOf, type ExportRunResultV1, type ExportWorkflowInputV1 } from '../messages';

/** Set by Temporal on every run a schedule starts, backfills included: the run's nominal time. */
const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

/** Small published records, read by the worker running the workflow and recorded in its history. */
const lookups = proxyLocalActivities<ExportLookupActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/** One listing of the customer's prefix: its manifests say where the last window ended. */
const listing = proxyActivities<ExportActivities>({
  startToCloseTimeout: '1 minute',
  retry: { initialInterval: '2s', maximumInterval: '1 minute' },
});

/**
 * A window's export: large windows take minutes, and the heartbeat shows the activity alive. No
 * attempt limit: an S3 fault (the customer's bucket refusing, throttling) is retried until it
 * passes, and the next runs wait behind it (BUFFER_ALL), so windows land in order.
 */
const exporting = () =>
  proxyActivities<ExportActivities>({
    taskQueue: exportQueueOf(workflowInfo().taskQueue),
    startToCloseTimeout: '2 hours',
    heartbeatTimeout: '2 minutes',
    retry: { initialInterval: '5s', maximumInterval: '5 minutes' },
  });

/**
 * One scheduled export: the window comes from the run's nominal time (TemporalScheduledStartTime,
 * also set on backfilled runs), never from a clock, so a run started late or retried exports the
 * same window. The integration's configuration is read as the run starts.
 */
export async function exportWorkflow(input: ExportWorkflowInputV1): Promise<ExportRunResultV1> {
  const nominal = workflowInfo().typedSearchAttributes.get(SCHEDULED_START);
  if (!nominal) {
    throw ApplicationFailure.nonRetryable('an export run must be started by its schedule (no TemporalScheduledStartTime)', 'ExportWithoutNominalTime');
  }
  const nominalMs = nominal.getTime();
  const resolved = await lookups.resolveOutbound({ integrationId: input.integrationId });
  if (resolved.kind === 'gone') return { outcome: 'skipped' };
  const end = Math.floor((nominalMs - input.settleMs) / MINUTE_MS) * MINUTE_MS;
  const lastEnd = await listing.lastExportedEnd({ target: resolved.target, before: end });
  const window = windowOf(nominalMs, input.settleMs, resolved.intervals, lastEnd);
  if (window.end <= window.start) return { outcome: 'skipped', window };
  const result = await exporting().exportWindow({
    integrationId: resolved.integrationId,
    configVersion: resolved.configVersion,
    target: resolved.target,
    environments: resolved.environments,
    window,
    dedupLookbackMs: input.dedupLookbackMs,
  });
  return { outcome: 'exported', window, result };
}
