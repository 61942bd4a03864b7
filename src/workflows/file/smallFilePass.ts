import { workflowInfo } from '@temporalio/workflow';
import { smallFiles } from './activityProxies';
import { entryContextOf, PassContext } from './passContext';

/**
 * The small-file path: the whole pass (download, validate, store, report, commit) in one
 * activity on any worker. `gone`: the object version no longer exists; nothing was reported.
 */
export async function smallFilePass(p: PassContext): Promise<'done' | 'gone'> {
  p.progress.phase = 'validating';
  p.progress.smallFile = true;
  const result = await smallFiles(workflowInfo().taskQueue).processSmallFile({
    object: p.input.object,
    fileId: p.fileId,
    ctx: entryContextOf(p),
    targetChunkRows: p.tuning.targetChunkRows,
    statusPrefix: p.input.integration.statusPrefix,
    flushDelayMs: p.tuning.statusFlushDelayMs,
    passWaitMs: p.tuning.statusPassWaitMs,
  });
  if (result.outcome === 'gone') return 'gone';
  Object.assign(p.progress, {
    rowsValid: result.rowsValid,
    rowsInvalid: result.rowsInvalid,
    fileRows: result.fileRows,
    chunksTotal: result.chunks,
    chunksDone: result.chunks,
  });
  return 'done';
}
