import { Context } from '@temporalio/activity';
import type { ClaimFileInputV1, ClaimFileResultV1, HoldFileInputV1 } from '../../messages';
import type { CapacityLedger } from './capacityLedger';

export interface AdmissionDeps {
  ledger: CapacityLedger;
  workerTaskQueue: string;
  leaseTaskQueue: string;
  /** How often a waiting claim and a held lease heartbeat. */
  heartbeatEveryMs: number;
}

/** Waits for `ms` or until the activity is cancelled, heartbeating `details` first. */
async function beat(details: unknown, ms: number): Promise<void> {
  const ctx = Context.current();
  ctx.heartbeat(details);
  await Promise.race([ctx.sleep(ms), ctx.cancelled]);
}

/**
 * Admission by capacity. `claimFile` runs on the admission queue, which each worker polls only
 * with a few slots, so a burst waits in Temporal's queue rather than inside one worker; it
 * waits here until this worker has room for the file, then names the worker's queues.
 * `holdFile` runs on the worker's lease queue for as long as the workflow holds the file: its
 * heartbeats are the worker's liveness, and its end (cancelled, or its workflow gone) frees
 * the room if the file's own work did not already.
 */
export function createAdmissionActivities(deps: AdmissionDeps) {
  return {
    async claimFile(input: ClaimFileInputV1): Promise<ClaimFileResultV1> {
      const ctx = Context.current();
      const admitted = deps.ledger.reserve(input.fileId, input.bytes, ctx.cancellationSignal).then(() => true);
      while (!(await Promise.race([admitted, beat({ waitingFor: input.bytes, held: deps.ledger.heldBytes }, deps.heartbeatEveryMs).then(() => false)]))) {
        // still waiting for room
      }
      return { workerTaskQueue: deps.workerTaskQueue, leaseTaskQueue: deps.leaseTaskQueue };
    },

    async holdFile(input: HoldFileInputV1): Promise<void> {
      // Not held (expired, or this worker restarted): the file's work cannot be here either.
      if (!deps.ledger.adopt(input.fileId)) return;
      try {
        for (;;) {
          await beat({ holding: input.fileId }, deps.heartbeatEveryMs);
        }
      } finally {
        deps.ledger.release(input.fileId);
      }
    },
  };
}

export type AdmissionActivities = ReturnType<typeof createAdmissionActivities>;
