import { Client, ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { exportScheduleIdOf } from '../../domain/keys';
import { MINUTE_MS } from '../../domain/export/windows';
import type { ExportScheduleInputV1, ExportWorkflowInputV1 } from '../../messages';

export interface ExportScheduleDeps {
  client: Client;
  taskQueue: string;
  /** EXPORT_SETTLE_DELAY: the schedule's offset after each window's end. */
  settleMs: number;
  /** EXPORT_DEDUP_LOOKBACK, handed to every run. */
  dedupLookbackMs: number;
}

/**
 * Each outbound integration's Temporal Schedule `export/<id>`, created, changed and deleted by
 * its entity: every interval, offset by the settle delay, so the run at N exports [N − S − I,
 * N − S). BUFFER_ALL: a run never overlaps the last one and none is dropped, backfills included.
 */
export function createExportScheduleActivities(deps: ExportScheduleDeps) {
  // Temporal refuses an offset of an interval or more: a settle delay longer than the interval
  // wraps (runs at k·I + S mod I), and each run still subtracts the whole delay from its nominal
  // time, which lands on the same interval grid.
  const specOf = (intervalMinutes: number) => ({ intervals: [{ every: intervalMinutes * MINUTE_MS, offset: deps.settleMs % (intervalMinutes * MINUTE_MS) }] });
  const args = (integrationId: string): [ExportWorkflowInputV1] => [{ version: 1, integrationId, settleMs: deps.settleMs, dedupLookbackMs: deps.dedupLookbackMs }];

  return {
    /** Created with the integration; an existing schedule takes the current interval (and settings). */
    async ensureExportSchedule(input: ExportScheduleInputV1): Promise<void> {
      const scheduleId = exportScheduleIdOf(input.integrationId);
      const action = { type: 'startWorkflow' as const, workflowType: 'exportWorkflow', taskQueue: deps.taskQueue, args: args(input.integrationId), workflowId: scheduleId };
      try {
        await deps.client.schedule.create({
          scheduleId,
          spec: specOf(input.intervalMinutes),
          action,
          policies: { overlap: ScheduleOverlapPolicy.BUFFER_ALL, catchupWindow: '1 day' },
          memo: { integrationId: input.integrationId },
        });
      } catch (err) {
        if (!(err instanceof ScheduleAlreadyRunning)) throw err;
        await deps.client.schedule.getHandle(scheduleId).update((previous) => ({ ...previous, spec: specOf(input.intervalMinutes), action }));
      }
    },

    /** Deleted with the integration; already gone is fine. The windows it exported stay. */
    async deleteExportSchedule(input: Pick<ExportScheduleInputV1, 'integrationId'>): Promise<void> {
      try {
        await deps.client.schedule.getHandle(exportScheduleIdOf(input.integrationId)).delete();
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      }
    },
  };
}

export type ExportScheduleActivities = ReturnType<typeof createExportScheduleActivities>;
