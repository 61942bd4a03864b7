import type { S3Client } from '@aws-sdk/client-s3';
import { Context } from '@temporalio/activity';
import { Client, ScheduleAlreadyRunning, ScheduleNotFoundError, ScheduleOverlapPolicy } from '@temporalio/client';
import { fileWorkflowSettings, startFileWorkflow } from '../../client';
import { routeKey } from '../../domain/notifications/keyRouting';
import { fileIdOf, sweepScheduleIdOf } from '../../domain/keys';
import { ObjectIdentities } from '../../s3/objectIdentity';
import { listObjects } from '../../s3/listObjects';
import type { S3ForRegion } from '../../s3/s3';
import type { SweepIntegrationInputV1, SweepIntegrationResultV1, SweepScheduleInputV1 } from '../../messages';
import { IntegrationStore, isInbound, knownInboundOf } from '../integrations/integrationStore';
import { readSweepState, writeSweepState } from './sweepState';

export interface SweepDeps {
  s3: S3Client;
  s3ForRegion: S3ForRegion;
  client: Client;
  taskQueue: string;
  warehouseBucket: string;
  /** How file workflows are started (the deployment's start settings). */
  fileStart: ReturnType<typeof fileWorkflowSettings>;
  sweep: { intervalMs: number; graceMs: number; lookbackMs: number };
}

const MISSED_SAMPLE = 10;

/**
 * The reconciliation sweep: files whose notification never came (SNS gave up, a rule was
 * missing) are found by listing the bucket and started under the same identities the endpoint
 * uses, so a file the endpoint started is a no-op. Only objects created after the integration
 * and older than the grace period count; identities already seen are remembered over the
 * lookback instead of a LastModified watermark, which a multipart upload's start can lie behind.
 */
export function createSweepActivities(deps: SweepDeps) {
  const store = new IntegrationStore(deps.s3, deps.warehouseBucket);
  const identities = new ObjectIdentities(deps.s3ForRegion);

  return {
    async sweepIntegration(input: SweepIntegrationInputV1): Promise<SweepIntegrationResultV1> {
      const log = Context.current().log;
      const all = await store.list();
      const integration = all.find((s) => s.id === input.integrationId);
      if (!integration || !isInbound(integration) || integration.deletedAt !== undefined) return { outcome: 'skipped', listed: 0, considered: 0, missed: 0 };
      const { bucket, region, prefix } = integration.inbound;
      const known = knownInboundOf(all);
      const self = known.find((k) => k.id === integration.id)!;
      const state = await readSweepState(deps.s3, deps.warehouseBucket, integration.id);
      const now = Date.now();
      const newest = now - deps.sweep.graceMs;
      // Listings give LastModified in whole seconds: an object of the integration's own second counts.
      const oldest = Math.max(Math.floor(integration.createdAt / 1000) * 1000, now - deps.sweep.lookbackMs);
      // Suspended versioning still has versions with ids of their own: list versions whenever it was ever on.
      const versions = (await identities.versioningStatus(bucket, region)) !== 'Off';
      const sighted = (state.sighted ??= {});
      let listed = 0;
      let considered = 0;
      let errors = 0;
      let firstError: string | undefined;
      const missed: string[] = [];
      for await (const page of listObjects(deps.s3ForRegion(region), bucket, prefix ? `${prefix}/` : '', versions)) {
        Context.current().heartbeat({ listed });
        listed += page.length;
        for (const o of page) {
          if (o.lastModified < oldest || o.lastModified > newest) continue;
          if (!routeKey(self, bucket, o.key, known).take) continue;
          // One object that cannot be taken is counted and logged; it never stops the sweep.
          try {
            const file = await identities.resolve(bucket, o.key, { versionId: versions ? o.versionId : undefined, etag: o.etag, createdAt: o.lastModified, bytes: o.size }, region);
            const id = fileIdOf(file.object);
            if (state.seen[id] !== undefined) continue;
            if (sighted[id] === undefined || now - sighted[id] < deps.sweep.graceMs) {
              sighted[id] ??= now;
              continue;
            }
            considered++;
            const { started } = await startFileWorkflow(deps.client, {
              object: file.object,
              originalCreationTime: file.createdAt,
              objectBytes: file.bytes,
              integration: { integrationId: integration.id },
              ...deps.fileStart,
            });
            state.seen[id] = now;
            delete sighted[id];
            if (started) missed.push(o.key);
          } catch (err) {
            errors++;
            firstError ??= `${o.key}: ${err instanceof Error ? err.message.split('\n')[0] : String(err)}`;
          }
        }
      }
      if (errors > 0) log.warn('the sweep could not take some objects; it tries again next time', { integrationId: integration.id, errors, first: firstError });
      state.lastErrors = errors > 0 ? { count: errors, first: firstError! } : undefined;
      // Forget what can no longer come into the window.
      const forgetBefore = now - deps.sweep.lookbackMs - deps.sweep.graceMs;
      for (const map of [state.seen, sighted]) for (const [id, at] of Object.entries(map)) if (at < forgetBefore) delete map[id];
      state.lastSweepAt = now;
      if (missed.length > 0) {
        state.missedTotal += missed.length;
        state.lastMissed = { at: now, count: missed.length, sample: missed.slice(0, MISSED_SAMPLE) };
        log.warn('files arrived without a notification: check the bucket notification, the SNS topic and its subscription', {
          integrationId: integration.id,
          missed: missed.length,
          missedTotal: state.missedTotal,
          sample: missed.slice(0, MISSED_SAMPLE),
        });
      }
      await writeSweepState(deps.s3, deps.warehouseBucket, integration.id, state);
      return { outcome: 'swept', listed, considered, missed: missed.length, errors };
    },

    /** The integration's sweep schedule (created with it; an existing one takes the current interval). */
    async ensureSweepSchedule(input: SweepScheduleInputV1): Promise<void> {
      // Jitter spreads the sweeps of many integrations over part of the interval instead of one instant.
      const spec = { intervals: [{ every: deps.sweep.intervalMs }], jitter: Math.min(deps.sweep.intervalMs / 2, 60_000) };
      try {
        await deps.client.schedule.create({
          scheduleId: sweepScheduleIdOf(input.integrationId),
          spec,
          action: { type: 'startWorkflow', workflowType: 'sweepWorkflow', taskQueue: deps.taskQueue, args: [{ integrationId: input.integrationId }], workflowId: sweepScheduleIdOf(input.integrationId) },
          policies: { overlap: ScheduleOverlapPolicy.SKIP },
          memo: { integrationId: input.integrationId },
        });
      } catch (err) {
        if (!(err instanceof ScheduleAlreadyRunning)) throw err;
        await deps.client.schedule.getHandle(sweepScheduleIdOf(input.integrationId)).update((previous) => ({ ...previous, spec }));
      }
    },

    /** Deleted with the integration; already gone is fine. */
    async deleteSweepSchedule(input: SweepScheduleInputV1): Promise<void> {
      try {
        await deps.client.schedule.getHandle(sweepScheduleIdOf(input.integrationId)).delete();
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      }
    },
  };
}

export type SweepActivities = ReturnType<typeof createSweepActivities>;
