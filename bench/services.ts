/**
 * The services the end-to-end figures run against: moto, a Temporal dev server, and the worker as a
 * separate process (`node lib/src/worker.js`), each registered with the bench's Cleanup.
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, WriteStream } from 'node:fs';
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { freePort, Moto, startMoto } from '../src/dev/moto';
import { PROJECT_ROOT, TEMPORAL_CLI } from '../src/dev/venv';
import { createS3Client } from '../src/s3/s3';
import { DEV_SERVER_SEARCH_ATTRIBUTE_FLAGS } from '../src/client';
import { Cleanup, stopChild } from './cleanup';
import { log, sleep } from './format';
import { DEFAULTS, DUCKDB_THREADS, OUT_DIR, STATUS_FLUSH_DELAY_MS } from './params';

/** Everything the end-to-end figures run against; each part is stopped by the Cleanup it was started with. */
export interface Services {
  moto: Moto;
  temporal: TemporalServer;
  /** The worker's own S3 client settings, pointed at moto. */
  s3: S3Client;
  /** The customer's bucket: files are uploaded here. */
  bucket: string;
  /** The warehouse bucket the worker stores validated chunks in. */
  warehouseBucket: string;
  taskQueue: string;
  worker: WorkerProcess;
}

/**
 * Starts moto and a Temporal dev server, creates the customer and warehouse buckets, then starts
 * the worker process on its own task queue. `figure` prefixes the log lines.
 */
export async function startServices(cleanup: Cleanup, figure = '(c)'): Promise<Services> {
  log(`${figure} starting moto and a Temporal dev server`);
  const moto: Moto = await startMoto();
  cleanup.add('moto', () => moto.stop());
  const temporal = await startTemporal(cleanup);
  process.env.AWS_ACCESS_KEY_ID ??= 'testing';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
  const s3 = createBenchS3(moto);
  cleanup.add('s3 client', async () => s3.destroy());
  const bucket = 'bench-customer';
  const warehouse = 'bench-warehouse';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new CreateBucketCommand({ Bucket: warehouse }));
  await rm(join(OUT_DIR, 'worker-work'), { recursive: true, force: true });

  const taskQueue = `bench-${process.pid}`;
  log(`${figure} starting the worker process`);
  const worker = await startWorkerProcess(cleanup, workerEnv(temporal.address, moto.endpoint, warehouse, taskQueue));
  return { moto, temporal, s3, bucket, warehouseBucket: warehouse, taskQueue, worker };
}

export interface TemporalServer {
  address: string;
  client: Client;
  pid: number | undefined;
}

export async function startTemporal(cleanup: Cleanup): Promise<TemporalServer> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error', ...DEV_SERVER_SEARCH_ATTRIBUTE_FLAGS];
  const child = spawn(TEMPORAL_CLI, args, { stdio: ['ignore', 'ignore', 'pipe'] });
  cleanup.track(child);
  cleanup.add('temporal dev server', () => stopChild(child, 10_000));
  const stderr = tailOf(child);
  const connection = await connectWhenReady(address, child, stderr);
  cleanup.add('temporal client connection', () => connection.close());
  return { address, client: new Client({ connection, namespace: 'default' }), pid: child.pid };
}

function tailOf(child: ChildProcess): () => string {
  let tail = '';
  child.stderr?.on('data', (d: Buffer) => (tail = (tail + d.toString()).slice(-4000)));
  return () => tail;
}

async function connectWhenReady(address: string, child: ChildProcess, stderr: () => string): Promise<Connection> {
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`temporal dev server exited: ${stderr()}`);
    try {
      const connection = await Connection.connect({ address, connectTimeout: 2_000 });
      try {
        await connection.workflowService.describeNamespace({ namespace: 'default' });
        return connection;
      } catch (err) {
        await connection.close();
        throw err;
      }
    } catch {
      if (Date.now() > deadline) throw new Error(`temporal dev server not ready on ${address}: ${stderr()}`);
      await sleep(250);
    }
  }
}

export interface WorkerProcess {
  pid: number;
  env: Record<string, string>;
  /** Throws when the worker process has exited: nothing would process the files any more. */
  assertRunning(): void;
  stop(): Promise<void>;
  /** Sends `signal` (SIGKILL for the kill-recovery figure) and resolves once the process has exited. */
  kill(signal: NodeJS.Signals): Promise<void>;
}

export function workerEnv(temporalAddress: string, motoEndpoint: string, warehouseBucket: string, taskQueue: string): Record<string, string> {
  return {
    TEMPORAL_ADDRESS: temporalAddress,
    TEMPORAL_NAMESPACE: 'default',
    TASK_QUEUE: taskQueue,
    S3_ENDPOINT: motoEndpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
    WAREHOUSE_BUCKET: warehouseBucket,
    WAREHOUSE_PREFIX: DEFAULTS.WAREHOUSE_PREFIX,
    WORK_DIR: join(OUT_DIR, 'worker-work'),
    // Read by the worker's settings, but the delay in force is the file workflow's tuning.statusFlushDelayMs.
    STATUS_FLUSH_DELAY: `${STATUS_FLUSH_DELAY_MS}ms`,
    CHUNK_TARGET_ROWS: String(DEFAULTS.CHUNK_TARGET_ROWS),
    DUCKDB_MEMORY_LIMIT: DEFAULTS.DUCKDB_MEMORY_LIMIT,
    DUCKDB_THREADS: String(DUCKDB_THREADS),
    WORKER_MAX_CONCURRENT_CHUNKS: String(DEFAULTS.WORKER_MAX_CONCURRENT_CHUNKS),
  };
}

/**
 * Runs `node lib/src/worker.js` and waits for its "worker ready" line; its output goes to
 * bench/out/<logName> (worker.log unless told otherwise: a second worker process needs its own).
 */
export async function startWorkerProcess(cleanup: Cleanup, env: Record<string, string>, logName = 'worker.log'): Promise<WorkerProcess> {
  const logPath = join(OUT_DIR, logName);
  const logFile = createWriteStream(logPath);
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'lib', 'src', 'worker.js')], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanup.track(child);
  cleanup.add(`worker process (${logName})`, async () => {
    await stopChild(child, 15_000);
    await closeStream(logFile);
  });
  child.stderr?.pipe(logFile, { end: false });
  await waitForReadyLine(child, logFile, logPath);
  const exited = new Promise<void>((r) => {
    if (child.exitCode !== null || child.signalCode !== null) r();
    else child.once('exit', () => r());
  });
  return {
    pid: child.pid!,
    env,
    assertRunning() {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the worker process exited (${child.exitCode ?? child.signalCode}); see ${logPath}`);
      }
    },
    stop: () => stopChild(child, 15_000),
    async kill(signal) {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}

function closeStream(s: WriteStream): Promise<void> {
  return new Promise((r) => s.end(() => r()));
}

function waitForReadyLine(child: ChildProcess, logFile: WriteStream, logPath: string): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`worker not ready after 120 s; see ${logPath}`)), 120_000);
    const done = (err?: Error) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    };
    child.stdout?.on('data', (d: Buffer) => {
      logFile.write(d);
      if (d.toString().includes('worker ready')) done();
    });
    child.once('exit', (code) => done(new Error(`worker exited with ${code} before it was ready; see ${logPath}`)));
  });
}

/** The worker's own S3 client settings (src/s3/s3.ts), pointed at moto. */
export function createBenchS3(moto: Moto): S3Client {
  return createS3Client({ AWS_REGION: 'us-east-1', S3_ENDPOINT: moto.endpoint, S3_FORCE_PATH_STYLE: true });
}
