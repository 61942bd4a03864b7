/** The export workflow's input and its activities' messages (see index.ts for the versioning rule). */
import type { ExportCodec, ExportFormat } from '../domain/export/formats';

/** What a scheduled (or backfilled) run is started with; its window comes from its nominal time. */
export interface ExportWorkflowInputV1 {
  version: 1;
  integrationId: string;
  /** The schedule's offset: how long after a window's end its run starts (EXPORT_SETTLE_DELAY). */
  settleMs: number;
  /** How far before a window impressions are read to drop repeats (EXPORT_DEDUP_LOOKBACK). */
  dedupLookbackMs: number;
}

/** What the entity tells the schedule activities: the integration and its interval now. */
export interface ExportScheduleInputV1 {
  integrationId: string;
  intervalMinutes: number;
}

/** A backfill through the schedule: the runs whose nominal times fall in [fromMs, toMs]. */
export interface ExportBackfillInputV1 {
  integrationId: string;
  fromMs: number;
  toMs: number;
}

/** What an export run needs of its integration, read when it starts (a local activity). */
export type ResolvedOutboundV1 =
  | {
      kind: 'live';
      integrationId: string;
      configVersion: number;
      target: ExportTargetV1;
      environments: string[];
      /** Every interval the integration had, oldest first, from its creation. */
      intervals: { fromMs: number; intervalMinutes: number }[];
    }
  | { kind: 'gone'; integrationId: string };

export interface ExportRunResultV1 {
  /** Skipped: the integration was deleted, or the window is empty of time (an interval change). */
  outcome: 'exported' | 'skipped';
  window?: { start: number; end: number };
  result?: ExportWindowResultV1;
}

/** The customer's side of an export: where and how. */
export interface ExportTargetV1 {
  bucket: string;
  region: string;
  /** '' for the bucket's root; no leading or trailing slash. */
  writePrefix: string;
  /** Absent in runs recorded before JSON lines and CSV existed: Parquet. */
  format?: ExportFormat;
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
