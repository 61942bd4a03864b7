import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { FileActivities } from '../../activities/fileActivities';
import type { SharedActivities } from '../../activities/sharedActivities';
import type { AdmissionActivities } from '../../activities/admission/admissionActivities';
import type { SmallFileActivities } from '../../activities/smallFileActivities';
import { admissionQueueOf, FailureType, FileWorkflowTuning, smallFileQueueOf } from '../../messages';

const NON_RETRYABLE = [FailureType.LOCAL_FILE_MISSING, FailureType.OBJECT_VERSION_GONE, FailureType.OBJECT_ACCESS_REFUSED];

export const shared = proxyActivities<SharedActivities>({
  startToCloseTimeout: '2 minutes',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/**
 * The same activities where they take milliseconds. A task handed to a worker that was just
 * killed (its long poll still open on the server) is lost until this timeout, so keep it short.
 */
export const quick = proxyActivities<SharedActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/**
 * Reads of small published records, run as local activities by the worker running the
 * workflow: recorded in the history like any result, without a round trip through a task queue.
 */
export const lookups = proxyLocalActivities<SharedActivities>({
  startToCloseTimeout: '10 seconds',
  retry: { initialInterval: '1s', maximumInterval: '30s' },
});

/** Before `admission`: a worker that did not pick up its queued task in time was taken as lost. */
export function onWorkerBeforeAdmission(taskQueue: string, t: FileWorkflowTuning) {
  return proxyActivities<FileActivities>({
    taskQueue,
    scheduleToStartTimeout: t.workerScheduleToStartMs,
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: t.heartbeatTimeoutMs,
    // No attempt limit: S3 faults are retried until they pass; a lost worker is caught by the timeouts.
    retry: { initialInterval: '1s', maximumInterval: '1 minute', nonRetryableErrorTypes: [FailureType.LOCAL_FILE_MISSING, FailureType.OBJECT_VERSION_GONE] },
  });
}

/**
 * After `admission`: the worker admitted the file, so a task queued behind its other work is
 * busy, not lost (no schedule-to-start timeout). Its liveness is the file's lease.
 */
export function onAdmittedWorker(taskQueue: string, t: FileWorkflowTuning) {
  return proxyActivities<FileActivities>({
    taskQueue,
    startToCloseTimeout: '1 hour',
    heartbeatTimeout: t.heartbeatTimeoutMs,
    retry: { initialInterval: '1s', maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE },
  });
}

/**
 * A claim waits in the admission queue as long as it takes: waiting is not failing. Its short
 * heartbeat timeout catches a claim handed to a worker killed while polling.
 */
export function admission(sharedTaskQueue: string) {
  return proxyActivities<AdmissionActivities>({
    taskQueue: admissionQueueOf(sharedTaskQueue),
    startToCloseTimeout: '7 days',
    heartbeatTimeout: '10 seconds',
    retry: { initialInterval: '1s', maximumInterval: '30s' },
  });
}

/**
 * The lease on the admitted worker's lease queue, polled with room for every held file: it
 * starts at once on a live worker, and one attempt only, since its end means the worker is gone.
 */
export function lease(leaseTaskQueue: string, t: FileWorkflowTuning) {
  return proxyActivities<AdmissionActivities>({
    taskQueue: leaseTaskQueue,
    scheduleToStartTimeout: t.leaseTimeoutMs,
    startToCloseTimeout: '7 days',
    heartbeatTimeout: t.leaseTimeoutMs,
    retry: { maximumAttempts: 1 },
  });
}

/** The small-file path on any worker: a killed worker's attempt is retried elsewhere. */
export function smallFiles(sharedTaskQueue: string) {
  return proxyActivities<SmallFileActivities>({
    taskQueue: smallFileQueueOf(sharedTaskQueue),
    startToCloseTimeout: '30 minutes',
    heartbeatTimeout: '15 seconds',
    retry: { initialInterval: '1s', maximumInterval: '1 minute', nonRetryableErrorTypes: NON_RETRYABLE },
  });
}
