import { GetObjectCommand, HeadObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Context } from '@temporalio/activity';
import { integrationNotFoundEntry } from '../../domain/integration/integrationEntries';
import type { ObjectVersion } from '../../domain/keys';
import { integrationNotFoundMarkerKey } from '../../domain/ledgerKeys';
import { footerRowCount } from '../../parquet/footerRowCount';
import { clientIn, isS3Error, S3ForRegion } from '../../s3/s3';
import { FileOutcome, ReportEntriesInputV1, ReportIntegrationGoneInputV1, ReportIntegrationGoneResultV1 } from '../../messages';
import { countFile } from '../activityMetrics';

export interface IntegrationGoneDeps {
  s3: S3Client;
  s3ForRegion?: S3ForRegion;
  warehouseBucket: string;
  /** Hands the entry to the status workflow (the small-file path passes its back-pressure-aware one). */
  reportEntries(input: ReportEntriesInputV1): Promise<void>;
}

const versionOf = (o: ObjectVersion) => (o.versioned ? { VersionId: o.version } : { IfMatch: `"${o.version}"` });

/** Refused or moved: the count is unknowable, which the entry says, and is not a fault to retry. */
const countUnreadable = (err: unknown) => isS3Error(err, 'AccessDenied', 'PermanentRedirect', '403', '301', '416');
/** The version is gone (deleted or overwritten): like everywhere else, nothing to report. */
const versionGone = (err: unknown) => isS3Error(err, 'NoSuchKey', 'NoSuchVersion', 'PreconditionFailed', 'NotFound', '404', '412');

class VersionGone extends Error {}

/**
 * What a file that arrived for a deleted integration gets: one INTEGRATION_CONFIG_NOT_FOUND entry
 * in the tombstone's status folder, counted from the footer alone (the file is not downloaded),
 * and a marker in the warehouse so no later pass or sweep reports it again.
 */
export function createIntegrationGoneActivities(deps: IntegrationGoneDeps) {
  async function markerExists(key: string): Promise<boolean> {
    try {
      await deps.s3.send(new HeadObjectCommand({ Bucket: deps.warehouseBucket, Key: key }));
      return true;
    } catch (err) {
      if (isS3Error(err, 'NotFound', 'NoSuchKey', '404')) return false;
      throw err;
    }
  }

  async function footerRows(object: ObjectVersion, size: number, region?: string): Promise<number | null> {
    const s3 = clientIn(deps.s3, deps.s3ForRegion, region);
    try {
      return await footerRowCount(async (start, end) => {
        const res = await s3.send(new GetObjectCommand({ Bucket: object.bucket, Key: object.key, ...versionOf(object), Range: `bytes=${start}-${end}` }));
        return Buffer.from(await res.Body!.transformToByteArray());
      }, size);
    } catch (err) {
      if (versionGone(err)) throw new VersionGone();
      if (!countUnreadable(err)) throw err;
      Context.current().log.info('footer of a file for a deleted integration could not be read; reporting 0 rows', { error: (err as Error).name });
      return null;
    }
  }

  return {
    async reportIntegrationGone(input: ReportIntegrationGoneInputV1): Promise<ReportIntegrationGoneResultV1> {
      const markerKey = integrationNotFoundMarkerKey(input.fileId);
      if (await markerExists(markerKey)) return { reported: false };
      let rows: number | null;
      try {
        rows = await footerRows(input.object, input.objectBytes, input.region);
      } catch (err) {
        if (!(err instanceof VersionGone)) throw err;
        Context.current().log.info('file of a deleted integration no longer exists; nothing to report', { key: input.object.key });
        return { reported: false };
      }
      const entry = integrationNotFoundEntry(input.originalCreationTime, input.integrationId, rows);
      await deps.reportEntries({
        bucket: input.object.bucket,
        ...(input.region ? { region: input.region } : {}),
        statusPrefix: input.statusPrefix,
        flushDelayMs: input.flushDelayMs,
        passWaitMs: input.passWaitMs,
        entries: [{ fileName: input.object.key, entry }],
        passEnded: true,
      });
      const marker = { integrationId: input.integrationId, object: input.object, entryId: entry.entryId, numberOfRows: entry.numberOfRows };
      await deps.s3.send(new PutObjectCommand({ Bucket: deps.warehouseBucket, Key: markerKey, Body: JSON.stringify(marker), ContentType: 'application/json' }));
      Context.current().log.info('file arrived for a deleted integration: reported INTEGRATION_CONFIG_NOT_FOUND', { integrationId: input.integrationId, key: input.object.key });
      countFile(input.integrationId, FileOutcome.INTEGRATION_DELETED);
      return { reported: true };
    },
  };
}

export type IntegrationGoneActivities = ReturnType<typeof createIntegrationGoneActivities>;
