import { Client, ScheduleNotFoundError, ScheduleOverlapPolicy, type Backfill } from '@temporalio/client';
import { exportScheduleIdOf } from './domain/keys';
import { MINUTE_MS } from './domain/export/windows';
import type { ExportWorkflowInputV1 } from './messages';

/**
 * What the CLI asks Temporal about an outbound integration's export schedule `export/<id>`
 * (created, changed and deleted by the integration's entity): its state, and backfills.
 */

export interface ExportRunView {
  /** The run's nominal time: its window ends the settle delay before it. */
  scheduledAt: string;
  takenAt: string;
  workflowId: string;
  runId: string;
}

export interface ExportScheduleView {
  scheduleId: string;
  paused: boolean;
  note?: string;
  /** The spec: a run every this many minutes, at this offset (the settle delay, rounded to the second by Temporal). */
  intervalMinutes?: number;
  offsetMs?: number;
  /** The settle delay the runs are started with (their window ends this long before the nominal time). */
  settleMs?: number;
  overlap: string;
  nextRunTimes: string[];
  /** Oldest first. */
  recentRuns: ExportRunView[];
  runningWorkflows: { workflowId: string; runId: string }[];
  actionsTaken: number;
  actionsMissedCatchupWindow: number;
}

/** The schedule's state, or undefined when there is none (the integration was deleted, or never was outbound). */
export async function describeExportSchedule(client: Client, integrationId: string): Promise<ExportScheduleView | undefined> {
  let d;
  try {
    d = await client.schedule.getHandle(exportScheduleIdOf(integrationId)).describe();
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return undefined;
    throw err;
  }
  const interval = d.spec.intervals?.[0];
  const input = (d.action.args as unknown[] | undefined)?.[0] as Partial<ExportWorkflowInputV1> | undefined;
  return {
    scheduleId: d.scheduleId,
    paused: d.state.paused,
    note: d.state.note || undefined,
    intervalMinutes: interval ? interval.every / MINUTE_MS : undefined,
    offsetMs: interval?.offset,
    settleMs: typeof input?.settleMs === 'number' ? input.settleMs : undefined,
    overlap: d.policies.overlap ?? 'unspecified',
    nextRunTimes: d.info.nextActionTimes.map((t) => t.toISOString()),
    recentRuns: d.info.recentActions.map((a) => ({
      scheduledAt: a.scheduledAt.toISOString(),
      takenAt: a.takenAt.toISOString(),
      workflowId: a.action.workflow.workflowId,
      runId: a.action.workflow.firstExecutionRunId,
    })),
    runningWorkflows: d.info.runningActions.map((a) => ({ workflowId: a.workflow.workflowId, runId: a.workflow.firstExecutionRunId })),
    actionsTaken: d.info.numActionsTaken,
    actionsMissedCatchupWindow: d.info.numActionsMissedCatchupWindow,
  };
}

/** Any nominal time of the schedule is at least a minute from the next, so this margin takes exactly the asked ones. */
const MARGIN_MS = 1_000;

/**
 * Runs the schedule at these nominal times (each a time the schedule runs at), in order, with
 * BUFFER_ALL: they wait behind a running export and each other, so windows land in order.
 * Evenly spaced times at the schedule's own interval are one range; others one range each.
 */
export async function backfillExport(client: Client, integrationId: string, nominals: readonly number[], scheduleIntervalMinutes: number): Promise<void> {
  if (nominals.length === 0) return;
  const step = scheduleIntervalMinutes * MINUTE_MS;
  const everyRun = nominals.every((n, i) => i === 0 || n - nominals[i - 1]! === step);
  const range = (first: number, last: number): Backfill => ({
    start: new Date(first - MARGIN_MS),
    end: new Date(last + MARGIN_MS),
    overlap: ScheduleOverlapPolicy.BUFFER_ALL,
  });
  const backfills = everyRun ? [range(nominals[0]!, nominals.at(-1)!)] : nominals.map((n) => range(n, n));
  await client.schedule.getHandle(exportScheduleIdOf(integrationId)).backfill(backfills);
}
