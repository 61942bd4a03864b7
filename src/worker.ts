import { randomUUID } from 'node:crypto';
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { Client, Connection } from '@temporalio/client';
import { NativeConnection } from '@temporalio/worker';
import { ConfigError, loadSettings } from './config';
import { createS3Client } from './s3';
import { openDuckDb } from './parquet/duckdb';
import { createIntegrationWorkers } from './workerSetup';
import { processDirName, sweepDeadProcessDirs } from './workDirs';

async function main(): Promise<void> {
  const settings = loadSettings();
  await mkdir(settings.WORK_DIR, { recursive: true });
  const swept = await sweepDeadProcessDirs(settings.WORK_DIR);
  if (swept.length > 0) console.log(`removed scratch directories of dead workers: ${swept.join(', ')}`);
  const connection = await NativeConnection.connect({ address: settings.TEMPORAL_ADDRESS });
  const clientConnection = await Connection.connect({ address: settings.TEMPORAL_ADDRESS });
  const client = new Client({ connection: clientConnection, namespace: settings.TEMPORAL_NAMESPACE });
  // DuckDB's spill files get a directory of this process's own: workers may share WORK_DIR.
  const duckdbTemp = join(settings.WORK_DIR, processDirName('duckdb', randomUUID().slice(0, 8)));
  await mkdir(duckdbTemp, { recursive: true });
  const db = await openDuckDb({ memoryLimit: settings.DUCKDB_MEMORY_LIMIT, threads: settings.DUCKDB_THREADS, tempDirectory: duckdbTemp });
  const workers = await createIntegrationWorkers({
    connection,
    namespace: settings.TEMPORAL_NAMESPACE,
    client,
    s3: createS3Client(settings),
    db,
    taskQueue: settings.TASK_QUEUE,
    workDir: settings.WORK_DIR,
    warehouse: { bucket: settings.WAREHOUSE_BUCKET, prefix: settings.WAREHOUSE_PREFIX },
    maxConcurrentChunks: settings.WORKER_MAX_CONCURRENT_CHUNKS,
  });
  console.log(`worker ready: task queue ${settings.TASK_QUEUE}, own queue ${workers.workerTaskQueue}`);
  try {
    await workers.run();
  } finally {
    db.closeSync();
    await rm(duckdbTemp, { recursive: true, force: true });
    await connection.close();
    await clientConnection.close();
  }
}

if (require.main === module) {
  main().catch((err: unknown) => {
    console.error(err instanceof ConfigError ? err.message : err);
    process.exit(1);
  });
}
