/** The status workflow's input, signal and query (see index.ts for the versioning rule). */
import { defineQuery, defineSignal } from '@temporalio/workflow';
import type { FileStatusEntry } from '../domain/statusEntry';

export interface StatusWorkflowInputV1 {
  version: 1;
  bucket: string;
  statusPrefix: string;
  /** Wait this long after the first unreported entry before writing a report. */
  flushDelayMs: number;
  /** Continue-as-new after this many reports even when history is still small (tests; default: history size decides). */
  reportsPerRun?: number;
  /** Carried over by continue-as-new. */
  carried?: { pending: FileStatusEntry[]; seen: string[]; reportsWritten: number; lastReportMs?: number };
}

export interface StatusEntriesV1 {
  entries: FileStatusEntry[];
}

export interface StatusStateV1 {
  pendingEntries: number;
  reportsWritten: number;
  lastReportKey?: string;
}

export const statusEntriesSignal = defineSignal<[StatusEntriesV1]>('statusEntries');
export const statusStateQuery = defineQuery<StatusStateV1>('statusState');
