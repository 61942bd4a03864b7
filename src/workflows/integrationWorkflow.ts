import { allHandlersFinished, ApplicationFailure, condition, continueAsNew, log, patched, proxyActivities, setHandler, workflowInfo } from '@temporalio/workflow';
import type { IntegrationActivities } from '../activities/integrations/integrationActivities';
import type { SweepActivities } from '../activities/sweep/sweepActivities';
import type { ExportScheduleActivities } from '../activities/export/exportSchedules';
import { mergeOutboundPatch } from '../domain/integration/outboundPatch';
import {
  createIntegrationUpdate,
  CreateIntegrationRequestV1,
  deleteIntegrationUpdate,
  IntegrationRefusal,
  IntegrationState,
  integrationStateQuery,
  IntegrationWorkflowInputV1,
  PublishIntegrationInputV1,
  updateIntegrationUpdate,
} from '../messages';

/** Well under Temporal's suggestion (about 10k events), so a replay of the audit trail stays quick. */
const DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS = 2_000;

/** A check that keeps failing (S3 down) fails its update: nothing was decided, the operator tries again. */
const checks = proxyActivities<IntegrationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumInterval: '10s', maximumAttempts: 5 },
});

/**
 * A publish is retried until it lands: once the check passed, the change is decided, and giving
 * up could leave the published record (read by file passes and the endpoint) ahead of the
 * entity. Publishing is idempotent (the keys are per configuration version).
 */
const publishing = proxyActivities<IntegrationActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/** Patch: the entity creates its integration's sweep schedule on create and deletes it on delete. */
export const SWEEP_SCHEDULE = 'sweep-schedule';

