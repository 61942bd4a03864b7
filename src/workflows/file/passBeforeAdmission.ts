import { log, patched } from '@temporalio/workflow';
import type { ChunkResultV1 } from '../../messages';
import { onWorkerBeforeAdmission, quick, shared } from './activityProxies';
import { entryContextOf, isWorkerLost, PassContext } from './passContext';
import { workOnFile } from './workOnFile';

/**
 * Patch: a rejected pass (undecodable or schema-invalid file) also commits its generation, with
 * no keys, so rows an earlier generation stored are removed. Histories recorded before it return
 * without committing.
 */
export const COMMIT_REJECTED_PASSES = 'commit-rejected-passes';

/**
 * A pass as it ran before the `admission` patch, kept so histories recorded then replay: any
 * worker's claimWorker takes the file, and a task that waits past the schedule-to-start timeout
 * counts as a lost worker.
 */
export async function passBeforeAdmission(p: PassContext): Promise<void> {
  const ctx = entryContextOf(p);
  const done = new Map<number, ChunkResultV1>();
  for (;;) {
    p.progress.phase = 'claiming';
    const worker = onWorkerBeforeAdmission(await quick.claimWorker(), p.tuning);
    try {
      const outcome = await workOnFile(p, worker, ctx, done);
      if (outcome === 'rejected' && !patched(COMMIT_REJECTED_PASSES)) return;
      break;
    } catch (err) {
      if (!isWorkerLost(err) || p.progress.workerRestarts >= p.tuning.maxWorkerRestarts) throw err;
      p.progress.workerRestarts++;
      log.warn('lost the worker holding the file; starting it again elsewhere', { chunksDone: done.size });
    }
  }
  p.progress.phase = 'committing';
  const keys = [...done.values()].flatMap((r) => r.storedKeys);
  await shared.commitGeneration({ fileId: p.fileId, object: p.input.object, generation: p.generation, keys });
}
