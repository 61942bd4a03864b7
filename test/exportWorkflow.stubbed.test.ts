import assert from 'node:assert/strict';
import { Context } from '@temporalio/activity';
import { type ScheduleHandle, ScheduleOverlapPolicy, WorkflowFailedError } from '@temporalio/client';
import { ApplicationFailure, defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { type ExportWindow, type IntervalPeriod, MINUTE_MS } from '../src/domain/export/windows';
import {
  exportQueueOf,
  type ExportRunResultV1,
  type ExportWindowInputV1,
  type ExportWindowResultV1,
  type ExportWorkflowInputV1,
  type LastExportedEndInputV1,
  type ResolvedOutboundV1,
} from '../src/messages';
import type { exportWorkflow } from '../src/workflows/exportWorkflow';
import { waitFor } from './support/harness';
import { localTemporal, workflowBundle } from './support/temporal';

const SETTLE_MS = 10_000;
const LOOKBACK_MS = 3_600_000;
const HOUR_MS = 60 * MINUTE_MS;
const DAY_MS = 24 * HOUR_MS;
const SCHEDULED_START = defineSearchAttributeKey('TemporalScheduledStartTime', SearchAttributeType.DATETIME);

const iso = (ms: number) => new Date(ms).toISOString();
const isoWindow = (w: ExportWindow | undefined) => (w ? [iso(w.start), iso(w.end)] : w);

/** One integration as the stubs see it: what resolveOutbound answers, and the manifests' last ends by `before`. */
interface FakeIntegration {
  resolved: ResolvedOutboundV1;
  /** lastExportedEnd's answer for a `before`; undefined when absent (nothing exported before it). */
  lastEnds?: Map<number, number>;
  /** exportWindow fails (retryably) this many times before it succeeds. */
  exportFailures?: number;
}

/** Every stub call, with the queue it ran on: the inputs are the assertions. */
class Calls {
  resolves: { integrationId: string; isLocal: boolean }[] = [];
  lastEnds: { input: LastExportedEndInputV1; taskQueue: string }[] = [];
  exports: { input: ExportWindowInputV1; taskQueue: string; attempt: number; failed: boolean }[] = [];
  ofResolves = (id: string) => this.resolves.filter((c) => c.integrationId === id);
  ofLastEnds = (id: string) => this.lastEnds.filter((c) => c.input.target.bucket === bucketOf(id));
  ofExports = (id: string) => this.exports.filter((c) => c.input.integrationId === id);
}

const bucketOf = (integrationId: string) => `cust-${integrationId}`.toLowerCase().replace(/[^a-z0-9-]/g, '-');

function live(integrationId: string, intervals: IntervalPeriod[]): ResolvedOutboundV1 {
  return {
    kind: 'live',
    integrationId,
    configVersion: 3,
    target: { bucket: bucketOf(integrationId), region: 'us-east-1', writePrefix: 'fme/impressions', compression: 'snappy' },
    environments: ['env-a', 'env-b'],
    intervals,
  };
}

/**
 * The export workflow run by real Temporal Schedules on the dev server (the time-skipping server
 * does not implement them), against stubbed activities: the window of each run comes from its
 * nominal time (TemporalScheduledStartTime), never from a clock, so backfilled runs hours in the
 * past export windows hours in the past.
 */
describe('export workflow on Temporal Schedules with stubbed activities (dev server)', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  const taskQueue = `export-stubbed-${process.pid}-${Date.now()}`;
  const integrations = new Map<string, FakeIntegration>();
  const calls = new Calls();
  const schedules: ScheduleHandle[] = [];
  const workers: { worker: Worker; running: Promise<void> }[] = [];
  let seq = 0;
  const freshId = (name: string) => `${name}-${process.pid}-${seq++}`;

  const integrationOf = (id: string): FakeIntegration => {
    const i = integrations.get(id);
    if (!i) throw ApplicationFailure.nonRetryable(`no fake integration ${id}`, 'UnexpectedIntegration');
    return i;
  };

  const activities = {
    async resolveOutbound(input: { integrationId: string }): Promise<ResolvedOutboundV1> {
      calls.resolves.push({ integrationId: input.integrationId, isLocal: Context.current().info.isLocal });
      return integrationOf(input.integrationId).resolved;
    },
    async lastExportedEnd(input: LastExportedEndInputV1): Promise<number | undefined> {
      calls.lastEnds.push({ input, taskQueue: Context.current().info.taskQueue });
      const i = [...integrations.values()].find((x) => x.resolved.kind === 'live' && x.resolved.target.bucket === input.target.bucket);
      return i?.lastEnds?.get(input.before);
    },
  };

  const exportActivities = {
    async exportWindow(input: ExportWindowInputV1): Promise<ExportWindowResultV1> {
      const { info } = Context.current();
      const i = integrationOf(input.integrationId);
      const failed = (i.exportFailures ?? 0) > 0;
      calls.exports.push({ input, taskQueue: info.taskQueue, attempt: info.attempt, failed });
      if (failed) {
        i.exportFailures!--;
        throw ApplicationFailure.retryable('the customer bucket throttled us', 'SlowDown');
      }
      return { rows: 7, duplicatesDropped: 1, parts: 1, sourceObjects: 2, manifestKey: `fme/impressions/${input.window.start}/_manifest.json` };
    },
  };

  /** The schedule the entity would create, paused, so only backfills start runs. */
  async function pausedSchedule(integrationId: string): Promise<ScheduleHandle> {
    const handle = await env.client.schedule.create({
      scheduleId: `export-stubbed/${integrationId}`,
      spec: { intervals: [{ every: '1 minute', offset: '10 seconds' }] },
      action: {
        type: 'startWorkflow',
        workflowType: 'exportWorkflow',
        taskQueue,
        args: [{ version: 1, integrationId, settleMs: SETTLE_MS, dedupLookbackMs: LOOKBACK_MS } satisfies ExportWorkflowInputV1],
      },
      state: { paused: true },
    });
    schedules.push(handle);
    return handle;
  }

  /** Backfills exactly these nominal times (each on the schedule's spec: a minute + 10 s), one run each, in order. */
  async function backfill(handle: ScheduleHandle, nominals: number[]): Promise<void> {
    await handle.backfill(nominals.map((n) => ({ start: new Date(n - 1_000), end: new Date(n + 1_000), overlap: ScheduleOverlapPolicy.BUFFER_ALL })));
  }

  /** The schedule's runs once it has taken `n` actions: each run's nominal time (its search attribute) and result. */
  async function runsOf(handle: ScheduleHandle, n: number): Promise<{ nominal: number; scheduledAt: number; result: ExportRunResultV1 }[]> {
    const actions = await waitFor(`${n} runs of ${handle.scheduleId}`, async () => {
      const { recentActions } = (await handle.describe()).info;
      return recentActions.length >= n ? recentActions : undefined;
    });
    assert.equal(actions.length, n, 'no other run: the schedule is paused');
    const runs = [];
    for (const a of actions) {
      const run = env.client.workflow.getHandle<typeof exportWorkflow>(a.action.workflow.workflowId, a.action.workflow.firstExecutionRunId);
      const result = await run.result();
      const nominal = (await run.describe()).typedSearchAttributes.get(SCHEDULED_START);
      assert.ok(nominal, 'a scheduled run carries TemporalScheduledStartTime');
      runs.push({ nominal: nominal.getTime(), scheduledAt: a.scheduledAt.getTime(), result });
    }
    return runs.sort((a, b) => a.nominal - b.nominal);
  }

  before(async function () {
    this.timeout(240_000);
    env = await localTemporal();
    const shared = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle(), activities });
    const exports = await Worker.create({ connection: env.nativeConnection, taskQueue: exportQueueOf(taskQueue), activities: exportActivities });
    for (const worker of [shared, exports]) workers.push({ worker, running: worker.run() });
  });

  after(async () => {
    for (const s of schedules) await s.delete().catch(() => undefined);
    for (const { worker } of workers) worker.shutdown();
    await Promise.all(workers.map((w) => w.running));
  });

  it('each backfilled run exports exactly the window of its own nominal time, hours in the past, never the clock\'s', async () => {
    const id = freshId('nominal');
    // Three consecutive nominal times five hours ago: on the spec, a minute and 10 s (the settle delay) each.
    const base = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 5 * HOUR_MS + SETTLE_MS;
    const nominals = [base, base + MINUTE_MS, base + 2 * MINUTE_MS];
    integrations.set(id, { resolved: live(id, [{ fromMs: base - DAY_MS, intervalMinutes: 1 }]) });
    const handle = await pausedSchedule(id);
    await backfill(handle, nominals);
    const runs = await runsOf(handle, 3);

    const expected = nominals.map((n) => ({ start: n - SETTLE_MS - MINUTE_MS, end: n - SETTLE_MS }));
    assert.deepEqual(runs.map((r) => iso(r.nominal)), nominals.map(iso), 'one run per backfilled nominal time, TemporalScheduledStartTime set on each');
    assert.deepEqual(runs.map((r) => iso(r.scheduledAt)), nominals.map(iso));
    for (const [i, r] of runs.entries()) {
      assert.equal(r.result.outcome, 'exported');
      assert.deepEqual(isoWindow(r.result.window), isoWindow(expected[i]), `the window of the nominal time ${iso(nominals[i]!)}`);
      assert.deepEqual(r.result.result, { rows: 7, duplicatesDropped: 1, parts: 1, sourceObjects: 2, manifestKey: `fme/impressions/${expected[i]!.start}/_manifest.json` });
      assert.ok(r.result.window!.end < Date.now() - 4 * HOUR_MS, 'hours in the past, as its nominal time');
    }

    const exported = calls.ofExports(id);
    assert.deepEqual(exported.map((c) => isoWindow(c.input.window)).sort(), expected.map(isoWindow).sort(), 'exportWindow was asked for exactly these windows, once each');
    const resolved = integrationOf(id).resolved as Extract<ResolvedOutboundV1, { kind: 'live' }>;
    for (const c of exported) {
      assert.equal(c.taskQueue, exportQueueOf(taskQueue), 'exports run on the exports queue');
      assert.deepEqual(
        { ...c.input, window: undefined },
        { integrationId: id, configVersion: 3, target: resolved.target, environments: ['env-a', 'env-b'], window: undefined, dedupLookbackMs: LOOKBACK_MS },
        'the resolved integration and the input\'s lookback',
      );
    }
    assert.deepEqual(calls.ofResolves(id).map((c) => c.isLocal), [true, true, true], 'resolveOutbound is a local activity, once per run');
    const lastEnds = calls.ofLastEnds(id);
    assert.deepEqual(lastEnds.map((c) => iso(c.input.before)).sort(), expected.map((w) => iso(w.end)).sort(), 'the last exported end is asked for before each window\'s end');
    for (const c of lastEnds) {
      assert.equal(c.taskQueue, taskQueue, 'lastExportedEnd runs on the shared queue');
      assert.deepEqual(c.input.target, resolved.target);
    }
  });

  it('a run whose integration resolves as gone exports nothing (skipped)', async () => {
    const id = freshId('gone');
    const nominal = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 3 * HOUR_MS + SETTLE_MS;
    integrations.set(id, { resolved: { kind: 'gone', integrationId: id } });
    const handle = await pausedSchedule(id);
    await backfill(handle, [nominal]);
    const [run] = await runsOf(handle, 1);
    assert.deepEqual(run!.result, { outcome: 'skipped' });
    assert.equal(calls.ofResolves(id).length, 1);
    assert.deepEqual(calls.ofExports(id), [], 'no export');
    assert.deepEqual(calls.ofLastEnds(id), [], 'not even a listing');
  });

  it('the last exported end shapes the window as the rules say: an interval grown, a pause, an interval shrunk', async () => {
    // Whole hours, eight hours ago: every window below ends at least two hours in the past.
    const h0 = Math.floor(Date.now() / HOUR_MS) * HOUR_MS - 8 * HOUR_MS;
    const m = (minutes: number) => h0 + minutes * MINUTE_MS;

    // Grown 30 → 60 at h0+40. The last 30-minute window was [h0, h0+30).
    const grown = freshId('grown');
    integrations.set(grown, {
      resolved: live(grown, [{ fromMs: h0 - DAY_MS, intervalMinutes: 30 }, { fromMs: m(40), intervalMinutes: 60 }]),
      lastEnds: new Map([
        [m(60), m(30)], // the first 60-minute window: [h0, h0+60) would overlap [h0, h0+30)
        [m(300), m(120)], // paused from h0+120 (no change since): left as a gap
      ]),
    });
    // Shrunk 60 → 30 at h0+100. The last 60-minute window was [h0, h0+60): the first 30-minute one, [h0+90, h0+120), would leave a gap.
    const shrunk = freshId('shrunk');
    integrations.set(shrunk, {
      resolved: live(shrunk, [{ fromMs: h0 - DAY_MS, intervalMinutes: 60 }, { fromMs: m(100), intervalMinutes: 30 }]),
      lastEnds: new Map([[m(120), m(60)]]),
    });

    const grownSchedule = await pausedSchedule(grown);
    const shrunkSchedule = await pausedSchedule(shrunk);
    await backfill(grownSchedule, [m(60) + SETTLE_MS, m(300) + SETTLE_MS]);
    await backfill(shrunkSchedule, [m(120) + SETTLE_MS]);

    const grownRuns = await runsOf(grownSchedule, 2);
    assert.deepEqual(
      grownRuns.map((r) => [r.result.outcome, isoWindow(r.result.window)]),
      [
        ['exported', isoWindow({ start: m(30), end: m(60) })], // starts at the last window's end: no overlap
        ['exported', isoWindow({ start: m(240), end: m(300) })], // the paused range [h0+120, h0+240) left to a backfill
      ],
    );
    const [shrunkRun] = await runsOf(shrunkSchedule, 1);
    assert.deepEqual([shrunkRun!.result.outcome, isoWindow(shrunkRun!.result.window)], ['exported', isoWindow({ start: m(60), end: m(120) })], 'the gap the change opened is closed');

    assert.deepEqual(calls.ofExports(grown).map((c) => isoWindow(c.input.window)).sort(), [isoWindow({ start: m(30), end: m(60) }), isoWindow({ start: m(240), end: m(300) })].sort());
    assert.deepEqual(calls.ofExports(shrunk).map((c) => isoWindow(c.input.window)), [isoWindow({ start: m(60), end: m(120) })]);
    assert.deepEqual(calls.ofLastEnds(grown).map((c) => iso(c.input.before)).sort(), [iso(m(60)), iso(m(300))].sort());
    assert.deepEqual(calls.ofLastEnds(shrunk).map((c) => iso(c.input.before)), [iso(m(120))]);
  });

  it('a run started directly, without a schedule, fails with ExportWithoutNominalTime and touches nothing', async () => {
    const id = freshId('direct');
    integrations.set(id, { resolved: live(id, [{ fromMs: 0, intervalMinutes: 1 }]) });
    const handle = await env.client.workflow.start<typeof exportWorkflow>('exportWorkflow', {
      taskQueue,
      workflowId: `export-stubbed-direct/${id}`,
      args: [{ version: 1, integrationId: id, settleMs: SETTLE_MS, dedupLookbackMs: LOOKBACK_MS }],
    });
    await assert.rejects(handle.result(), (err: unknown) => {
      assert.ok(err instanceof WorkflowFailedError, String(err));
      assert.ok(err.cause instanceof ApplicationFailure, String(err.cause));
      assert.equal(err.cause.type, 'ExportWithoutNominalTime');
      assert.equal(err.cause.nonRetryable, true);
      return true;
    });
    assert.deepEqual(calls.ofResolves(id), []);
    assert.deepEqual(calls.ofExports(id), []);
  });

  it('an exportWindow that fails twice is retried, and the run completes with the same window', async () => {
    const id = freshId('retried');
    const nominal = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 2 * HOUR_MS + SETTLE_MS;
    integrations.set(id, { resolved: live(id, [{ fromMs: 0, intervalMinutes: 1 }]), exportFailures: 2 });
    const handle = await pausedSchedule(id);
    await backfill(handle, [nominal]);
    const [run] = await runsOf(handle, 1);
    const window = { start: nominal - SETTLE_MS - MINUTE_MS, end: nominal - SETTLE_MS };
    assert.equal(run!.result.outcome, 'exported');
    assert.deepEqual(isoWindow(run!.result.window), isoWindow(window));
    const attempts = calls.ofExports(id);
    assert.deepEqual(attempts.map((c) => [c.attempt, c.failed]), [[1, true], [2, true], [3, false]], 'two failures, then the third attempt');
    for (const c of attempts) assert.deepEqual(isoWindow(c.input.window), isoWindow(window), 'every attempt the same window');
    assert.equal(calls.ofResolves(id).length, 1, 'retried as an activity, not a new run');
  });
});
