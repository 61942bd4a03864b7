import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { INTEGRATION_RECORDS_PREFIX, integrationAuditKey, integrationRecordKey } from '../../domain/ledgerKeys';
import { getJson, listKeys } from '../../s3/s3';
import type { InboundIntegrationState, IntegrationState, OutboundIntegrationStateV1 } from '../../messages';
import type { KnownIntegration } from '../../domain/integration/conflicts';
import type { KnownOutbound } from '../../domain/integration/outboundConflicts';

/** An inbound integration as the filter and loop rules see it (src/domain/integration/conflicts.ts). */
export function knownIntegrationOf(s: InboundIntegrationState): KnownIntegration {
  return { id: s.id, config: s.inbound, deleted: s.deletedAt !== undefined, deletedAt: s.deletedAt };
}

export const isInbound = (s: IntegrationState): s is InboundIntegrationState => s.kind === 'inbound';
export const isOutbound = (s: IntegrationState): s is OutboundIntegrationStateV1 => s.kind === 'outbound';

/** The inbound integrations among all, as the filter and loop rules see them. */
export const knownInboundOf = (states: readonly IntegrationState[]): KnownIntegration[] => states.filter(isInbound).map(knownIntegrationOf);

/** The outbound integrations among all, as the write-location rules see them. */
export const knownOutboundOf = (states: readonly IntegrationState[]): KnownOutbound[] =>
  states.filter(isOutbound).map((s) => ({ id: s.id, config: s.outbound, deleted: s.deletedAt !== undefined }));

/** An audit record: one per change, written before the current record. */
export interface IntegrationAuditRecordV1 {
  version: 1;
  change: 'created' | 'updated' | 'deleted';
  at: string;
  actor?: string;
  state: IntegrationState;
}

/**
 * What integration entities publish in the warehouse bucket: each integration's current record
 * (read by file passes, the HTTP service and `integration list`) and an audit record per change.
 */
export class IntegrationStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async read(id: string): Promise<IntegrationState | undefined> {
    return getJson<IntegrationState>(this.s3, this.bucket, integrationRecordKey(id));
  }

  /** Every integration's record, tombstones included, in id order. */
  async list(): Promise<IntegrationState[]> {
    const keys = (await listKeys(this.s3, this.bucket, INTEGRATION_RECORDS_PREFIX)).filter((k) => k.endsWith('.json'));
    const states = await Promise.all(keys.map((k) => getJson<IntegrationState>(this.s3, this.bucket, k)));
    return states.filter((s): s is IntegrationState => s !== undefined).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The audit record first: a change whose current record failed to land is still on record, and a retry writes the same keys. */
  async publish(record: IntegrationAuditRecordV1): Promise<void> {
    const { state } = record;
    await this.putJson(integrationAuditKey(state.id, state.configVersion), record);
    await this.putJson(integrationRecordKey(state.id), state);
  }

  private async putJson(key: string, value: unknown): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: JSON.stringify(value, null, 2), ContentType: 'application/json' }));
  }
}
