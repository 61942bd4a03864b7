import type { S3Client } from '@aws-sdk/client-s3';
import type { ResolvedOutboundV1 } from '../../messages';
import { IntegrationStore } from '../integrations/integrationStore';

/**
 * What an export run reads of its integration as it starts: the published record (never a
 * query of the entity), so a run sees the configuration of its moment, recorded in its history.
 */
export function createExportLookupActivities(deps: { s3: S3Client; warehouseBucket: string }) {
  const store = new IntegrationStore(deps.s3, deps.warehouseBucket);
  return {
    async resolveOutbound(input: { integrationId: string }): Promise<ResolvedOutboundV1> {
      const state = await store.read(input.integrationId);
      // A deleted integration's schedule is deleted with it; a run already buffered exports nothing.
      if (!state || state.kind !== 'outbound' || state.deletedAt !== undefined) return { kind: 'gone', integrationId: input.integrationId };
      const o = state.outbound;
      return {
        kind: 'live',
        integrationId: state.id,
        configVersion: state.configVersion,
        target: { bucket: o.bucket, region: o.region, writePrefix: o.writePrefix, format: o.format, compression: o.compression },
        environments: o.environments,
        intervals: state.intervals,
      };
    },
  };
}

export type ExportLookupActivities = ReturnType<typeof createExportLookupActivities>;
