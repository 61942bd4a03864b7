import { condition, continueAsNew, log, patched, setHandler, upsertMemo, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
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
  FileOutcome,
  SA_INVALID_ROWS,
  SA_OUTCOME,
} from '../messages';
import { lookups, quick, shared } from './file/activityProxies';
import { admittedPass } from './file/admittedPass';
import { isAccessRefused, isObjectGone, PassContext, PassIntegration } from './file/passContext';
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

/** Patch: the workflow sets its outcome and invalid rows as search attributes, and a summary memo, as passes end. */
export const SEARCH_ATTRIBUTES = 'search-attributes';

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
  // V3 passes read the integration when they start; until then (and for V1/V2) the input's.
  let integration: PassIntegration = input.version === 3 ? { environments: [], statusPrefix: '' } : input.integration;

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
      statusPrefix: integration.statusPrefix,
      ...(integration.region ? { region: integration.region } : {}),
      flushDelayMs: tuning.statusFlushDelayMs,
      entries: entries.map((entry) => ({ fileName: input.object.key, entry })),
      passWaitMs: tuning.statusPassWaitMs,
      ...(ended ? { passEnded: true } : {}),
    });
  }

  async function runPass(): Promise<PassOutcome> {
    const p: PassContext = { input, tuning, fileId, generation, progress, integration, report };
    if (!patched(ADMISSION)) {
      await passBeforeAdmission(p);
      return 'done';
    }
    if (input.version === 3) {
      // Read by the workflow (a local activity: no task-queue round trip), so the history pins
      // the configuration the whole pass runs under, across retries and restarts.
      const resolved = await lookups.resolveIntegration({ integrationId: input.integrationId });
      progress.configVersion = resolved.configVersion;
      if (resolved.kind === 'deleted') return integrationDeleted(resolved.statusPrefix, resolved.region);
      p.integration = integration = { environments: resolved.environments, statusPrefix: resolved.statusPrefix, region: resolved.region };
      // A reprocess ingests the content again whatever the ledger says: that is what it is for.
      const check = generation === 0;
      p.ledger = { integrationId: input.integrationId, configVersion: resolved.configVersion, check };
      if (check) p.contentCheck = { integrationId: input.integrationId, configVersion: resolved.configVersion };
    }
    const outcome = input.version !== 1 && input.objectBytes <= tuning.smallFileMaxBytes ? await smallFilePass(p) : await admittedPass(p);
    if (p.duplicateOf) noteDuplicate(p.duplicateOf);
    if (outcome === 'done') publishOutcome(outcomeOfPass(p));
    if (outcome === 'processed-before') log.warn('a run Temporal no longer retains processed this object version; nothing to do (reprocess ingests it again)');
    return outcome;
  }

  function noteDuplicate(first: string): void {
    log.info('content already ingested under this integration configuration: repeated its outcome, stored nothing', { firstObjectVersion: first });
    upsertMemo({ duplicateOf: first });
  }

  /** What the Web UI lists the file by: its outcome and invalid rows, and a summary in the memo. */
  function publishOutcome(outcome: FileOutcome): void {
    if (!patched(SEARCH_ATTRIBUTES)) return;
    upsertSearchAttributes([
      { key: SA_OUTCOME, value: outcome },
      { key: SA_INVALID_ROWS, value: progress.rowsInvalid },
    ]);
    const { rowsValid, rowsInvalid, fileRows, workerRestarts } = progress;
    upsertMemo({ summary: { generation, outcome, rowsValid, rowsInvalid, fileRows, workerRestarts } });
  }

  /** A first pass reports INTEGRATION_CONFIG_NOT_FOUND once; a reprocess of a deleted integration's file is refused. */
  async function integrationDeleted(statusPrefix: string, region: string): Promise<PassOutcome> {
    progress.integrationDeleted = true;
    publishOutcome(FileOutcome.INTEGRATION_DELETED);
    if (input.version !== 3) return 'integration-deleted';
    if (generation > 0) {
      log.warn('reprocess refused: the integration was deleted', { integrationId: input.integrationId });
      return 'integration-deleted';
    }
    await shared.reportIntegrationGone({
      object: input.object,
      region,
      objectBytes: input.objectBytes,
      fileId,
      originalCreationTime: input.originalCreationTime,
      integrationId: input.integrationId,
      statusPrefix,
      flushDelayMs: tuning.statusFlushDelayMs,
      passWaitMs: tuning.statusPassWaitMs,
    });
    return 'integration-deleted';
  }

  /**
   * Runs the pass; while S3 refuses the object (403, 301) the file is parked and tried again
   * with a doubling back-off (or at once on `reprocess`), for at most the reprocess window.
   * Refusals are not verdicts: nothing is reported for them.
   */
  async function runPassUnlessParkedTooLong(): Promise<PassOutcome | 'gave-up'> {
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
        publishOutcome(FileOutcome.PARKED);
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
      if (outcome === 'gone') publishOutcome(FileOutcome.GONE);
      if (outcome === 'processed-before') publishOutcome(FileOutcome.PROCESSED_BEFORE);
      if (outcome === 'gone') log.warn('object version no longer exists; nothing to process', { key: input.object.key });
      else if (outcome === 'gave-up') log.warn('S3 kept refusing the object for the whole reprocess window; giving up', { key: input.object.key });
      if (outcome !== 'gave-up') progress.phase = 'done';
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

/** How a pass that ran to its end came out. */
function outcomeOfPass(p: PassContext): FileOutcome {
  const { progress } = p;
  if (p.duplicateOf) return FileOutcome.DUPLICATE;
  // Rejected as a whole (INVALID_SCHEMA, unreadable), whatever its row count (an unreadable file's may be 0).
  if (p.rejectedEntries || p.rejected) return FileOutcome.REJECTED;
  return progress.rowsInvalid > 0 ? FileOutcome.INVALID_ROWS : FileOutcome.VALID;
}

/** `integration-deleted`: the integration is a tombstone; the workflow ends (its window gives nothing to reprocess). */
type PassOutcome = 'done' | 'gone' | 'integration-deleted' | 'processed-before';

function freshProgress(generation: number): FileProgressV1 {
  return { generation, phase: 'claiming', chunksTotal: 0, chunksDone: 0, rowsValid: 0, rowsInvalid: 0, fileRows: null, workerRestarts: 0 };
}
