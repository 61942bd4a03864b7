import { workflowInfo } from '@temporalio/workflow';
import { smallFiles } from './activityProxies';
import { entryContextOf, PassContext } from './passContext';

/**
 * The small-file path: the whole pass (download, validate, store, report, commit) in one
 * activity on any worker. `gone`: the object version no longer exists; nothing was reported.
 */
export async function smallFilePass(p: PassContext): Promise<'done' | 'gone' | 'integration-deleted'> {
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
    ...(input.version === 3
      ? {
          integration: { integrationId: input.integrationId, reprocess: p.generation > 0, originalCreationTime: input.originalCreationTime },
          objectBytes: input.objectBytes,
        }
      : {}),
  });
  if (result.configVersion !== undefined) p.progress.configVersion = result.configVersion;
  if (result.outcome === 'gone') return 'gone';
  if (result.outcome === 'integration-deleted') {
    p.progress.integrationDeleted = true;
    return 'integration-deleted';
  }
  if (result.outcome === 'duplicate') {
    p.duplicateOf = result.duplicateOf;
    p.progress.duplicateOf = result.duplicateOf;
  }
  Object.assign(p.progress, {
    rowsValid: result.rowsValid,
    rowsInvalid: result.rowsInvalid,
    fileRows: result.fileRows,
    chunksTotal: result.chunks,
    chunksDone: result.chunks,
  });
  return 'done';
}
