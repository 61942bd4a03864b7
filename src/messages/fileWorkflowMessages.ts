/** The file workflow's input, result, signal and query (see index.ts for the versioning rule). */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { ObjectVersion } from '../domain/keys';

/** What the file workflow needs of its integration until integrations are entities (roadmap 1). */
export interface InboundIntegrationV1 {
  integrationId: string;
  environments: string[];
  /** Status folder prefix in the same bucket as the file. */
  statusPrefix: string;
}

/**
 * Per-run settings of a file workflow. The client writes every field into the input, so a
 * running workflow keeps the values it started with whatever later code defaults to.
 */
export interface FileWorkflowTuning {
  targetChunkRows: number;
  statusFlushDelayMs: number;
  /** A worker that has not picked up its queued activity by then is taken as lost. */
  workerScheduleToStartMs: number;
  heartbeatTimeoutMs: number;
  maxWorkerRestarts: number;
  /** How long the status workflow holds a long pass's entries for the pass to end. */
  statusPassWaitMs: number;
  /** Files up to this size take the small-file path: one activity on any worker (added with `admission`). */
  smallFileMaxBytes: number;
  /** A worker whose lease on the file has not heartbeated for this long is lost (added with `admission`). */
  leaseTimeoutMs: number;
  /** A parked file (access refused) tries again after this, doubling up to `parkMaxBackoffMs`. */
  parkFirstBackoffMs: number;
  parkMaxBackoffMs: number;
}

/** What inputs that predate a field mean by its absence; never change a value here (add a field instead). */
export const DEFAULT_FILE_TUNING_V1: FileWorkflowTuning = {
  targetChunkRows: 1_000_000,
  statusFlushDelayMs: 5_000,
  workerScheduleToStartMs: 60_000,
  heartbeatTimeoutMs: 30_000,
  maxWorkerRestarts: 5,
  statusPassWaitMs: 60_000,
  smallFileMaxBytes: 4 * 1024 * 1024,
  leaseTimeoutMs: 20_000,
  parkFirstBackoffMs: 60_000,
  parkMaxBackoffMs: 3_600_000,
};

export interface FileWorkflowInputV1 {
  version: 1;
  object: ObjectVersion;
  /** The object version's creation time in epoch ms (the S3 event's eventTime, else LastModified). */
  originalCreationTime: number;
  integration: InboundIntegrationV1;
  /** First generation of this run: 0 for a new file, later ones when a CLI reprocess starts a new run. */
  generation: number;
  /** How long the workflow stays open for `reprocess` after a pass, in ms. */
  reprocessWindowMs: number;
  tuning?: Partial<FileWorkflowTuning>;
  /** Carried over by continue-as-new. */
  carried?: { passesDone: number };
}

/**
 * V2 adds the object's size, which admission weighs against a worker's capacity and which
 * decides the small-file path. The workflow takes both versions.
 */
export interface FileWorkflowInputV2 extends Omit<FileWorkflowInputV1, 'version'> {
  version: 2;
  /** The object version's size in bytes (ContentLength, or the S3 event's size). */
  objectBytes: number;
}

/**
 * V3 names its integration instead of carrying its settings: each pass reads the integration's
 * configuration when it starts (so a reprocess applies the current environments), a deleted
 * integration gets INTEGRATION_CONFIG_NOT_FOUND, and a first pass skips content already ingested.
 */
export interface FileWorkflowInputV3 extends Omit<FileWorkflowInputV2, 'version' | 'integration'> {
  version: 3;
  integrationId: string;
}

export type FileWorkflowInput = FileWorkflowInputV1 | FileWorkflowInputV2 | FileWorkflowInputV3;

export interface FileProgressV1 {
  generation: number;
  phase:
    | 'claiming'
    | 'downloading'
    | 'inspecting'
    | 'validating'
    | 'committing'
    | 'reported'
    | 'waiting-for-reprocess'
    | 'done'
    | 'parked';
  chunksTotal: number;
  chunksDone: number;
  rowsValid: number;
  rowsInvalid: number;
  /** Row count from the file's footer, when it could be read. */
  fileRows: number | null;
  /** Times the file was started again on another worker after losing its worker. */
  workerRestarts: number;
  /** Times S3 refused the object (403 access denied, 301 wrong region) and the file was parked. */
  timesParked?: number;
  /** The last refusal, while parked. */
  parkedBecause?: string;
  /** Whether this pass took the small-file path. */
  smallFile?: boolean;
  /** The integration's configuration version this pass ran under (V3 inputs). */
  configVersion?: number;
  /** The pass repeated the outcome of this earlier object version with the same content: nothing was stored. */
  duplicateOf?: string;
  /** The integration was deleted: the file got INTEGRATION_CONFIG_NOT_FOUND, or a reprocess was refused. */
  integrationDeleted?: boolean;
}

export interface FileWorkflowResultV1 {
  generations: number;
  last: FileProgressV1;
}

export interface ReprocessRequestV1 {
  reason?: string;
}

export const reprocessSignal = defineSignal<[ReprocessRequestV1]>('reprocess');
export const progressQuery = defineQuery<FileProgressV1>('progress');
