import { workflowInfo } from '@temporalio/workflow';
import { smallFiles } from './activityProxies';
import { entryContextOf, PassContext } from './passContext';

/**
 * The small-file path: the whole pass (download, validate, store, report, commit) in one
 * activity on any worker. `gone`: the object version no longer exists; nothing was reported.
 * `processed-before`: a run Temporal no longer retains processed this object version.
 */
export async function smallFilePass(p: PassContext): Promise<'done' | 'gone' | 'processed-before'> {
  p.progress.phase = 'validating';
  p.progress.smallFile = true;
  const { input } = p;
  const result = await smallFiles(workflowInfo().taskQueue).processSmallFile({
    object: input.object,
    fileId: p.fileId,
    ctx: entryContextOf(p),
    targetChunkRows: p.tuning.targetChunkRows,
    statusPrefix: p.integration.statusPrefix,
    flushDelayMs: p.tuning.statusFlushDelayMs,
    passWaitMs: p.tuning.statusPassWaitMs,
    ...(p.integration.region ? { region: p.integration.region } : {}),
    ...(p.ledger ? { ledger: p.ledger } : {}),
  });
  if (result.outcome === 'gone' || result.outcome === 'processed-before') return result.outcome;
  if (result.outcome === 'duplicate') p.duplicateOf = p.progress.duplicateOf = result.duplicateOf;
  if (result.rejected) p.rejected = true;
  Object.assign(p.progress, {
    rowsValid: result.rowsValid,
    rowsInvalid: result.rowsInvalid,
    fileRows: result.fileRows,
    chunksTotal: result.chunks,
    chunksDone: result.chunks,
  });
  return 'done';
}
