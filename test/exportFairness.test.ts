import assert from 'node:assert/strict';
import { ScheduleOverlapPolicy } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { MINUTE_MS } from '../src/domain/export/windows';
import { exportQueueOf, type ExportWindowInputV1, type ExportWindowResultV1, type ResolvedOutboundV1 } from '../src/messages';
import { waitFor } from './support/harness';
import { localTemporal, workflowBundle } from './support/temporal';

const SETTLE_MS = 10_000;

/**
 * One integration with a window that takes long (here: one that does not end until the test
 * lets it) must not hold back the others: its runs queue behind each other (BUFFER_ALL), so it
 * takes one export slot of a worker, and another integration's window is exported meanwhile.
 * Real workflows and schedules on the dev server; the activities are stand-ins.
 */
describe('export fairness: a slow integration does not starve the others (dev server)', function () {
  this.timeout(120_000);
  let env: TestWorkflowEnvironment;
  const taskQueue = `fairness-${process.pid}`;
  const started: ExportWindowInputV1[] = [];
  const finished: string[] = [];
  let releaseLarge: () => void = () => undefined;
  const largeGate = new Promise<void>((r) => (releaseLarge = r));
  let workers: Worker[] = [];
  let running: Promise<void>[] = [];

  before(async function () {
    this.timeout(180_000);
    env = await localTemporal();
    const resolveOutbound = async ({ integrationId }: { integrationId: string }): Promise<ResolvedOutboundV1> => ({
      kind: 'live',
      integrationId,
      configVersion: 1,
      target: { bucket: `bucket-${integrationId}`, region: 'us-east-1', writePrefix: '', compression: 'snappy' },
      environments: ['env'],
      intervals: [{ fromMs: 0, intervalMinutes: 1 }],
    });
    const exportWindow = async (input: ExportWindowInputV1): Promise<ExportWindowResultV1> => {
      started.push(input);
      if (input.integrationId.startsWith('large')) await largeGate;
      finished.push(`${input.integrationId}@${input.window.start}`);
      return { rows: 0, duplicatesDropped: 0, parts: 0, sourceObjects: 0, manifestKey: 'm' };
    };
    workers = [
      await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities: { resolveOutbound, lastExportedEnd: async () => undefined } }),
      // Two export slots, as EXPORT_CONCURRENCY's default gives a worker.
      await Worker.create({ connection: env.nativeConnection, taskQueue: exportQueueOf(taskQueue), activities: { exportWindow }, maxConcurrentActivityTaskExecutions: 2 }),
    ];
    running = workers.map((w) => w.run());
  });

  after(async () => {
    releaseLarge();
    for (const w of workers) w.shutdown();
    await Promise.all(running);
  });

  async function schedule(integrationId: string) {
    const handle = await env.client.schedule.create({
      scheduleId: `export/${integrationId}-${process.pid}`,
      spec: { intervals: [{ every: MINUTE_MS, offset: SETTLE_MS }] },
      action: { type: 'startWorkflow', workflowType: 'exportWorkflow', taskQueue, args: [{ version: 1, integrationId, settleMs: SETTLE_MS, dedupLookbackMs: 0 }] },
      policies: { overlap: ScheduleOverlapPolicy.BUFFER_ALL },
      state: { paused: true },
    });
    return handle;
  }

  it("exports a small integration's window while a large one's three windows wait behind its first, which holds one slot", async () => {
    const base = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 60 * MINUTE_MS;
    const large = await schedule('large');
    const small = await schedule('small');
    try {
      // Three windows of the large integration, backfilled first, then one of the small one.
      await large.backfill({ start: new Date(base + MINUTE_MS + SETTLE_MS - 1_000), end: new Date(base + 3 * MINUTE_MS + SETTLE_MS + 1_000), overlap: ScheduleOverlapPolicy.BUFFER_ALL });
      await waitFor('the large integration to be exporting', async () => (started.some((s) => s.integrationId === 'large') ? true : undefined));
      await small.backfill({ start: new Date(base + MINUTE_MS + SETTLE_MS - 1_000), end: new Date(base + MINUTE_MS + SETTLE_MS + 1_000), overlap: ScheduleOverlapPolicy.BUFFER_ALL });
      await waitFor("the small integration's window", async () => (finished.some((f) => f.startsWith('small@')) ? true : undefined));
      assert.equal(started.filter((s) => s.integrationId === 'large').length, 1, "the large integration's later windows wait behind its first: one slot, not both");
      assert.deepEqual(finished.filter((f) => f.startsWith('large')), [], 'the large window is still running');
      releaseLarge();
      await waitFor('the large integration to finish its three windows', async () => (finished.filter((f) => f.startsWith('large')).length === 3 ? true : undefined));
      assert.deepEqual(
        finished.filter((f) => f.startsWith('large')).map((f) => Number(f.split('@')[1])),
        [base, base + MINUTE_MS, base + 2 * MINUTE_MS],
        'its windows in order',
      );
    } finally {
      await large.delete();
      await small.delete();
    }
  });
});
