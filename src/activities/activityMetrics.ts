import { Context } from '@temporalio/activity';
import { MetricMeter, noopMetricMeter } from '@temporalio/common';
import type { ContentGroup } from '../domain/integration/integrationEntries';
import { ErrorCode } from '../domain/codes';
import type { StatusEntry } from '../domain/statusEntry';
import { FileOutcome } from '../messages';

/**
 * Our own worker metrics, recorded through the running activity's meter, so the Temporal
 * runtime's Prometheus exporter serves them beside its own (README, "Metrics"): under these names,
 * unprefixed, with the activity meter's labels (namespace, taskQueue, activityType) added to
 * ours. Each is recorded by the activity attempt that did the work: a retried attempt records
 * again, so the counts are at least once.
 */
export const METRIC = {
  files: 'fme_files_total',
  rows: 'fme_rows_total',
  reportWrite: 'fme_report_write_seconds',
  notificationLag: 'fme_notification_lag_seconds',
  reportLatency: 'fme_report_latency_seconds',
} as const;

/** Bucket bounds (seconds) of our histograms: the runtime's defaults are for milliseconds. */
export const METRIC_HISTOGRAM_BUCKETS: Record<string, number[]> = {
  [METRIC.reportWrite]: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  [METRIC.notificationLag]: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600, 86400],
  [METRIC.reportLatency]: [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600],
};

/** The running activity's meter; nothing outside an activity (tests call some activities directly). */
function meter(): MetricMeter {
  try {
    return Context.current().metricMeter;
  } catch {
    return noopMetricMeter;
  }
}

/** `fme_files_total{integration,outcome}`: a pass that ended, by what it came to. */
export function countFile(integrationId: string | undefined, outcome: string): void {
  meter()
    .createCounter(METRIC.files, 'files', 'File passes that ended, by integration and outcome')
    .add(1, { integration: integrationId ?? 'none', outcome });
}

/**
 * What a committed pass came to, from its content record's groups (the FmeOutcome values);
 * `unknown` for workflows started before integrations, which commit without one.
 */
export function committedOutcome(groups: readonly ContentGroup[] | undefined, storedKeys: number): string {
  if (!groups) return 'unknown';
  // First: an unreadable file's one entry may count 0 rows (no footer), and is still a rejection.
  const wholeFile = storedKeys === 0 && groups.length > 0 && groups.every((g) => !g.valid && g.errors.includes(ErrorCode.INVALID_SCHEMA));
  if (wholeFile) return FileOutcome.REJECTED;
  return groups.some((g) => !g.valid && g.numberOfRows > 0) ? FileOutcome.INVALID_ROWS : FileOutcome.VALID;
}

/**
 * `fme_rows_total{code}`: rows handed to the status workflow, valid ones as `valid` and invalid
 * ones under each of their error codes (a row with two codes counts under both).
 */
export function countReportedRows(entries: readonly StatusEntry[]): void {
  const byCode = new Map<string, number>();
  const add = (code: string, n: number) => byCode.set(code, (byCode.get(code) ?? 0) + n);
  for (const e of entries) {
    if (e.valid) add('valid', e.numberOfRows);
    else if (e.errors.length === 0) add('unknown', e.numberOfRows);
    else for (const code of e.errors) add(code, e.numberOfRows);
  }
  if (byCode.size === 0) return;
  const rows = meter().createCounter(METRIC.rows, 'rows', 'Rows reported in status entries: valid, or invalid by error code');
  for (const [code, n] of byCode) rows.add(n, { code });
}

/** `fme_report_write_seconds{outcome}`: one writeStatusReport attempt. */
export function recordReportWrite(seconds: number, outcome: string): void {
  meter().createHistogram(METRIC.reportWrite, 'float', 's', 'Time to write one status report to the customer bucket').record(Math.max(0, seconds), { outcome });
}

/** `fme_report_latency_seconds`: from the oldest entry of a report reaching the status workflow to the report written. */
export function recordReportLatency(seconds: number): void {
  meter().createHistogram(METRIC.reportLatency, 'float', 's', 'Time from the oldest entry of a report reaching the status workflow to the report written').record(Math.max(0, seconds));
}

/** `fme_notification_lag_seconds`: from the object's creation to the first download of its first pass. */
export function recordNotificationLag(seconds: number): void {
  meter().createHistogram(METRIC.notificationLag, 'float', 's', "Time from an object's creation to the start of its first download").record(Math.max(0, seconds));
}
