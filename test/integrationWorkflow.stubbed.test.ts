import assert from 'node:assert/strict';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { integrationWorkflowIdOf } from '../src/domain/keys';
import {
  createIntegration,
  createOutboundIntegration,
  deleteIntegration,
  IntegrationRefusedError,
  integrationState,
  updateIntegration,
  updateOutboundIntegration,
} from '../src/integrationClient';
import {
  InboundIntegrationState,
  IntegrationRefusal,
  integrationStateQuery,
  IntegrationWorkflowInputV1,
  OutboundIntegrationStateV1,
} from '../src/messages';
import type { integrationWorkflow } from '../src/workflows/integrationWorkflow';
import { waitFor } from './support/harness';
import { configFor, outboundFor, refusedWith, Store, stubbedActivities, stubbedExportSchedules, stubbedSchedules } from './support/integrationStubs';
import { maybeRecordHistory } from './support/histories';
import { timeSkippingTemporal, workflowBundle } from './support/temporal';

/**
 * The integration entity against stubbed activities on the time-skipping server: creation by
 * update-with-start, every refusal, serial changes, continue-as-new and a publish that fails.
 */
describe('integration entity workflow with stubbed activities (time-skipping)', function () {
  let env: TestWorkflowEnvironment;
  let store: Store;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = `integrations-${process.pid}`;
  let seq = 0;
  /** A fresh id (and bucket) per test, so no test's records conflict with another's. */
  const fresh = () => {
    const n = seq++;
    return { id: `it-${process.pid}-${n}`, bucket: `bucket-${process.pid}-${n}` };
  };

  before(async function () {
    env = await timeSkippingTemporal();
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: { ...stubbedActivities(() => store), ...stubbedSchedules(() => store), ...stubbedExportSchedules(() => store) },
    });
    running = worker.run();
  });

  after(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  beforeEach(() => {
    store = new Store();
  });

  it('create (update-with-start) starts the entity, returns configuration version 1 and publishes "created"', async () => {
    const { id, bucket } = fresh();
    const state = await createIntegration(env.client, taskQueue, id, configFor(bucket, { environments: ['env-a', 'env-a', 'env-b'] }), 'alice');
    assert.equal(state.configVersion, 1);
    assert.equal(state.id, id);
    assert.equal(state.deletedAt, undefined);
    assert.equal(state.createdAt, state.updatedAt);
    assert.deepEqual(state.inbound.environments, ['env-a', 'env-b'], 'the configuration as the schema left it');
    assert.deepEqual(
      store.published.map((p) => [p.change, p.state.configVersion, p.actor]),
      [['created', 1, 'alice']],
    );
    assert.deepEqual(store.current.get(id), state);
    assert.deepEqual(await integrationState(env.client, id), state, 'the state query answers the same');
    assert.deepEqual(store.schedules, [`ensure ${id}`], 'its sweep schedule is created with it');
  });

  it('a second create of the same id is refused (IntegrationExists) and publishes nothing', async () => {
    const { id, bucket } = fresh();
    const first = await createIntegration(env.client, taskQueue, id, configFor(bucket));
    await assert.rejects(createIntegration(env.client, taskQueue, id, configFor(bucket, { environments: ['other'] })), refusedWith(IntegrationRefusal.EXISTS));
    assert.equal(store.published.length, 1);
    assert.deepEqual(await integrationState(env.client, id), first);
  });

  it('an invalid configuration is refused (IntegrationConfigInvalid), names the field, publishes nothing, and the empty entity ends', async () => {
    const { id, bucket } = fresh();
    await assert.rejects(createIntegration(env.client, taskQueue, id, configFor(bucket, { region: 'Mars' })), (err: unknown) => {
      refusedWith(IntegrationRefusal.INVALID)(err);
      assert.match((err as Error).message, /region/);
      return true;
    });
    assert.deepEqual(store.published, []);
    assert.deepEqual(store.schedules, [], 'no sweep schedule for a refused create');
    const handle = env.client.workflow.getHandle(integrationWorkflowIdOf(id));
    await waitFor('the empty entity to end', async () => ((await handle.describe()).status.name === 'COMPLETED' ? true : undefined));
    const created = await createIntegration(env.client, taskQueue, id, configFor(bucket));
    assert.equal(created.configVersion, 1, 'the refused create did not take the id: a corrected create starts a fresh entity');
    assert.equal((await handle.describe()).status.name, 'RUNNING');
  });

  it('a configuration whose filters overlap another integration is refused (IntegrationConflict)', async () => {
    const a = fresh();
    const b = fresh();
    await createIntegration(env.client, taskQueue, a.id, configFor(a.bucket));
    await assert.rejects(createIntegration(env.client, taskQueue, b.id, configFor(a.bucket, { statusPrefix: 'status-b' })), refusedWith(IntegrationRefusal.CONFLICT));
    assert.deepEqual(store.published.map((p) => p.state.id), [a.id]);
  });

  it('an update applies the patch over the current configuration and bumps the configuration version', async () => {
    const { id, bucket } = fresh();
    const created = await createIntegration(env.client, taskQueue, id, configFor(bucket));
    const updated = await updateIntegration(env.client, id, { environments: ['env-b', 'env-c'] }, 'bob', 1);
    assert.equal(updated.configVersion, 2);
    assert.deepEqual(updated.inbound, { ...created.inbound, environments: ['env-b', 'env-c'] }, 'only the patched field changed');
    assert.equal(updated.createdAt, created.createdAt);
    assert.deepEqual(
      store.published.map((p) => [p.change, p.state.configVersion, p.actor]),
      [['created', 1, undefined], ['updated', 2, 'bob']],
    );
    assert.deepEqual(await integrationState(env.client, id), updated);
  });

  it('an update naming a configuration version that is no longer current is refused (IntegrationChangedMeanwhile)', async () => {
    const { id, bucket } = fresh();
    await createIntegration(env.client, taskQueue, id, configFor(bucket));
    await updateIntegration(env.client, id, { environments: ['env-b'] }, undefined, 1);
    await assert.rejects(updateIntegration(env.client, id, { environments: ['env-c'] }, undefined, 1), refusedWith(IntegrationRefusal.CHANGED));
    assert.equal(store.published.length, 2);
    assert.deepEqual(((await integrationState(env.client, id)) as InboundIntegrationState | null)?.inbound.environments, ['env-b']);
  });

  it('an update that would leave an invalid configuration is refused and changes nothing', async () => {
    const { id, bucket } = fresh();
    const created = await createIntegration(env.client, taskQueue, id, configFor(bucket));
    await assert.rejects(updateIntegration(env.client, id, { environments: [] }), refusedWith(IntegrationRefusal.INVALID));
    assert.deepEqual(await integrationState(env.client, id), created);
    assert.equal(store.published.length, 1);
  });

  it('changes to an integration that was never created are refused (IntegrationNotFound)', async () => {
    const { id } = fresh();
    await assert.rejects(updateIntegration(env.client, id, { environments: ['env-b'] }), refusedWith(IntegrationRefusal.NOT_FOUND));
    await assert.rejects(deleteIntegration(env.client, id), refusedWith(IntegrationRefusal.NOT_FOUND));
    assert.equal(await integrationState(env.client, id), null);
  });

  it('delete leaves a tombstone; later updates, deletes and creates of the id are refused (IntegrationDeleted)', async () => {
    const { id, bucket } = fresh();
    await createIntegration(env.client, taskQueue, id, configFor(bucket));
    const tombstone = await deleteIntegration(env.client, id, 'carol');
    assert.equal(tombstone.configVersion, 2, 'a deletion is a change too: the content ledger keys on the version');
    assert.equal(typeof tombstone.deletedAt, 'number');
    assert.equal(tombstone.deletedAt, tombstone.updatedAt);
    assert.deepEqual((tombstone as InboundIntegrationState).inbound, (store.published[0]!.state as InboundIntegrationState).inbound, 'the tombstone keeps its last configuration');
    assert.deepEqual(store.published.map((p) => p.change), ['created', 'deleted']);
    await assert.rejects(updateIntegration(env.client, id, { environments: ['env-b'] }), refusedWith(IntegrationRefusal.DELETED));
    await assert.rejects(deleteIntegration(env.client, id), refusedWith(IntegrationRefusal.DELETED));
    await assert.rejects(createIntegration(env.client, taskQueue, id, configFor(bucket)), refusedWith(IntegrationRefusal.DELETED));
    assert.equal(store.published.length, 2, 'nothing published after the deletion');
    assert.deepEqual(store.schedules, [`ensure ${id}`, `delete ${id}`], 'its sweep schedule is deleted with it, once');
    assert.deepEqual(await integrationState(env.client, id), tombstone);
  });

  it('two concurrent updates both apply, one after the other: versions 2 and 3, each checked and published before the next starts', async () => {
    const { id, bucket } = fresh();
    await createIntegration(env.client, taskQueue, id, configFor(bucket));
    store.calls = [];
    store.checkMs = 300;
    const [a, b] = await Promise.all([
      updateIntegration(env.client, id, { environments: ['env-b'] }),
      updateIntegration(env.client, id, { suffixes: ['.parquet', '.parquet.gz'] }),
    ]);
    assert.deepEqual([a.configVersion, b.configVersion].sort(), [2, 3]);
    const final = (await integrationState(env.client, id)) as InboundIntegrationState | null;
    assert.equal(final?.configVersion, 3);
    assert.deepEqual(final?.inbound.environments, ['env-b'], 'the later update kept the earlier one');
    assert.deepEqual(final?.inbound.suffixes, ['.parquet', '.parquet.gz']);
    assert.deepEqual(store.calls, [`check ${id}`, `publish ${id} v2`, `check ${id}`, `publish ${id} v3`], 'never interleaved');
    assert.deepEqual(store.published.map((p) => p.state.configVersion), [1, 2, 3]);
  });

  it('the state survives continue-as-new: the new run answers the same state and takes the next change', async () => {
    const { id, bucket } = fresh();
    const handle = await env.client.workflow.start<typeof integrationWorkflow>('integrationWorkflow', {
      workflowId: integrationWorkflowIdOf(id),
      taskQueue,
      args: [{ version: 1, id, continueAsNewAfterEvents: 10 } satisfies IntegrationWorkflowInputV1],
    });
    const firstRun = handle.firstExecutionRunId;
    const created = await createIntegration(env.client, taskQueue, id, configFor(bucket));
    const secondRun = await waitFor('continue-as-new', async () => {
      const { runId } = await handle.describe();
      return runId !== firstRun ? runId : undefined;
    });
    assert.deepEqual(await env.client.workflow.getHandle(handle.workflowId, secondRun).query(integrationStateQuery), created);
    const updated = await updateIntegration(env.client, id, { environments: ['env-b'] });
    assert.equal(updated.configVersion, 2);
    assert.equal(updated.createdAt, created.createdAt);
  });

  it('create, update and delete in one run, then continue-as-new: the new run holds the tombstone and still refuses changes', async () => {
    const { id, bucket } = fresh();
    // The create's update completes at event 29 (its sweep schedule included), the update's at 46, the deletion's at 63: the deletion crosses 50.
    const handle = await env.client.workflow.start<typeof integrationWorkflow>('integrationWorkflow', {
      workflowId: integrationWorkflowIdOf(id),
      taskQueue,
      args: [{ version: 1, id, continueAsNewAfterEvents: 50 } satisfies IntegrationWorkflowInputV1],
    });
    const firstRun = handle.firstExecutionRunId;
    await createIntegration(env.client, taskQueue, id, configFor(bucket), 'alice');
    await updateIntegration(env.client, id, { environments: ['env-b'] }, 'bob', 1);
    assert.equal((await handle.describe()).runId, firstRun, 'no continue-as-new before the deletion');
    const tombstone = await deleteIntegration(env.client, id, 'carol');
    const secondRun = await waitFor('continue-as-new', async () => {
      const { runId } = await handle.describe();
      return runId !== firstRun ? runId : undefined;
    });
    assert.deepEqual(await env.client.workflow.getHandle(handle.workflowId, secondRun).query(integrationStateQuery), tombstone);
    await assert.rejects(updateIntegration(env.client, id, { environments: ['env-c'] }), refusedWith(IntegrationRefusal.DELETED));
    await assert.rejects(createIntegration(env.client, taskQueue, id, configFor(bucket)), refusedWith(IntegrationRefusal.DELETED));
    assert.deepEqual(store.published.map((p) => [p.change, p.state.configVersion]), [['created', 1], ['updated', 2], ['deleted', 3]]);
    await maybeRecordHistory(env.address, handle, 'integrationWorkflow-create-update-delete', firstRun);
  });

  it('a publish that fails is retried until it lands: the update then completes, and entity and record agree', async () => {
    const { id, bucket } = fresh();
    await createIntegration(env.client, taskQueue, id, configFor(bucket));
    store.publishFailures = 8;
    store.publishAttempts = 0;
    const update = updateIntegration(env.client, id, { environments: ['env-b'] });
    const [updated] = await Promise.all([update, env.sleep(300_000)]); // skips the retries' back-off
    assert.equal(store.publishAttempts, 9, 'eight failures, then the ninth attempt landed');
    assert.equal(updated.configVersion, 2);
    assert.deepEqual(await integrationState(env.client, id), updated);
    assert.deepEqual(store.current.get(id), updated, 'the published record is the entity state');
  });

  it('a check that keeps failing fails its update after its bounded attempts, and nothing changes', async () => {
    const { id, bucket } = fresh();
    const created = await createIntegration(env.client, taskQueue, id, configFor(bucket));
    store.checkFailures = 100;
    const update = assert.rejects(updateIntegration(env.client, id, { environments: ['env-b'] }), (err: unknown) => {
      // Not a refusal: nothing was decided; the operator tries again.
      assert.ok(!(err instanceof IntegrationRefusedError), String(err));
      assert.match(String(err), /could not be checked or recorded in the warehouse bucket \(the warehouse bucket is unreachable\); nothing changed: try again/);
      return true;
    });
    await Promise.all([update, env.sleep(120_000)]);
    store.checkFailures = 0;
    assert.deepEqual(await integrationState(env.client, id), created, 'state unchanged');
    assert.deepEqual(store.current.get(id), created, 'published record unchanged');
  });

  describe('outbound integrations: the export schedule follows the entity', () => {
    it('create outbound publishes kind "outbound" with its interval history [created, 30] and ensures its export schedule once (no sweep schedule)', async () => {
      const { id, bucket } = fresh();
      const state = await createOutboundIntegration(env.client, taskQueue, id, outboundFor(bucket), 'alice');
      assert.equal(state.kind, 'outbound');
      assert.equal(state.configVersion, 1);
      assert.equal(state.outbound.intervalMinutes, 30, 'the default interval');
      assert.equal(state.outbound.compression, 'snappy', 'the default compression');
      assert.deepEqual(state.intervals, [{ fromMs: state.createdAt, intervalMinutes: 30 }]);
      assert.deepEqual(
        store.published.map((p) => [p.change, p.state.kind, p.state.configVersion, p.actor]),
        [['created', 'outbound', 1, 'alice']],
      );
      assert.deepEqual(store.current.get(id), state, 'the published record is the entity state');
      assert.deepEqual(await integrationState(env.client, id), state);
      assert.deepEqual(store.schedules, [`ensure export ${id} every 30`], 'its export schedule, once; no sweep schedule');
    });

    it('an update changing only the compression keeps the interval history and re-applies the schedule at the same interval', async () => {
      const { id, bucket } = fresh();
      const created = await createOutboundIntegration(env.client, taskQueue, id, outboundFor(bucket));
      const updated = await updateOutboundIntegration(env.client, id, { compression: 'gzip' }, 'bob', 1);
      assert.equal(updated.configVersion, 2);
      assert.deepEqual(updated.outbound, { ...created.outbound, compression: 'gzip' }, 'only the compression changed');
      assert.deepEqual(updated.intervals, created.intervals, 'the interval history unchanged');
      assert.deepEqual(store.published.map((p) => [p.change, p.state.configVersion]), [['created', 1], ['updated', 2]]);
      assert.deepEqual(store.schedules, [`ensure export ${id} every 30`, `ensure export ${id} every 30`], 'every update re-applies the schedule (settings, a schedule deleted by hand)');
      assert.deepEqual(await integrationState(env.client, id), updated);
    });

    it('an update of the interval appends to the interval history and ensures the schedule with the new interval', async () => {
      const { id, bucket } = fresh();
      const created = await createOutboundIntegration(env.client, taskQueue, id, outboundFor(bucket));
      const updated = await updateOutboundIntegration(env.client, id, { intervalMinutes: 60 });
      assert.equal(updated.configVersion, 2);
      assert.equal(updated.outbound.intervalMinutes, 60);
      assert.deepEqual(updated.intervals, [...created.intervals, { fromMs: updated.updatedAt, intervalMinutes: 60 }], 'appended, from the change on');
      assert.ok(updated.updatedAt >= created.createdAt);
      assert.deepEqual(store.schedules, [`ensure export ${id} every 30`, `ensure export ${id} every 60`]);
      assert.deepEqual(((await integrationState(env.client, id)) as OutboundIntegrationStateV1 | null)?.intervals, updated.intervals);
      // Back to 30: a third period, the history never rewritten.
      const again = await updateOutboundIntegration(env.client, id, { intervalMinutes: 30, compression: 'zstd' });
      assert.deepEqual(again.intervals.map((p) => p.intervalMinutes), [30, 60, 30]);
      assert.deepEqual(again.intervals.slice(0, 2), updated.intervals);
      assert.deepEqual(store.schedules.slice(2), [`ensure export ${id} every 30`]);
    });

    it('delete deletes its export schedule (not a sweep schedule) and leaves a tombstone with its history', async () => {
      const { id, bucket } = fresh();
      const created = await createOutboundIntegration(env.client, taskQueue, id, outboundFor(bucket));
      const tombstone = (await deleteIntegration(env.client, id, 'carol')) as OutboundIntegrationStateV1;
      assert.equal(tombstone.kind, 'outbound');
      assert.equal(tombstone.configVersion, 2);
      assert.equal(typeof tombstone.deletedAt, 'number');
      assert.deepEqual(tombstone.outbound, created.outbound);
      assert.deepEqual(tombstone.intervals, created.intervals);
      assert.deepEqual(store.published.map((p) => p.change), ['created', 'deleted']);
      assert.deepEqual(store.schedules, [`ensure export ${id} every 30`, `delete export ${id}`], 'the export schedule deleted, once; no sweep schedule deleted');
      await assert.rejects(updateOutboundIntegration(env.client, id, { intervalMinutes: 60 }), refusedWith(IntegrationRefusal.DELETED));
      assert.equal(store.schedules.length, 2, 'nothing after the deletion');
    });

    it('an invalid outbound configuration (interval 7) is refused (IntegrationConfigInvalid): nothing published, no schedule', async () => {
      const { id, bucket } = fresh();
      await assert.rejects(createOutboundIntegration(env.client, taskQueue, id, outboundFor(bucket, { intervalMinutes: 7 })), (err: unknown) => {
        refusedWith(IntegrationRefusal.INVALID)(err);
        assert.match((err as Error).message, /intervalMinutes/);
        assert.match((err as Error).message, /7 does not divide it/);
        return true;
      });
      assert.equal(store.published.length, 0, 'nothing published');
      assert.equal(store.schedules.length, 0, 'no schedule');
      // And as an update: refused, and the integration, its history and its schedule unchanged.
      const { id: other, bucket: otherBucket } = fresh();
      const created = await createOutboundIntegration(env.client, taskQueue, other, outboundFor(otherBucket));
      await assert.rejects(updateOutboundIntegration(env.client, other, { intervalMinutes: 7 }), refusedWith(IntegrationRefusal.INVALID));
      assert.deepEqual(await integrationState(env.client, other), created);
      assert.deepEqual(store.published.map((p) => p.state.id), [other]);
      assert.deepEqual(store.schedules, [`ensure export ${other} every 30`]);
    });
  });
});
