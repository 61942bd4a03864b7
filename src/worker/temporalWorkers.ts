import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { mkdir, rm } from 'node:fs/promises';
import { processDirName } from './scratchDirs';
import type { S3Client } from '@aws-sdk/client-s3';
import type { Client } from '@temporalio/client';
import { NativeConnection, Worker, WorkerOptions } from '@temporalio/worker';
import type { DuckDBInstance } from '../parquet/duckdb';
import type { DecompressionLimits } from '../parquet/unwrap';
import { createFileActivities } from '../activities/fileActivities';
import { createSharedActivities } from '../activities/sharedActivities';

export interface IntegrationWorkerDeps {
  connection: NativeConnection;
  namespace: string;
  client: Client;
  s3: S3Client;
  db: DuckDBInstance;
  taskQueue: string;
  workDir: string;
  warehouse: { bucket: string; prefix: string };
  maxConcurrentChunks: number;
  /** Whole-file gzip/bzip2 output limits (DECOMPRESSED_MAX_BYTES, DECOMPRESSION_MAX_RATIO). */
  decompressionLimits: DecompressionLimits;
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

  const shared = createSharedActivities({ s3: deps.s3, client: deps.client, taskQueue: deps.taskQueue, workerTaskQueue, warehouse: deps.warehouse });
  const local = createFileActivities({ s3: deps.s3, db: deps.db, workDir, warehouse: deps.warehouse, decompressionLimits: deps.decompressionLimits });

  const sharedWorker = await Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: deps.taskQueue,
    activities: shared,
    ...(deps.workflowBundle ? { workflowBundle: deps.workflowBundle } : { workflowsPath: require.resolve('../workflows') }),
  });
  const localWorker = await Worker.create({
    connection: deps.connection,
    namespace: deps.namespace,
    taskQueue: workerTaskQueue,
    activities: local,
    maxConcurrentActivityTaskExecutions: deps.maxConcurrentChunks,
  });
  return {
    workerTaskQueue,
    async run() {
      try {
        await Promise.all([sharedWorker.run(), localWorker.run()]);
      } finally {
        await rm(workDir, { recursive: true, force: true });
      }
    },
    shutdown() {
      if (sharedWorker.getState() === 'RUNNING') sharedWorker.shutdown();
      if (localWorker.getState() === 'RUNNING') localWorker.shutdown();
    },
  };
}
