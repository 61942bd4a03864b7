import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/activity';
import type { Client } from '@temporalio/client';
import { ObjectVersion, statusWorkflowIdOf, warehouseManifestKey } from '../domain/keys';
import { StatusDocument } from '../domain/statusEntry';
import { statusDocumentSchema } from '../domain/statusEntrySchema';
import { deleteKeys, isS3Error } from '../s3/s3';
import {
  CommitGenerationInputV1,
  CommitGenerationResultV1,
  FailureType,
  ReportEntriesInputV1,
  StatusWorkflowInputV1,
  statusEntriesSignal,
  WriteStatusReportInputV1,
} from '../messages';

export interface SharedActivityDeps {
  s3: S3Client;
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

async function readJson<T>(s3: S3Client, bucket: string, key: string): Promise<T | undefined> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
    return JSON.parse(await res.Body!.transformToString()) as T;
  } catch (err) {
    if (isS3Error(err, 'NoSuchKey', '404')) return undefined;
    throw err;
  }
}

/** Activities any worker can run. */
export function createSharedActivities(deps: SharedActivityDeps) {
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
      const previous = await readJson<WarehouseManifest>(deps.s3, deps.warehouse.bucket, manifestKey);
      const keep = new Set(input.keys);
      const stale = (previous?.keys ?? []).filter((k) => !keep.has(k));
      await deleteKeys(deps.s3, deps.warehouse.bucket, stale);
      const manifest: WarehouseManifest = { object: input.object, generation: input.generation, keys: [...input.keys].sort() };
      await deps.s3.send(
        new PutObjectCommand({ Bucket: deps.warehouse.bucket, Key: manifestKey, Body: JSON.stringify(manifest), ContentType: 'application/json' }),
      );
      return { deleted: stale.length };
    },

    /** Hands entries to the status workflow of (bucket, status prefix), starting it if needed. */
    async reportEntries(input: ReportEntriesInputV1): Promise<void> {
      if (input.entries.length === 0) return;
      const start: StatusWorkflowInputV1 = { version: 1, bucket: input.bucket, statusPrefix: input.statusPrefix, flushDelayMs: input.flushDelayMs };
      await deps.client.workflow.signalWithStart('statusWorkflow', {
        workflowId: statusWorkflowIdOf(input.bucket, input.statusPrefix),
        taskQueue: deps.taskQueue,
        args: [start],
        signal: statusEntriesSignal,
        signalArgs: [{ entries: input.entries }],
      });
    },

    /** Writes one report. Never overwrites a report with other content; rewriting the same content is a no-op. */
    async writeStatusReport(input: WriteStatusReportInputV1): Promise<void> {
      // The contract's shape, checked at the last step before the customer sees it.
      const body = JSON.stringify(statusDocumentSchema.parse(input.document), null, 2);
      try {
        await deps.s3.send(
          new PutObjectCommand({ Bucket: input.bucket, Key: input.key, Body: body, ContentType: 'application/json', IfNoneMatch: '*' }),
        );
      } catch (err) {
        if (!isS3Error(err, 'PreconditionFailed', '412')) throw err;
        const existing = await readJson<StatusDocument>(deps.s3, input.bucket, input.key);
        if (JSON.stringify(existing, null, 2) !== body) {
          throw ApplicationFailure.nonRetryable(`report ${input.key} exists with other content`, FailureType.REPORT_CONFLICT);
        }
      }
    },
  };
}

export type SharedActivities = ReturnType<typeof createSharedActivities>;
