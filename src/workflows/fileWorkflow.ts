import { condition, continueAsNew, log, patched, setHandler, workflowInfo } from '@temporalio/workflow';
import type { StatusEntry } from '../domain/statusEntry';
import { fileIdOf } from '../domain/keys';
import { MAX_GENERATION } from '../domain/entryId';
import {
  DEFAULT_FILE_TUNING_V1,
  FileProgressV1,
  FileWorkflowInput,
  FileWorkflowTuning,
  FileWorkflowResultV1,
  progressQuery,
  reprocessSignal,
} from '../messages';
import { quick } from './file/activityProxies';
import { admittedPass } from './file/admittedPass';
import { isAccessRefused, isObjectGone, PassContext } from './file/passContext';
import { passBeforeAdmission } from './file/passBeforeAdmission';
import { smallFilePass } from './file/smallFilePass';

export { COMMIT_REJECTED_PASSES } from './file/passBeforeAdmission';

/**
 * Patch: the last report of a pass says so (`passEnded`), so the status workflow writes a
 * finished file's report at once instead of waiting out its delay.
 */
export const REPORT_PASS_END = 'report-pass-end';

/**
 * Patch: admission by capacity with a lease as the worker's liveness, the small-file path,
 * and parking on S3 refusals (see file/admittedPass.ts and file/smallFilePass.ts).
 */
export const ADMISSION = 'admission';

/**
 * One object version of a customer's file: download it, validate it chunk by chunk, store
 * the valid rows and report entries; then stay open for `reprocess` during the window.
 */
export async function fileWorkflow(input: FileWorkflowInput): Promise<FileWorkflowResultV1> {
  const tuning: FileWorkflowTuning = { ...DEFAULT_FILE_TUNING_V1, ...input.tuning };
  const fileId = fileIdOf(input.object);
  let generation = input.generation;
  let reprocessRequested = false;
  let progress: FileProgressV1 = freshProgress(generation);
  let passesDone = input.carried?.passesDone ?? 0;

  setHandler(progressQuery, () => progress);
  setHandler(reprocessSignal, (req) => {
    // Entry ids hold 11 bits of generation; past that a reprocess would reuse ids.
    if (generation >= MAX_GENERATION) {
      log.warn('reprocess refused: this file version has used every generation an entry id can hold', { generation });
      return;
    }
    log.info('reprocess requested', { reason: req.reason });
    reprocessRequested = true;
  });

  /** `passEnded`: these are the pass's last entries (only sent once the patch is in the history). */
  async function report(entries: StatusEntry[], passEnded: boolean): Promise<void> {
    const ended = passEnded && patched(REPORT_PASS_END);
    await quick.reportEntries({
      bucket: input.object.bucket,
      statusPrefix: input.integration.statusPrefix,
      flushDelayMs: tuning.statusFlushDelayMs,
      entries: entries.map((entry) => ({ fileName: input.object.key, entry })),
      passWaitMs: tuning.statusPassWaitMs,
      ...(ended ? { passEnded: true } : {}),
    });
  }

  async function runPass(): Promise<'done' | 'gone'> {
    const p: PassContext = { input, tuning, fileId, generation, progress, report };
    if (!patched(ADMISSION)) {
      await passBeforeAdmission(p);
      return 'done';
    }
    if (input.version === 2 && input.objectBytes <= tuning.smallFileMaxBytes) return smallFilePass(p);
    await admittedPass(p);
    return 'done';
  }

  /**
   * Runs the pass; while S3 refuses the object (403, 301) the file is parked and tried again
   * with a doubling back-off (or at once on `reprocess`), for at most the reprocess window.
   * Refusals are not verdicts: nothing is reported for them.
   */
  async function runPassUnlessParkedTooLong(): Promise<'done' | 'gone' | 'gave-up'> {
    let backoff = tuning.parkFirstBackoffMs;
    let parkedMs = 0;
    for (;;) {
      try {
        return await runPass();
      } catch (err) {
        if (isObjectGone(err)) return 'gone';
        if (!isAccessRefused(err)) throw err;
        // The next try starts the pass over: counts from before the refusal would be added twice.
        progress = {
          ...freshProgress(generation),
          phase: 'parked',
          timesParked: (progress.timesParked ?? 0) + 1,
          parkedBecause: err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err),
        };
        if (parkedMs >= input.reprocessWindowMs) return 'gave-up';
        log.warn('S3 refused the object; parking the file', { retryInMs: backoff, reason: progress.parkedBecause });
        if (await condition(() => reprocessRequested, backoff)) reprocessRequested = false;
        parkedMs += backoff;
        backoff = Math.min(backoff * 2, tuning.parkMaxBackoffMs);
      }
    }
  }

  for (;;) {
    const outcome = await runPassUnlessParkedTooLong();
    if (outcome !== 'done') {
      if (outcome === 'gone') log.warn('object version no longer exists; nothing to process', { key: input.object.key });
      else log.warn('S3 kept refusing the object for the whole reprocess window; giving up', { key: input.object.key });
      if (outcome === 'gone') progress.phase = 'done';
      return { generations: passesDone, last: progress };
    }
    passesDone++;
    progress.phase = 'waiting-for-reprocess';
    const requested = await condition(() => reprocessRequested, input.reprocessWindowMs);
    if (!requested) break;
    reprocessRequested = false;
    generation++;
    if (workflowInfo().continueAsNewSuggested) {
      await continueAsNew<typeof fileWorkflow>({ ...input, generation, carried: { passesDone } });
    }
    progress = freshProgress(generation);
  }
  progress.phase = 'done';
  return { generations: passesDone, last: progress };
}

function freshProgress(generation: number): FileProgressV1 {
  return { generation, phase: 'claiming', chunksTotal: 0, chunksDone: 0, rowsValid: 0, rowsInvalid: 0, fileRows: null, workerRestarts: 0 };
}
