import { ApplicationFailure, CancellationScope, condition, isCancellation, log, workflowInfo } from '@temporalio/workflow';
import type { ChunkResultV1 } from '../../messages';
import { admission, lease, onAdmittedWorker, shared } from './activityProxies';
import { contentRecordOf, entryContextOf, isWorkerLost, PassContext } from './passContext';
import { workOnFile } from './workOnFile';

const objectBytesOf = (p: PassContext) => (p.input.version === 1 ? 0 : p.input.objectBytes);

/**
 * A pass with admission: a worker with room claims the file (files wait for room without
 * spending restarts), and a lease on that worker's lease queue heartbeats while the file is
 * held. The lease ending before the work does (heartbeat timeout: the worker died) is what
 * restarts the file elsewhere; a busy worker is never taken for a dead one.
 */
export async function admittedPass(p: PassContext): Promise<'done' | 'processed-before'> {
  const ctx = entryContextOf(p);
  const done = new Map<number, ChunkResultV1>();
  let outcome: Awaited<ReturnType<typeof workOnFile>> | undefined;
  for (;;) {
    p.progress.phase = 'claiming';
    const claim = await admission(workflowInfo().taskQueue).claimFile({ fileId: p.fileId, bytes: objectBytesOf(p) });
    const leaseScope = new CancellationScope();
    let leaseEnded = false;
    leaseScope
      .run(() => lease(claim.leaseTaskQueue, p.tuning).holdFile({ fileId: p.fileId }))
      .then(
        () => (leaseEnded = true),
        (err: unknown) => {
          if (!isCancellation(err)) leaseEnded = true;
        },
      );
    const workScope = new CancellationScope();
    const work = workScope.run(() => workOnFile(p, onAdmittedWorker(claim.workerTaskQueue, p.tuning), ctx, done));
    let lost: boolean;
    try {
      lost = await Promise.race([work.then((o) => ((outcome = o), false)), condition(() => leaseEnded).then(() => true)]);
    } catch (err) {
      leaseScope.cancel();
      if (!isWorkerLost(err)) throw err;
      lost = true;
    }
    if (!lost) {
      leaseScope.cancel();
      break;
    }
    workScope.cancel();
    await work.catch(() => undefined);
    if (p.progress.workerRestarts >= p.tuning.maxWorkerRestarts) {
      throw ApplicationFailure.nonRetryable(`lost the worker holding the file ${p.progress.workerRestarts + 1} times`, 'WorkerLostTooOften');
    }
    p.progress.workerRestarts++;
    log.warn('lost the worker holding the file (its lease ended); starting it again on a worker with room', { chunksDone: done.size });
  }
  // A duplicate stores nothing, so there is nothing to commit: an earlier generation of this
  // file version cannot exist, since duplicates are only looked for on first passes.
  if (outcome === 'duplicate') return 'done';
  if (outcome === 'processed-before') return 'processed-before';
  p.progress.phase = 'committing';
  const results = [...done.values()];
  const keys = results.flatMap((r) => r.storedKeys);
  const content = contentRecordOf(p, results.flatMap((r) => r.entries));
  await shared.commitGeneration({ fileId: p.fileId, object: p.input.object, generation: p.generation, keys, ...(content ? { content } : {}) });
  return 'done';
}
