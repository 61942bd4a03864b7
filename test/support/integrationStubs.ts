import assert from 'node:assert/strict';
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import type { IntegrationActivities } from '../../src/activities/integrations/integrationActivities';
import type { ExportScheduleActivities } from '../../src/activities/export/exportSchedules';
import type { SweepActivities } from '../../src/activities/sweep/sweepActivities';
import { conflictsOf } from '../../src/domain/integration/conflicts';
import { describeIssues, type InboundConfigInput, inboundConfigSchema } from '../../src/domain/integration/inboundConfig';
import { type OutboundConfigInput, outboundConfigSchema } from '../../src/domain/integration/outboundConfig';
import { IntegrationRefusedError } from '../../src/integrationClient';
import { type InboundIntegrationState, IntegrationRefusal, type IntegrationState, type PublishIntegrationInputV1 } from '../../src/messages';

/** The entity's activities over an in-memory warehouse: what was published, and how to misbehave. */
export class Store {
  /** The current record of every integration, as publishIntegration left it. */
  current = new Map<string, IntegrationState>();
  /** Every publish that succeeded, in order. */
  published: PublishIntegrationInputV1[] = [];
  /** checkIntegrationChange and publishIntegration calls, in order (`check <id>`, `publish <id> v<n>`). */
  calls: string[] = [];
  /** publishIntegration fails (retryably) this many times. */
  publishFailures = 0;
  publishAttempts = 0;
  /** checkIntegrationChange fails (retryably) this many times. */
  checkFailures = 0;
  /** checkIntegrationChange takes this long: room for a concurrent change to interleave, were it not serialized. */
  checkMs = 0;
  /**
   * Schedule calls, in order: ensureSweepSchedule and deleteSweepSchedule (`ensure <id>`,
   * `delete <id>`), ensureExportSchedule and deleteExportSchedule (`ensure export <id> every <n>`,
   * `delete export <id>`).
   */
  schedules: string[] = [];
}

/** The real checks (schema, existing records, conflicts) over the in-memory records. */
export function stubbedActivities(store: () => Store): IntegrationActivities {
  return {
    async checkIntegrationChange(input) {
      const s = store();
      s.calls.push(`check ${input.id}`);
      if (s.checkFailures > 0) {
        s.checkFailures--;
        throw ApplicationFailure.retryable('the warehouse bucket is unreachable', 'S3Down');
      }
      if (s.checkMs > 0) await Context.current().sleep(s.checkMs);
      const existing = s.current.get(input.id);
      if (input.creating && existing) {
        return existing.deletedAt !== undefined
          ? { ok: false, refusal: IntegrationRefusal.DELETED, problem: `integration "${input.id}" was deleted` }
          : { ok: false, refusal: IntegrationRefusal.EXISTS, problem: `integration "${input.id}" already exists` };
      }
      if (input.outbound !== undefined) {
        // The outbound kind's schema; its write-location conflicts are covered by outboundConfig.test.ts and the e2e tests.
        const outbound = outboundConfigSchema.safeParse(input.outbound);
        if (!outbound.success) return { ok: false, refusal: IntegrationRefusal.INVALID, problem: describeIssues(outbound.error) };
        return { ok: true, outbound: outbound.data };
      }
      const parsed = inboundConfigSchema.safeParse(input.inbound);
      if (!parsed.success) return { ok: false, refusal: IntegrationRefusal.INVALID, problem: describeIssues(parsed.error) };
      const others = [...s.current.values()]
        .filter((o): o is InboundIntegrationState => o.kind === 'inbound')
        .map((o) => ({ id: o.id, config: o.inbound, deleted: o.deletedAt !== undefined, deletedAt: o.deletedAt }));
      const conflicts = conflictsOf({ id: input.id, config: parsed.data }, others);
      if (conflicts.length > 0) return { ok: false, refusal: IntegrationRefusal.CONFLICT, problem: conflicts.join('; ') };
      return { ok: true, inbound: parsed.data };
    },
    async publishIntegration(input) {
      const s = store();
      s.publishAttempts++;
      if (s.publishFailures > 0) {
        s.publishFailures--;
        throw ApplicationFailure.retryable('the warehouse bucket is unreachable', 'S3Down');
      }
      s.calls.push(`publish ${input.state.id} v${input.state.configVersion}`);
      s.current.set(input.state.id, input.state);
      s.published.push(input);
    },
    async resolveIntegration() {
      throw ApplicationFailure.nonRetryable('file passes are not tested here', 'UnexpectedActivity');
    },
  };
}

/** The sweep schedule the entity keeps beside its integration, as calls only. */
export function stubbedSchedules(store: () => Store): Pick<SweepActivities, 'ensureSweepSchedule' | 'deleteSweepSchedule'> {
  return {
    async ensureSweepSchedule(input) {
      store().schedules.push(`ensure ${input.integrationId}`);
    },
    async deleteSweepSchedule(input) {
      store().schedules.push(`delete ${input.integrationId}`);
    },
  };
}

/** The export schedule an outbound entity keeps beside its integration, as calls only. */
export function stubbedExportSchedules(store: () => Store): Pick<ExportScheduleActivities, 'ensureExportSchedule' | 'deleteExportSchedule'> {
  return {
    async ensureExportSchedule(input) {
      store().schedules.push(`ensure export ${input.integrationId} every ${input.intervalMinutes}`);
    },
    async deleteExportSchedule(input) {
      store().schedules.push(`delete export ${input.integrationId}`);
    },
  };
}

export function outboundFor(bucket: string, extra: Partial<OutboundConfigInput> = {}): OutboundConfigInput {
  return { environments: ['env-a'], bucket, region: 'us-east-1', writePrefix: 'fme/impressions', ...extra };
}

export function configFor(bucket: string, extra: Partial<InboundConfigInput> = {}): InboundConfigInput {
  return {
    environments: ['env-a'],
    bucket,
    region: 'us-east-1',
    prefix: 'in',
    suffixes: ['.parquet'],
    topicArn: 'arn:aws:sns:us-east-1:123456789012:fme-events',
    statusPrefix: 'status',
    ...extra,
  };
}

/** For assert.rejects: the entity refused the change for this reason. */
export const refusedWith = (refusal: IntegrationRefusal) => (err: unknown) => {
  assert.ok(err instanceof IntegrationRefusedError, `expected a refusal, got ${String(err)}`);
  assert.equal(err.refusal, refusal, err.message);
  return true;
};
