import { stableHash } from './hash';

/** One object version in a customer's bucket: the unit a file workflow processes. */
export interface ObjectVersion {
  bucket: string;
  key: string;
  /** The S3 versionId when the bucket is versioned, else the ETag (without quotes). */
  version: string;
  /** True when `version` is a versionId, false when it is an ETag. */
  versioned: boolean;
}

const MAX_READABLE_ID = 900;
const MAX_READABLE_ID_BYTES = 1_000;

export function normalizePrefix(prefix: string): string {
  return prefix.replace(/^\/+|\/+$/g, '');
}

export function objectVersionOf(bucket: string, key: string, versionId?: string | null, etag?: string | null): ObjectVersion {
  if (versionId && versionId !== 'null') return { bucket, key, version: versionId, versioned: true };
  const version = (etag ?? '').replace(/"/g, '');
  if (!version) throw new Error(`object s3://${bucket}/${key} has neither versionId nor ETag`);
  return { bucket, key, version, versioned: false };
}

/** Short, stable id of an object version, used in local paths and warehouse keys. */
export function fileIdOf(v: ObjectVersion): string {
  return stableHash(`${v.bucket}\u0000${v.key}\u0000${v.version}`);
}

/**
 * Readable in the Web UI when short enough, hashed when the key is very long. Temporal limits
 * workflow ids to 1,000 bytes, so a key of multi-byte characters is hashed by its UTF-8 length
 * too (ids that fit both limits are as before).
 */
export function fileWorkflowIdOf(v: ObjectVersion): string {
  const readable = `file/${v.bucket}/${v.key}@${v.version}`;
  const fits = readable.length <= MAX_READABLE_ID && new TextEncoder().encode(readable).length <= MAX_READABLE_ID_BYTES;
  return fits ? readable : `file/${v.bucket}/#${fileIdOf(v)}`;
}

/** The entity workflow of one integration. */
export const integrationWorkflowIdOf = (integrationId: string) => `integration/${integrationId}`;

/** The reconciliation sweep's schedule of one integration (and the prefix of the workflows it starts). */
export const sweepScheduleIdOf = (integrationId: string) => `sweep/${integrationId}`;
export const exportScheduleIdOf = (integrationId: string) => `export/${integrationId}`;

export function statusWorkflowIdOf(bucket: string, statusPrefix: string): string {
  return `status/${bucket}/${normalizePrefix(statusPrefix)}`;
}

const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** `<statusPrefix>/<yyyy-MM-dd>/<HH-mm-ss.SSS>.UTC_report.status`, in UTC. */
export function reportKeyOf(statusPrefix: string, at: Date): string {
  const date = `${at.getUTCFullYear()}-${pad(at.getUTCMonth() + 1)}-${pad(at.getUTCDate())}`;
  const time = `${pad(at.getUTCHours())}-${pad(at.getUTCMinutes())}-${pad(at.getUTCSeconds())}.${pad(at.getUTCMilliseconds(), 3)}`;
  const prefix = normalizePrefix(statusPrefix);
  return `${prefix ? prefix + '/' : ''}${date}/${time}.UTC_report.status`;
}

/** A report never reuses an earlier report's key: at least one millisecond after the last. */
export function nextReportTime(lastReportMs: number | undefined, nowMs: number): number {
  return lastReportMs === undefined ? nowMs : Math.max(nowMs, lastReportMs + 1);
}

/** Where one chunk's valid rows of one partition live in the events store. */
export function warehouseObjectKey(prefix: string, partitionPath: string, fileId: string, chunkIndex: number, part = 0): string {
  return `${warehouseChunkPrefix(prefix, partitionPath, fileId, chunkIndex)}p${part}.parquet`;
}

/** The prefix every part of one chunk's output in one partition shares. */
export function warehouseChunkPrefix(prefix: string, partitionPath: string, fileId: string, chunkIndex: number): string {
  const p = normalizePrefix(prefix);
  return `${p ? p + '/' : ''}${partitionPath}/${fileId}-c${pad(chunkIndex, 5)}-`;
}

export function warehouseManifestKey(prefix: string, fileId: string): string {
  const p = normalizePrefix(prefix);
  return `${p ? p + '/' : ''}_manifests/${fileId}.json`;
}
