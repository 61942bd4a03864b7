/** The export workflow's input and its activities' messages (see index.ts for the versioning rule). */
import type { ExportCodec } from '../domain/export/exportKeys';

/** What a scheduled (or backfilled) run is started with; its window comes from its nominal time. */
export interface ExportWorkflowInputV1 {
  version: 1;
  integrationId: string;
}

/** The customer's side of an export: where and how. */
export interface ExportTargetV1 {
  bucket: string;
  region: string;
  /** '' for the bucket's root; no leading or trailing slash. */
  writePrefix: string;
  compression: ExportCodec;
}

export interface ExportWindowInputV1 {
  integrationId: string;
  configVersion: number;
  target: ExportTargetV1;
  environments: string[];
  /** [start, end) in ms, whole minutes. */
  window: { start: number; end: number };
  /** Impressions received this long before the window are read too, and their repeats dropped. */
  dedupLookbackMs: number;
}

export interface ExportWindowResultV1 {
  rows: number;
  duplicatesDropped: number;
  parts: number;
  sourceObjects: number;
  manifestKey: string;
}

export interface LastExportedEndInputV1 {
  target: ExportTargetV1;
  /** The latest window end strictly before this, from the manifests under the write prefix. */
  before: number;
}
