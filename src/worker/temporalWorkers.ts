import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { mkdir, rm } from 'node:fs/promises';
import { processDirName } from './scratchDirs';
import type { S3Client } from '@aws-sdk/client-s3';
import type { S3ForRegion } from '../s3/s3';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker, WorkerOptions } from '@temporalio/worker';
import type { DuckDBInstance } from '../parquet/duckdb';
import type { DecompressionLimits } from '../parquet/unwrap';
import { createFileActivities } from '../activities/fileActivities';
import { createSharedActivities } from '../activities/sharedActivities';
import { createSmallFileActivities } from '../activities/smallFileActivities';
import { createAdmissionActivities } from '../activities/admission/admissionActivities';
import { CapacityLedger } from '../activities/admission/capacityLedger';
import { createSweepActivities, SweepDeps } from '../activities/sweep/sweepActivities';
import { createExportScheduleActivities } from '../activities/export/exportSchedules';
import { createExportActivities } from '../activities/export/exportActivities';
import { createExportLookupActivities } from '../activities/export/exportLookups';
import { admissionQueueOf, exportQueueOf, leaseQueueOf, smallFileQueueOf } from '../messages';

/** Waiting claims per worker: few, so a burst waits in Temporal's queue, where any worker can take it. */
const ADMISSION_SLOTS = 2;
/** Leases are idle heartbeats: one per held file. */
const MAX_LEASES = 1_000;
/** Claims and leases heartbeat this often; the lease timeout in the workflow input is several times it. */
const ADMISSION_HEARTBEAT_MS = 3_000;
/** A claim whose workflow never took up its lease (terminated in between) gives its room back after this. */
const UNADOPTED_TTL_MS = 60_000;

export interface IntegrationWorkerDeps {
  connection: NativeConnection;
  namespace: string;
  client: Client;
  s3: S3Client;
  /** Clients for customers' buckets by region. */
  s3ForRegion: S3ForRegion;
  db: DuckDBInstance;
  taskQueue: string;
  workDir: string;
  warehouse: { bucket: string; prefix: string };
  maxConcurrentChunks: number;
  /** Whole-file gzip/bzip2 output limits (DECOMPRESSED_MAX_BYTES, DECOMPRESSION_MAX_RATIO). */
  decompressionLimits: DecompressionLimits;
  /** The bytes of files this worker holds at once (WORKER_CAPACITY, WORKER_MIN_FILE_COST). */
  admission: { capacityBytes: number; minFileBytes: number };
  /** Small files processed at once (SMALL_FILE_CONCURRENCY). */
  smallFileConcurrency: number;
  /** How the sweep starts file workflows (task queue, window, tuning): the deployment's start settings. */
  fileStart: SweepDeps['fileStart'];
  /** SWEEP_INTERVAL, SWEEP_GRACE, SWEEP_LOOKBACK. */
  sweep: SweepDeps['sweep'];
  /** EXPORT_SETTLE_DELAY, EXPORT_DEDUP_LOOKBACK, EXPORT_CONCURRENCY (defaults when absent). */
  export?: { settleMs: number; dedupLookbackMs: number; concurrency: number };
  /** For tests: a prebuilt workflow bundle saves seconds per worker. */
  workflowBundle?: WorkerOptions['workflowBundle'];
}

export interface IntegrationWorkers {
  /** This worker's own task queue, where the file-local activities run. */
  workerTaskQueue: string;
  run(): Promise<void>;
  shutdown(): void;
}

/**
 * Two Temporal workers in one process: one on the shared task queue (workflows and
 * activities any worker can run), one on a queue of this worker's own for activities
 * that need the file it downloaded.
 */
