/** The status workflow's input, signal and query (see index.ts for the versioning rule). */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { PendingPass } from '../domain/reportBatching';
import type { FileStatusEntry } from '../domain/statusEntry';

export interface StatusWorkflowInputV1 {
  version: 1;
  bucket: string;
  /** The bucket's region for report writes (added with integrations; the deployment's when absent). */
  region?: string;
  statusPrefix: string;
  /** Ready entries go out this long after they are ready (at once when every pending pass has ended). */
  flushDelayMs: number;
  /** A long pass's entries are ready this long after its first entry (default 60 s). Added with `whole-file-reports`. */
  passWaitMs?: number;
  /** Continue-as-new after this many reports even when history is still small (tests; default: history size decides). */
  reportsPerRun?: number;
  /**
   * Carried over by continue-as-new. `pending` is how runs before `whole-file-reports` carried
   * their entries (taken as ended passes); later runs carry `passes`.
   */
  carried?: { pending?: FileStatusEntry[]; passes?: PendingPass[]; seen: string[]; reportsWritten: number; lastReportMs?: number; keysSkipped?: number };
}

export interface StatusEntriesV1 {
  entries: FileStatusEntry[];
  /** True when these are the last entries of their file's pass (added with `whole-file-reports`). */
  passEnded?: boolean;
  /** The bucket's region as the sender's integration says (added with integrations). */
  region?: string;
}

export interface StatusStateV1 {
  /** Entries not written yet (waiting, or in the report being written). */
  pendingEntries: number;
  reportsWritten: number;
  lastReportKey?: string;
  /** Passes with entries waiting (added with `whole-file-reports`). */
  pendingPasses?: number;
  /** Report keys found taken by other content and skipped. */
  keysSkipped?: number;
}

export const statusEntriesSignal = defineSignal<[StatusEntriesV1]>('statusEntries');
export const statusStateQuery = defineQuery<StatusStateV1>('statusState');
