/** The integration entity's input, state, updates and query (see index.ts for the versioning rule). */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { InboundConfig, InboundConfigInput, InboundConfigPatch } from '../domain/integration/inboundConfig';
import type { OutboundConfig, OutboundConfigInput, OutboundConfigPatch } from '../domain/integration/outboundConfig';

/**
 * An integration as its entity holds it and publishes it. `kind` says which half of the product
 * it configures; the outbound kind adds its own field beside `inbound` (state version 1 stays
 * readable, so live entities need no migration).
 */
export interface IntegrationStateV1 {
  version: 1;
  id: string;
  kind: 'inbound';
  /** 1 at creation, +1 on every change (deletion included): the content ledger keys on it. */
  configVersion: number;
  createdAt: number;
  updatedAt: number;
  /** Set when the integration was deleted: the entity is then a tombstone and never changes again. */
  deletedAt?: number;
  inbound: InboundConfig;
}
export type InboundIntegrationState = IntegrationStateV1;

/** An outbound integration: impressions exported to the customer's bucket on a schedule. */
export interface OutboundIntegrationStateV1 {
  version: 1;
  id: string;
  kind: 'outbound';
  configVersion: number;
  createdAt: number;
  updatedAt: number;
  deletedAt?: number;
  outbound: OutboundConfig;
  /** Every interval it had, oldest first, from its creation: windows after a change and backfills use it. */
  intervals: { fromMs: number; intervalMinutes: number }[];
}

export type IntegrationState = IntegrationStateV1 | OutboundIntegrationStateV1;

export interface IntegrationWorkflowInputV1 {
  version: 1;
  id: string;
  /** Carried over by continue-as-new; absent on the first run. */
  state?: IntegrationState;
  /** Continue-as-new after this many history events even when Temporal does not suggest it yet (tests). */
  continueAsNewAfterEvents?: number;
}

export interface CreateIntegrationRequestV1 {
  kind: 'inbound' | 'outbound';
  /** Checked against the configuration schema by an activity before anything is recorded as state. */
  inbound?: InboundConfigInput;
  /** The outbound kind's configuration (kind 'outbound'). */
  outbound?: OutboundConfigInput;
  /** Who asked (the CLI sends the OS user), for the audit record. */
  actor?: string;
}

export interface UpdateIntegrationRequestV1 {
  inbound?: InboundConfigPatch;
  /** For an outbound integration: the fields to change. */
  outbound?: OutboundConfigPatch;
  /** Refuse the update when the integration changed since this version was read. */
  expectedConfigVersion?: number;
  actor?: string;
}

export interface DeleteIntegrationRequestV1 {
  actor?: string;
}

export const createIntegrationUpdate = defineUpdate<IntegrationState, [CreateIntegrationRequestV1]>('create');
export const updateIntegrationUpdate = defineUpdate<IntegrationState, [UpdateIntegrationRequestV1]>('update');
export const deleteIntegrationUpdate = defineUpdate<IntegrationState, [DeleteIntegrationRequestV1]>('delete');
/** Null until the integration has been created. */
export const integrationStateQuery = defineQuery<IntegrationState | null>('state');

/** Why a change was refused; the update's failure carries it as its type. */
export const IntegrationRefusal = {
  INVALID: 'IntegrationConfigInvalid',
  CONFLICT: 'IntegrationConflict',
  EXISTS: 'IntegrationExists',
  DELETED: 'IntegrationDeleted',
  NOT_FOUND: 'IntegrationNotFound',
  CHANGED: 'IntegrationChangedMeanwhile',
} as const;
export type IntegrationRefusal = (typeof IntegrationRefusal)[keyof typeof IntegrationRefusal];

export interface CheckIntegrationChangeInputV1 {
  id: string;
  /** The whole inbound configuration as it would be after the change (not yet validated). */
  inbound?: unknown;
  /** Or the whole outbound configuration. */
  outbound?: unknown;
  /** A create: also refused when any record of this id exists (a deleted id is never re-created). */
  creating: boolean;
}

export type CheckIntegrationChangeResultV1 =
  | { ok: true; inbound: InboundConfig; outbound?: undefined }
  | { ok: true; outbound: OutboundConfig; inbound?: undefined }
  | { ok: false; refusal: IntegrationRefusal; problem: string };

export interface PublishIntegrationInputV1 {
  state: IntegrationState;
  change: 'created' | 'updated' | 'deleted';
  actor?: string;
}

export interface ResolveIntegrationInputV1 {
  integrationId: string;
}

/** What a file pass needs of its integration, read when the pass starts. */
export type ResolvedIntegrationV1 =
  | { kind: 'live'; integrationId: string; configVersion: number; environments: string[]; statusPrefix: string; region: string }
  | { kind: 'deleted'; integrationId: string; configVersion: number; statusPrefix: string; region: string };
