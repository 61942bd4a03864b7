import type { S3Client } from '@aws-sdk/client-s3';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { conflictsOf } from '../../domain/integration/conflicts';
import { describeIssues, inboundConfigSchema } from '../../domain/integration/inboundConfig';
import { outboundConfigSchema } from '../../domain/integration/outboundConfig';
import { outboundConflictsOf } from '../../domain/integration/outboundConflicts';
import {
  CheckIntegrationChangeInputV1,
  CheckIntegrationChangeResultV1,
  FailureType,
  IntegrationRefusal,
  PublishIntegrationInputV1,
  ResolveIntegrationInputV1,
  ResolvedIntegrationV1,
} from '../../messages';
import { IntegrationStore, knownInboundOf, knownOutboundOf } from './integrationStore';

export interface IntegrationActivityDeps {
  s3: S3Client;
  /** The warehouse bucket, where integrations are published. */
  bucket: string;
}

/** The integration entity's activities, and the lookup file passes make when they start. */
export function createIntegrationActivities(deps: IntegrationActivityDeps) {
  const store = new IntegrationStore(deps.s3, deps.bucket);

  return {
    /**
     * Validates the configuration a change would leave (the schema the CLI uses too) and checks
     * it against every other integration's filters and status folders on the same bucket.
     */
    async checkIntegrationChange(input: CheckIntegrationChangeInputV1): Promise<CheckIntegrationChangeResultV1> {
      const all = await store.list();
      if (input.creating) {
        const existing = all.find((s) => s.id === input.id);
        if (existing?.deletedAt !== undefined) return { ok: false, refusal: IntegrationRefusal.DELETED, problem: `integration "${input.id}" was deleted; a deleted id is never re-created` };
        if (existing) return { ok: false, refusal: IntegrationRefusal.EXISTS, problem: `integration "${input.id}" already exists` };
      }
      const inbound = knownInboundOf(all);
      const outbound = knownOutboundOf(all);
      if (input.outbound !== undefined) {
        const parsed = outboundConfigSchema.safeParse(input.outbound);
        if (!parsed.success) return { ok: false, refusal: IntegrationRefusal.INVALID, problem: describeIssues(parsed.error) };
        const conflicts = outboundConflictsOf({ id: input.id, config: parsed.data }, inbound, outbound);
        if (conflicts.length > 0) return { ok: false, refusal: IntegrationRefusal.CONFLICT, problem: conflicts.join('; ') };
        return { ok: true, outbound: parsed.data };
      }
      const parsed = inboundConfigSchema.safeParse(input.inbound);
      if (!parsed.success) return { ok: false, refusal: IntegrationRefusal.INVALID, problem: describeIssues(parsed.error) };
      const conflicts = conflictsOf({ id: input.id, config: parsed.data }, inbound);
      // The same write-location rules from the other side: an inbound filter must not take what a live export writes.
      for (const o of outbound) {
        if (o.deleted || o.id === input.id) continue;
        for (const c of outboundConflictsOf(o, [{ id: input.id, config: parsed.data, deleted: false }], [])) conflicts.push(c);
      }
      if (conflicts.length > 0) return { ok: false, refusal: IntegrationRefusal.CONFLICT, problem: conflicts.join('; ') };
      return { ok: true, inbound: parsed.data };
    },

    async publishIntegration(input: PublishIntegrationInputV1): Promise<void> {
      await store.publish({ version: 1, change: input.change, at: new Date(input.state.updatedAt).toISOString(), actor: input.actor, state: input.state });
    },

    /**
     * The integration as published now. A missing record is a fault (the id was checked when the
     * file workflow started, and records are never removed), retried until it reads: never a verdict.
     */
    async resolveIntegration(input: ResolveIntegrationInputV1): Promise<ResolvedIntegrationV1> {
      const state = await store.read(input.integrationId);
      if (!state) {
        Context.current().log.warn('integration record missing from the warehouse bucket; retrying', { integrationId: input.integrationId });
        throw ApplicationFailure.retryable(`integration "${input.integrationId}" has no published record`, FailureType.INTEGRATION_RECORD_MISSING);
      }
      if (state.kind !== 'inbound') {
        throw ApplicationFailure.nonRetryable(`integration "${input.integrationId}" is outbound: it takes no files`, 'IntegrationNotInbound');
      }
      const common = { integrationId: state.id, configVersion: state.configVersion, statusPrefix: state.inbound.statusPrefix, region: state.inbound.region };
      return state.deletedAt !== undefined ? { kind: 'deleted', ...common } : { kind: 'live', ...common, environments: state.inbound.environments };
    },
  };
}

export type IntegrationActivities = ReturnType<typeof createIntegrationActivities>;
