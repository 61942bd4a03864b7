import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import type { Settings } from '../config/settings';
import { createS3Client, s3ClientPool } from '../s3/s3';
import { fileWorkflowSettings, requireSearchAttributes } from '../client';
import { DuckDBInstance, openDuckDb } from '../parquet/duckdb';
import { createIntegrationWorkers } from './temporalWorkers';
import { processDirName, sweepDeadProcessDirs } from './scratchDirs';

export interface WorkerProcess {
  client: Client;
  s3: S3Client;
  db: DuckDBInstance;
  workerTaskQueue: string;
  /** Runs until shutdown (or a shutdown signal), then releases connections, DuckDB and scratch space. */
  run(): Promise<void>;
  shutdown(): void;
}

/**
 * Everything a worker process holds, built from validated settings: Temporal connections, the
 * S3 client, DuckDB (spilling to a directory of this process's own, since workers may share
 * WORK_DIR) and the integration's workers. Scratch directories of dead workers are swept first.
 */
export async function createWorkerProcess(settings: Settings): Promise<WorkerProcess> {
  await mkdir(settings.WORK_DIR, { recursive: true });
  const swept = await sweepDeadProcessDirs(settings.WORK_DIR);
  if (swept.length > 0) console.log(`removed scratch directories of dead workers: ${swept.join(', ')}`);
  const nativeConnection = await NativeConnection.connect({ address: settings.TEMPORAL_ADDRESS });
  const connection = await Connection.connect({ address: settings.TEMPORAL_ADDRESS });
  const client = new Client({ connection, namespace: settings.TEMPORAL_NAMESPACE });
  await requireSearchAttributes(connection, settings.TEMPORAL_NAMESPACE);
  const s3 = createS3Client(settings);
  const duckdbTemp = join(settings.WORK_DIR, processDirName('duckdb', randomUUID().slice(0, 8)));
  await mkdir(duckdbTemp, { recursive: true });
  const db = await openDuckDb({ memoryLimit: settings.DUCKDB_MEMORY_LIMIT, threads: settings.DUCKDB_THREADS, tempDirectory: duckdbTemp });
  const workers = await createIntegrationWorkers({
    connection: nativeConnection,
    namespace: settings.TEMPORAL_NAMESPACE,
    client,
    s3,
    s3ForRegion: s3ClientPool(settings, s3),
    db,
    taskQueue: settings.TASK_QUEUE,
    workDir: settings.WORK_DIR,
    warehouse: { bucket: settings.WAREHOUSE_BUCKET, prefix: settings.WAREHOUSE_PREFIX },
    maxConcurrentChunks: settings.WORKER_MAX_CONCURRENT_CHUNKS,
    decompressionLimits: { maxBytes: settings.DECOMPRESSED_MAX_BYTES, maxRatio: settings.DECOMPRESSION_MAX_RATIO },
    admission: { capacityBytes: settings.WORKER_CAPACITY, minFileBytes: settings.WORKER_MIN_FILE_COST },
    smallFileConcurrency: settings.SMALL_FILE_CONCURRENCY,
    fileStart: fileWorkflowSettings(settings),
    sweep: { intervalMs: settings.SWEEP_INTERVAL, graceMs: settings.SWEEP_GRACE, lookbackMs: settings.SWEEP_LOOKBACK },
    export: { settleMs: settings.EXPORT_SETTLE_DELAY, dedupLookbackMs: settings.EXPORT_DEDUP_LOOKBACK, concurrency: settings.EXPORT_CONCURRENCY },
  });
  return {
    client,
    s3,
    db,
    workerTaskQueue: workers.workerTaskQueue,
    async run() {
      try {
        await workers.run();
      } finally {
        db.closeSync();
        await rm(duckdbTemp, { recursive: true, force: true });
        await nativeConnection.close();
        await connection.close();
      }
    },
    shutdown: () => workers.shutdown(),
  };
}
