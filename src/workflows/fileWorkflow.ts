import {
  ActivityFailure,
  ApplicationFailure,
  condition,
  continueAsNew,
  log,
  patched,
  proxyActivities,
  setHandler,
  TimeoutFailure,
  workflowInfo,
} from '@temporalio/workflow';
import type { FileActivities } from '../activities/fileActivities';
import type { SharedActivities } from '../activities/sharedActivities';
import type { EntryContext } from '../domain/entries';
import type { FileAnalysis } from '../domain/fileAnalysis';
import type { StatusEntry } from '../domain/statusEntry';
import { fileIdOf } from '../domain/keys';
import { MAX_GENERATION } from '../domain/entryId';
import {
  ChunkResultV1,
  DEFAULT_FILE_TUNING_V1,
  FailureType,
  FileProgressV1,
  FileWorkflowInputV1,
  FileWorkflowTuning,
  FileWorkflowResultV1,
  progressQuery,
  reprocessSignal,
} from '../messages';

/**
 * Patch: a rejected pass (undecodable or schema-invalid file) also commits its generation, with
 * no keys, so rows an earlier generation stored are removed. Histories recorded before it return
 * without committing.
 */
export const COMMIT_REJECTED_PASSES = 'commit-rejected-passes';

/**
 * Patch: the last report of a pass says so (`passEnded`), so the status workflow writes a
 * finished file's report at once instead of waiting out its delay.
 */
export const REPORT_PASS_END = 'report-pass-end';

const shared = proxyActivities<SharedActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/**
 * The same activities where they take milliseconds. A task handed to a worker that was just
 * killed (its long poll still open on the server) is lost until this timeout, so keep it short.
 */
const quick = proxyActivities<SharedActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

function onWorker(taskQueue: string, t: FileWorkflowTuning) {
  return proxyActivities<FileActivities>({
    taskQueue,
    scheduleToStartTimeout: t.workerScheduleToStartMs,
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: t.heartbeatTimeoutMs,
    // No attempt limit: S3 faults are retried until they pass; a lost worker is caught by the timeouts.
    retry: { initialInterval: '1s', maximumInterval: '1 minute', nonRetryableErrorTypes: [FailureType.LOCAL_FILE_MISSING, FailureType.OBJECT_VERSION_GONE] },
  });
}

/** The worker holding the file is gone: its queue is not served, or the local copy vanished. */
function isWorkerLost(err: unknown): boolean {
  if (!(err instanceof ActivityFailure)) return false;
  const cause = err.cause;
  if (cause instanceof TimeoutFailure) return true;
  return cause instanceof ApplicationFailure && cause.type === FailureType.LOCAL_FILE_MISSING;
}

function isObjectGone(err: unknown): boolean {
  return err instanceof ActivityFailure && err.cause instanceof ApplicationFailure && err.cause.type === FailureType.OBJECT_VERSION_GONE;
}

/**
 * One object version of a customer's file: download it, validate it chunk by chunk, store
 * the valid rows and report entries; then stay open for `reprocess` during the window.
 */
export async function fileWorkflow(input: FileWorkflowInputV1): Promise<FileWorkflowResultV1> {
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

  async function runPass(): Promise<void> {
    const ctx: EntryContext = {
      fileName: input.object.key,
      originalCreationTime: input.originalCreationTime,
      generation,
      environments: input.integration.environments,
      warnings: [],
    };
    const done = new Map<number, ChunkResultV1>();
    for (;;) {
      progress.phase = 'claiming';
      const worker = onWorker(await quick.claimWorker(), tuning);
      try {
        progress.phase = 'downloading';
        const download = await worker.downloadFile({ object: input.object, fileId, ctx });
        const analysis = download.kind === 'downloaded' ? await inspect(worker, download.localPath, ctx) : undefined;
        if (analysis?.kind !== 'ok') {
          const rejected = analysis?.entries ?? (download.kind === 'undecodable' ? download.entries : []);
          await report(rejected, true);
          countRows(rejected);
          await worker.removeLocalFile({ fileId });
          if (patched(COMMIT_REJECTED_PASSES)) break;
          return;
        }
        progress.phase = 'validating';
        progress.chunksTotal = analysis.chunks.length;
        const chunkCtx: EntryContext = { ...ctx, warnings: analysis.verdict.warnings };
        const remaining = analysis.chunks.filter((c) => !done.has(c.index));
        for (const chunk of remaining) {
          const result = await worker.processChunk({ fileId, readPath: analysis.readPath, verdict: analysis.verdict, chunk, ctx: chunkCtx });
          await report(result.entries, chunk === remaining.at(-1));
          done.set(chunk.index, result);
          progress.chunksDone = done.size;
          progress.rowsValid += result.validRows;
          progress.rowsInvalid += result.invalidRows;
        }
        await worker.removeLocalFile({ fileId });
        break;
      } catch (err) {
        if (!isWorkerLost(err) || progress.workerRestarts >= tuning.maxWorkerRestarts) throw err;
        progress.workerRestarts++;
        log.warn('lost the worker holding the file; starting it again elsewhere', { chunksDone: done.size });
      }
    }
    progress.phase = 'committing';
    const keys = [...done.values()].flatMap((r) => r.storedKeys);
    await shared.commitGeneration({ fileId, object: input.object, generation, keys });
  }

  async function inspect(worker: ReturnType<typeof onWorker>, localPath: string, ctx: EntryContext): Promise<FileAnalysis> {
    progress.phase = 'inspecting';
    const analysis = await worker.inspectFile({ localPath, ctx, targetChunkRows: tuning.targetChunkRows });
    progress.fileRows = analysis.footerRows;
    return analysis;
  }

  function countRows(entries: StatusEntry[]): void {
    for (const e of entries) {
      if (e.valid) progress.rowsValid += e.numberOfRows;
      else progress.rowsInvalid += e.numberOfRows;
    }
  }

  for (;;) {
    try {
      await runPass();
    } catch (err) {
      if (!isObjectGone(err)) throw err;
      log.warn('object version no longer exists; nothing to process', { key: input.object.key });
      progress.phase = 'done';
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