export async function createIntegrationWorkers(deps: IntegrationWorkerDeps): Promise<IntegrationWorkers> {
  const dirName = processDirName('worker', randomUUID().slice(0, 8));
  const workerTaskQueue = `${deps.taskQueue}/${dirName.replace(/^worker-/, 'worker/')}`;
  const workDir = join(deps.workDir, dirName);
  await mkdir(workDir, { recursive: true });

  const shared = createSharedActivities({ s3: deps.s3, s3ForRegion: deps.s3ForRegion, client: deps.client, taskQueue: deps.taskQueue, workerTaskQueue, warehouse: deps.warehouse });
  const ledger = new CapacityLedger({ ...deps.admission, unadoptedTtlMs: UNADOPTED_TTL_MS });
  const local = createFileActivities({
    s3: deps.s3,
    s3ForRegion: deps.s3ForRegion,
    db: deps.db,
    workDir,
    warehouse: deps.warehouse,
    decompressionLimits: deps.decompressionLimits,
    onFileReleased: (fileId) => ledger.release(fileId),
  });
  const admission = createAdmissionActivities({ ledger, workerTaskQueue, leaseTaskQueue: leaseQueueOf(workerTaskQueue), heartbeatEveryMs: ADMISSION_HEARTBEAT_MS });
  const small = createSmallFileActivities({
    local,
    reportEntries: shared.reportEntries,
    commitGeneration: shared.commitGeneration,
    backPressureWaitMs: 1_000,
  });
  const sweep = createSweepActivities({
    s3: deps.s3,
    s3ForRegion: deps.s3ForRegion,
    client: deps.client,
    taskQueue: deps.taskQueue,
    warehouseBucket: deps.warehouse.bucket,
    fileStart: deps.fileStart,
    sweep: deps.sweep,
  });
  const exportSettings = deps.export ?? { settleMs: 120_000, dedupLookbackMs: 3_600_000, concurrency: 2 };
  const exportSchedules = createExportScheduleActivities({ client: deps.client, taskQueue: deps.taskQueue, ...exportSettings });
  const exportLookups = createExportLookupActivities({ s3: deps.s3, warehouseBucket: deps.warehouse.bucket });
  // Scratch under this process's own directory: a dead worker's is swept with the rest.
  const exports = createExportActivities({ warehouse: deps.s3, warehouseBucket: deps.warehouse.bucket, s3ForRegion: deps.s3ForRegion, workDir, db: deps.db });
  const common = { connection: deps.connection, namespace: deps.namespace };

  const workers = [
    await Worker.create({
      ...common,
      taskQueue: deps.taskQueue,
      activities: { ...shared, ...sweep, ...exportSchedules, ...exportLookups, lastExportedEnd: exports.lastExportedEnd },
      ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
    }),
    await Worker.create({ ...common, taskQueue: workerTaskQueue, activities: local, maxConcurrentActivityTaskExecutions: deps.maxConcurrentChunks }),
    await Worker.create({
      ...common,
      taskQueue: admissionQueueOf(deps.taskQueue),
      activities: { claimFile: admission.claimFile },
      maxConcurrentActivityTaskExecutions: ADMISSION_SLOTS,
      maxHeartbeatThrottleInterval: ADMISSION_HEARTBEAT_MS,
    }),
    // Heartbeats go out as often as leases beat (not throttled to 80% of the lease timeout), so
    // a cancelled lease, or one whose workflow is gone, ends and frees its room within seconds.
    await Worker.create({
      ...common,
      taskQueue: leaseQueueOf(workerTaskQueue),
      activities: { holdFile: admission.holdFile },
      maxConcurrentActivityTaskExecutions: MAX_LEASES,
      maxHeartbeatThrottleInterval: ADMISSION_HEARTBEAT_MS,
    }),
    await Worker.create({ ...common, taskQueue: smallFileQueueOf(deps.taskQueue), activities: small, maxConcurrentActivityTaskExecutions: deps.smallFileConcurrency }),
    // Each integration's window is its own workflow and activity: a large one holds one slot, never the others'.
    await Worker.create({ ...common, taskQueue: exportQueueOf(deps.taskQueue), activities: exports, maxConcurrentActivityTaskExecutions: exportSettings.concurrency }),
  ];
  const expiry = setInterval(() => ledger.expireUnadopted(), UNADOPTED_TTL_MS / 4);
  expiry.unref();
  return {
    workerTaskQueue,
    async run() {
      try {
        await Promise.all(workers.map((w) => w.run()));
      } finally {
        clearInterval(expiry);
        await rm(workDir, { recursive: true, force: true });
      }
    },
    shutdown() {
      for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
    },
  };
}
