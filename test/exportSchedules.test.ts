import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createExportScheduleActivities } from '../src/activities/export/exportSchedules';
import { MINUTE_MS } from '../src/domain/export/windows';
import { exportScheduleIdOf } from '../src/domain/keys';
import { localTemporal } from './support/temporal';

/** The export schedules the entity makes, as the dev server accepts and describes them. */
describe('export schedules: the spec Temporal accepts for every interval (dev server)', function () {
  this.timeout(60_000);
  let env: TestWorkflowEnvironment;
  const ids: string[] = [];

  before(async () => {
    env = await localTemporal();
  });

  after(async () => {
    for (const id of ids) await env.client.schedule.getHandle(exportScheduleIdOf(id)).delete().catch(() => undefined);
  });

  async function ensure(intervalMinutes: number, settleMs: number) {
    const id = `sched-${process.pid}-${intervalMinutes}-${settleMs}`;
    ids.push(id);
    const activities = createExportScheduleActivities({ client: env.client, taskQueue: `sched-${process.pid}`, settleMs, dedupLookbackMs: 3_600_000 });
    await activities.ensureExportSchedule({ integrationId: id, intervalMinutes });
    return env.client.schedule.getHandle(exportScheduleIdOf(id)).describe();
  }

  it('offsets a 30-minute schedule by the 2-minute settle delay, handing the delay to every run', async () => {
    const d = await ensure(30, 2 * MINUTE_MS);
    assert.deepEqual(d.spec.intervals, [{ every: 30 * MINUTE_MS, offset: 2 * MINUTE_MS }]);
    assert.equal(d.policies.overlap, 'BUFFER_ALL');
    assert.equal((d.action as { args: { settleMs: number }[] }).args[0]!.settleMs, 2 * MINUTE_MS);
  });

  it('wraps a settle delay longer than the interval (Temporal refuses such an offset), keeping the whole delay for the runs', async () => {
    const oneMinute = await ensure(1, 2 * MINUTE_MS);
    assert.deepEqual(oneMinute.spec.intervals, [{ every: MINUTE_MS, offset: 0 }]);
    assert.equal((oneMinute.action as { args: { settleMs: number }[] }).args[0]!.settleMs, 2 * MINUTE_MS);
    const twoMinutes = await ensure(2, 150_000);
    assert.deepEqual(twoMinutes.spec.intervals, [{ every: 2 * MINUTE_MS, offset: 30_000 }]);
  });
});