/** Like publishing: the change is decided, so its schedule follows it whatever it takes. */
const schedules = proxyActivities<SweepActivities & ExportScheduleActivities>({
  startToCloseTimeout: '30 seconds',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

const refuse = (refusal: IntegrationRefusal, problem: string) => ApplicationFailure.nonRetryable(problem, refusal);

/**
 * One integration, as a long-running entity: its history (while retained) is the audit log, and
 * every change is also published to the warehouse bucket (current record and audit record).
 * Changes are updates, handled one at a time; reads are the `state` query.
 */
export async function integrationWorkflow(input: IntegrationWorkflowInputV1): Promise<void> {
  const { id } = input;
  let state: IntegrationState | null = input.state ?? null;
  let createRefused = false;

  // Updates run one at a time: each reads the state, checks it with an activity, then publishes.
  let tail: Promise<unknown> = Promise.resolve();
  function serially<T>(fn: () => Promise<T>): Promise<T> {
    const run = tail.then(fn);
    tail = run.catch(() => undefined);
    return run;
  }

  function requireLive(s: IntegrationState | null): IntegrationState {
    if (!s) throw refuse(IntegrationRefusal.NOT_FOUND, `integration "${id}" does not exist`);
    if (s.deletedAt !== undefined) throw refuse(IntegrationRefusal.DELETED, `integration "${id}" was deleted`);
    return s;
  }

  const alreadyThere = (s: IntegrationState) =>
    s.deletedAt !== undefined
      ? refuse(IntegrationRefusal.DELETED, `integration "${id}" was deleted; a deleted id is never re-created`)
      : refuse(IntegrationRefusal.EXISTS, `integration "${id}" already exists`);

  async function commit(next: IntegrationState, change: PublishIntegrationInputV1['change'], actor?: string): Promise<IntegrationState> {
    await publishing.publishIntegration({ state: next, change, actor });
    state = next;
    log.info(`integration ${change}`, { configVersion: next.configVersion, actor });
    return next;
  }

  setHandler(integrationStateQuery, () => state);

  setHandler(
    createIntegrationUpdate,
    (req: CreateIntegrationRequestV1) =>
      serially(async () => {
        if (state) throw alreadyThere(state);
        const outbound = req.kind === 'outbound';
        const checked = await checks.checkIntegrationChange(outbound ? { id, outbound: req.outbound ?? {}, creating: true } : { id, inbound: req.inbound, creating: true });
        if (!checked.ok) {
          createRefused = true;
          throw refuse(checked.refusal, checked.problem);
        }
        const now = Date.now();
        if (checked.outbound) {
          // Only outbound entities take this path, and none existed before it: no patch needed.
          const intervals = [{ fromMs: now, intervalMinutes: checked.outbound.intervalMinutes }];
          const created = await commit({ version: 1, id, kind: 'outbound', configVersion: 1, createdAt: now, updatedAt: now, outbound: checked.outbound, intervals }, 'created', req.actor);
          await schedules.ensureExportSchedule({ integrationId: id, intervalMinutes: checked.outbound.intervalMinutes });
          return created;
        }
        const created = await commit({ version: 1, id, kind: 'inbound', configVersion: 1, createdAt: now, updatedAt: now, inbound: checked.inbound }, 'created', req.actor);
        if (patched(SWEEP_SCHEDULE)) await schedules.ensureSweepSchedule({ integrationId: id });
        return created;
      }),
    {
      validator: (req) => {
        if (state) throw alreadyThere(state);
        if (req?.kind !== 'inbound' && req?.kind !== 'outbound') throw refuse(IntegrationRefusal.INVALID, 'an integration is inbound or outbound');
      },
    },
  );

  setHandler(
    updateIntegrationUpdate,
    (req) =>
      serially(async () => {
        const current = requireLive(state);
        if (req.expectedConfigVersion !== undefined && req.expectedConfigVersion !== current.configVersion) {
          throw refuse(IntegrationRefusal.CHANGED, `integration "${id}" is at version ${current.configVersion}, not ${req.expectedConfigVersion}: read it again`);
        }
        if (current.kind === 'outbound') {
          const checked = await checks.checkIntegrationChange({ id, outbound: mergeOutboundPatch(current.outbound, req.outbound ?? {}), creating: false });
          if (!checked.ok) throw refuse(checked.refusal, checked.problem);
          if (!checked.outbound) throw refuse(IntegrationRefusal.INVALID, 'an outbound integration stays outbound');
          const now = Date.now();
          const intervalChanged = checked.outbound.intervalMinutes !== current.outbound.intervalMinutes;
          // The interval history lets the first window under a new interval start where the last one ended.
          const intervals = intervalChanged ? [...current.intervals, { fromMs: now, intervalMinutes: checked.outbound.intervalMinutes }] : current.intervals;
          const updated = await commit({ ...current, configVersion: current.configVersion + 1, updatedAt: now, outbound: checked.outbound, intervals }, 'updated', req.actor);
          // Every update re-applies the schedule: a new interval, the workers' settle delay and lookback
          // now, or a schedule deleted by hand (an update without changes is the repair).
          await schedules.ensureExportSchedule({ integrationId: id, intervalMinutes: checked.outbound.intervalMinutes });
          return updated;
        }
        const checked = await checks.checkIntegrationChange({ id, inbound: { ...current.inbound, ...req.inbound }, creating: false });
        if (!checked.ok) throw refuse(checked.refusal, checked.problem);
        if (!checked.inbound) throw refuse(IntegrationRefusal.INVALID, 'an inbound integration stays inbound');
        return commit({ ...current, configVersion: current.configVersion + 1, updatedAt: Date.now(), inbound: checked.inbound }, 'updated', req.actor);
      }),
    {
      validator: (req) => {
        const current = requireLive(state);
        if (current.kind === 'outbound' && req.inbound !== undefined) throw refuse(IntegrationRefusal.INVALID, `integration "${id}" is outbound: change it with outbound fields`);
        if (current.kind === 'inbound' && req.outbound !== undefined) throw refuse(IntegrationRefusal.INVALID, `integration "${id}" is inbound: change it with inbound fields`);
      },
    },
  );

  setHandler(
    deleteIntegrationUpdate,
    (req) =>
      serially(async () => {
        const current = requireLive(state);
        const now = Date.now();
        const deleted = await commit({ ...current, configVersion: current.configVersion + 1, updatedAt: now, deletedAt: now }, 'deleted', req.actor);
        if (current.kind === 'outbound') await schedules.deleteExportSchedule({ integrationId: id });
        else if (patched(SWEEP_SCHEDULE)) await schedules.deleteSweepSchedule({ integrationId: id });
        return deleted;
      }),
    { validator: (_req) => void requireLive(state) },
  );

  // An entity never ends: a tombstone stays to answer for its id. It only starts a new run when
  // its history grows, between changes.
  // A refused first create leaves nothing to keep: the entity ends, and a corrected create
  // starts a fresh one (the client allows reusing the id of a closed entity).
  const limit = input.continueAsNewAfterEvents ?? DEFAULT_CONTINUE_AS_NEW_AFTER_EVENTS;
  const nothingCreated = () => state === null && createRefused && allHandlersFinished();
  await condition(() => nothingCreated() || workflowInfo().continueAsNewSuggested || workflowInfo().historyLength >= limit);
  await condition(allHandlersFinished);
  if (state === null && createRefused) return;
  await continueAsNew<typeof integrationWorkflow>({ ...input, state: state ?? undefined });
}
