/**
 * The task queues beside the shared one (see index.ts for the versioning rule: a name here is
 * part of running workflows' behaviour, so it never changes).
 */

/** Where files wait to be admitted by a worker with room for them. */
export const admissionQueueOf = (sharedTaskQueue: string) => `${sharedTaskQueue}/admission`;

/** Where small files are processed in one activity, by any worker. */
export const smallFileQueueOf = (sharedTaskQueue: string) => `${sharedTaskQueue}/small-files`;

/** A worker's lease queue: the leases on the files it holds, its liveness. */
export const leaseQueueOf = (workerTaskQueue: string) => `${workerTaskQueue}/lease`;

/** Where window exports run, at most EXPORT_CONCURRENCY per worker, apart from the files' activities. */
export const exportQueueOf = (sharedTaskQueue: string) => `${sharedTaskQueue}/exports`;
