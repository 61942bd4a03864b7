import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import { ObjectVersion, warehouseManifestKey } from '../domain/keys';
import { deleteKeys, getJson, S3ForRegion } from '../s3/s3';
import { CommitGenerationInputV1, CommitGenerationResultV1 } from '../messages';
import { createStatusActivities } from './statusActivities';
import { FileLedger } from './integrations/fileLedger';
import { createIntegrationActivities } from './integrations/integrationActivities';
import { createIntegrationGoneActivities } from './integrations/integrationGoneActivities';
import { committedOutcome, countFile } from './activityMetrics';

export interface SharedActivityDeps {
  s3: S3Client;
  /** Clients for customers' buckets in other regions (default: `s3` for every region). */
  s3ForRegion?: S3ForRegion;
  client: Client;
  taskQueue: string;
  /** This worker's own task queue, for activities that need the downloaded file. */
  workerTaskQueue: string;
  warehouse: { bucket: string; prefix: string };
}

/** The record of what one generation of a file version stored, so the next can remove what it no longer writes. */
export interface WarehouseManifest {
  object: ObjectVersion;
  generation: number;
  keys: string[];
}

/** Activities any worker can run. */
export function createSharedActivities(deps: SharedActivityDeps) {
  const ledger = new FileLedger(deps.s3, deps.warehouse.bucket);
  const status = createStatusActivities(deps);
  return {
    /** Returns the task queue of the worker that picked this up: the file is downloaded and processed there. */
    async claimWorker(): Promise<string> {
      return deps.workerTaskQueue;
    },

    /**
     * Makes `keys` the file version's whole contribution to the events store: deletes what an
     * earlier generation stored that this one did not, then records this generation's keys.
     */
    async commitGeneration(input: CommitGenerationInputV1): Promise<CommitGenerationResultV1> {
      const manifestKey = warehouseManifestKey(deps.warehouse.prefix, input.fileId);
      const previous = await getJson<WarehouseManifest>(deps.s3, deps.warehouse.bucket, manifestKey);
      const keep = new Set(input.keys);
      const stale = (previous?.keys ?? []).filter((k) => !keep.has(k));
      await deleteKeys(deps.s3, deps.warehouse.bucket, stale);
      const manifest: WarehouseManifest = { object: input.object, generation: input.generation, keys: [...input.keys].sort() };
      await deps.s3.send(
        new PutObjectCommand({ Bucket: deps.warehouse.bucket, Key: manifestKey, Body: JSON.stringify(manifest), ContentType: 'application/json' }),
      );
      // After the manifest: content is on record only once its generation is in the events store.
      if (input.content) await ledger.recordContent(input.content, input.object, input.fileId, input.generation);
      // Every stored or rejected pass ends here (both paths), once per successful attempt.
      countFile(input.content?.integrationId, committedOutcome(input.content?.groups, input.keys.length));
      return { deleted: stale.length };
    },

    ...status,
    ...createIntegrationActivities({ s3: deps.s3, bucket: deps.warehouse.bucket }),
    ...createIntegrationGoneActivities({ s3: deps.s3, s3ForRegion: deps.s3ForRegion, warehouseBucket: deps.warehouse.bucket, reportEntries: status.reportEntries }),
  };
}

export type SharedActivities = ReturnType<typeof createSharedActivities>;
