/** Inputs and results of every activity (see index.ts for the versioning rule). */
import type { Chunk } from '../domain/chunkPlan';
import type { ContentGroup } from '../domain/integration/integrationEntries';
import type { EntryContext } from '../domain/entries';
import type { FileAnalysis } from '../domain/fileAnalysis';
import type { ObjectVersion } from '../domain/keys';
import type { SchemaVerdict } from '../domain/schemaCheck';
import type { FileStatusEntry, StatusDocument, StatusEntry } from '../domain/statusEntry';

/** Look the content up in the integration's content ledger (first passes of V3 inputs). */
export interface ContentCheckV1 {
  integrationId: string;
  configVersion: number;
}

export interface DownloadFileInputV1 {
  object: ObjectVersion;
  fileId: string;
  ctx: EntryContext;
  contentCheck?: ContentCheckV1;
  /** The bucket's region (V3 inputs, from the integration); the deployment's region when absent. */
  region?: string;
}

/** `sha256`: of the object's bytes as stored (added with integrations). `duplicate`: the content was already ingested. */
export type DownloadFileResultV1 =
  | { kind: 'downloaded'; localPath: string; compression: string; bytes: number; sha256?: string }
  | { kind: 'undecodable'; entries: StatusEntry[]; sha256?: string }
  | { kind: 'duplicate'; entries: StatusEntry[]; firstObject: ObjectVersion; sha256: string }
  /** An earlier run, no longer retained by Temporal, processed this object version: nothing to do. */
  | { kind: 'processed-before' };

export interface InspectFileInputV1 {
  localPath: string;
  ctx: EntryContext;
  targetChunkRows: number;
}

export type InspectFileResultV1 = FileAnalysis;

export interface ProcessChunkInputV1 {
  fileId: string;
  readPath: string;
  verdict: SchemaVerdict;
  chunk: Chunk;
  ctx: EntryContext;
  /**
   * No earlier attempt of this chunk in this generation can have stored parts: skip listing for
   * them (the small-file path's first attempt). Parts of earlier generations are the commit's job.
   */
  firstAttempt?: boolean;
}

export interface ChunkResultV1 {
  entries: StatusEntry[];
  validRows: number;
  invalidRows: number;
  storedKeys: string[];
}

export interface RemoveLocalFileInputV1 {
  fileId: string;
}

/** What the content ledger records once a generation commits. */
export interface ContentRecordV1 {
  integrationId: string;
  configVersion: number;
  sha256: string;
  groups: ContentGroup[];
}

export interface CommitGenerationInputV1 {
  fileId: string;
  object: ObjectVersion;
  generation: number;
  keys: string[];
  /** Record the content in the ledger (every pass of a V3 input; only first passes look it up). */
  content?: ContentRecordV1;
}

export interface CommitGenerationResultV1 {
  deleted: number;
}

export interface ReportEntriesInputV1 {
  bucket: string;
  /** The bucket's region, for the status workflow's report writes (V3 inputs). */
  region?: string;
  statusPrefix: string;
  flushDelayMs: number;
  entries: FileStatusEntry[];
  /** These are the last entries of the file's pass: its report need not wait (added with `report-pass-end`). */
  passEnded?: boolean;
  /** The status workflow's wait for a long pass, when it is started by this call. */
  passWaitMs?: number;
}

export interface WriteStatusReportInputV1 {
  bucket: string;
  /** When the oldest entry of this report reached the status workflow (workflow time), for the report-latency metric. */
  oldestEntryAtMs?: number;
  /** The bucket's region; the deployment's when absent. */
  region?: string;
  key: string;
  document: StatusDocument;
}

/**
 * `written`: this call wrote the report. `already-written`: the key holds this very report
 * (an earlier attempt wrote it). `taken`: the key holds something else, or its ETag cannot be
 * compared (SSE-KMS): the caller writes the report to the next key. Results recorded before
 * `whole-file-reports` are undefined.
 */
export interface WriteStatusReportResultV1 {
  outcome: 'written' | 'already-written' | 'taken';
}

export interface ClaimFileInputV1 {
  fileId: string;
  /** The object's size; 0 when unknown (inputs before V2). */
  bytes: number;
}

/** The worker that admitted the file: its queue for the file's work, and its queue for the lease. */
export interface ClaimFileResultV1 {
  workerTaskQueue: string;
  leaseTaskQueue: string;
}

export interface HoldFileInputV1 {
  fileId: string;
}

export interface ProcessSmallFileInputV1 {
  object: ObjectVersion;
  fileId: string;
  ctx: EntryContext;
  targetChunkRows: number;
  statusPrefix: string;
  flushDelayMs: number;
  passWaitMs: number;
  /** The bucket's region (V3 inputs, from the integration the workflow read). */
  region?: string;
  /** V3 inputs: the content ledger of the integration's configuration; `check` on first passes only. */
  ledger?: { integrationId: string; configVersion: number; check: boolean };
}

export interface ProcessSmallFileResultV1 {
  /**
   * `gone`: the object version no longer exists; nothing was reported. `duplicate`: the content
   * was already ingested; its outcome was repeated and nothing stored. `processed-before`: an
   * earlier run no longer retained by Temporal processed this object version; nothing done.
   */
  outcome: 'processed' | 'gone' | 'duplicate' | 'processed-before';
  duplicateOf?: string;
  /** The file as a whole was rejected (unreadable, or INVALID_SCHEMA): nothing stored. */
  rejected?: boolean;
  rowsValid: number;
  rowsInvalid: number;
  fileRows: number | null;
  chunks: number;
}

export interface ReportIntegrationGoneInputV1 {
  object: ObjectVersion;
  region?: string;
  /** The object's size, to find its footer with ranged GETs (0 when unknown: the row count is then 0). */
  objectBytes: number;
  fileId: string;
  originalCreationTime: number;
  integrationId: string;
  statusPrefix: string;
  flushDelayMs: number;
  passWaitMs: number;
}

export interface ReportIntegrationGoneResultV1 {
  /** False when an earlier pass already reported it (its ledger marker exists). */
  reported: boolean;
}

export interface SweepIntegrationInputV1 {
  integrationId: string;
}

export interface SweepIntegrationResultV1 {
  /** `skipped`: the integration is deleted or has no record; nothing was listed. */
  outcome: 'swept' | 'skipped';
  /** Objects listed under the integration's prefix. */
  listed: number;
  /** Of those, files the sweep had not seen before (inside the filters and the time window). */
  considered: number;
  /** Files whose workflow the sweep started: no notification had announced them. */
  missed: number;
  /** Objects it could not take this time (added after the first sweeps; absent means 0). */
  errors?: number;
}

export interface SweepScheduleInputV1 {
  integrationId: string;
}
