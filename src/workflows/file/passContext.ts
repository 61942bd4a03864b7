import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import type { EntryContext } from '../../domain/entries';
import type { StatusEntry } from '../../domain/statusEntry';
import { contentGroupsOf } from '../../domain/integration/integrationEntries';
import { ContentCheckV1, ContentRecordV1, FailureType, FileProgressV1, FileWorkflowInput, FileWorkflowTuning } from '../../messages';

/** The integration's settings a pass runs with: carried in V1/V2 inputs, read at the pass's start for V3. */
export interface PassIntegration {
  environments: readonly string[];
  statusPrefix: string;
  /** The bucket's region (V3); the deployment's when absent. */
  region?: string;
}

/** What one pass over the file needs from its workflow. */
export interface PassContext {
  input: FileWorkflowInput;
  tuning: FileWorkflowTuning;
  fileId: string;
  generation: number;
  progress: FileProgressV1;
  integration: PassIntegration;
  /** V3 inputs: the integration's content ledger; `check` (look the content up) on first passes only. */
  ledger?: { integrationId: string; configVersion: number; check: boolean };
  /** The ledger lookup of a first pass, until its download decided (then cleared: see workOnFile). */
  contentCheck?: ContentCheckV1;
  /** What the download found: the content's hash, for the ledger. */
  sha256?: string;
  /** Set when the content was already ingested: the pass repeated that outcome and stored nothing. */
  duplicateOf?: string;
  /** The entries of a pass that rejected the whole file (nothing stored). */
  rejectedEntries?: StatusEntry[];
  /** The small-file path rejected the whole file. */
  rejected?: boolean;
  /** Hands entries to the status workflow; `passEnded` on the pass's last ones. */
  report(entries: StatusEntry[], passEnded: boolean): Promise<void>;
}

export function entryContextOf(p: PassContext): EntryContext {
  return {
    fileName: p.input.object.key,
    originalCreationTime: p.input.originalCreationTime,
    generation: p.generation,
    environments: p.integration.environments,
    warnings: [],
  };
}

/** The ledger record of a committed V3 pass: the content's hash and its outcome's groups. */
export function contentRecordOf(p: PassContext, chunkEntries: readonly StatusEntry[]): ContentRecordV1 | undefined {
  if (!p.ledger || p.sha256 === undefined) return undefined;
  const entries = p.rejectedEntries ?? chunkEntries;
  return { integrationId: p.ledger.integrationId, configVersion: p.ledger.configVersion, sha256: p.sha256, groups: contentGroupsOf(entries) };
}

export function countRows(progress: FileProgressV1, entries: StatusEntry[]): void {
  for (const e of entries) {
    if (e.valid) progress.rowsValid += e.numberOfRows;
    else progress.rowsInvalid += e.numberOfRows;
  }
}

function failureType(err: unknown): string | undefined {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure ? (err.cause.type ?? undefined) : undefined;
}

/** The worker holding the file is gone: its activity timed out, or the local copy vanished. */
export function isWorkerLost(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  return err.cause instanceof TimeoutFailure || failureType(err) === FailureType.LOCAL_FILE_MISSING;
}

export const isObjectGone = (err: unknown) => failureType(err) === FailureType.OBJECT_VERSION_GONE;
export const isAccessRefused = (err: unknown) => failureType(err) === FailureType.OBJECT_ACCESS_REFUSED;
