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
}

/** What inputs that predate a field mean by its absence; never change a value here (add a field instead). */
export const DEFAULT_FILE_TUNING_V1: FileWorkflowTuning = {
  targetChunkRows: 1_000_000,
  statusFlushDelayMs: 5_000,
  workerScheduleToStartMs: 60_000,
  heartbeatTimeoutMs: 30_000,
  maxWorkerRestarts: 5,
  statusPassWaitMs: 60_000,
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

export interface FileProgressV1 {
  generation: number;
  phase: 'claiming' | 'downloading' | 'inspecting' | 'validating' | 'committing' | 'reported' | 'waiting-for-reprocess' | 'done';
  chunksTotal: number;
  chunksDone: number;
  rowsValid: number;
  rowsInvalid: number;
  /** Row count from the file's footer, when it could be read. */
  fileRows: number | null;
  /** Times the file was started again on another worker after losing its worker. */
  workerRestarts: number;
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
