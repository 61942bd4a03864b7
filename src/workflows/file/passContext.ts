import { ActivityFailure, ApplicationFailure, TimeoutFailure } from '@temporalio/workflow';
import type { EntryContext } from '../../domain/entries';
import type { StatusEntry } from '../../domain/statusEntry';
import { FailureType, FileProgressV1, FileWorkflowInput, FileWorkflowTuning } from '../../messages';

/** What one pass over the file needs from its workflow. */
export interface PassContext {
  input: FileWorkflowInput;
  tuning: FileWorkflowTuning;
  fileId: string;
  generation: number;
  progress: FileProgressV1;
  /** Hands entries to the status workflow; `passEnded` on the pass's last ones. */
  report(entries: StatusEntry[], passEnded: boolean): Promise<void>;
}

export function entryContextOf(p: PassContext): EntryContext {
  return {
    fileName: p.input.object.key,
    originalCreationTime: p.input.originalCreationTime,
    generation: p.generation,
    environments: p.input.integration.environments,
    warnings: [],
  };
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
