import { mkdir, mkdtemp, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { readFile } from 'node:fs/promises';
import {
  CreateBucketCommand,
  GetObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
  S3Client,
} from '@aws-sdk/client-s3';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createS3Client, s3ClientPool, S3ForRegion } from '../../src/s3/s3';
import { fileWorkflowSettings } from '../../src/client';
import { loadSettings } from '../../src/config/settings';
import { openDuckDb, DuckDBInstance, queryObjects, sqlString, withConnection } from '../../src/parquet/duckdb';
import { createIntegrationWorkers, IntegrationWorkers } from '../../src/worker/temporalWorkers';
import { startMoto, Moto } from '../../src/dev/moto';
import { workflowBundle } from './temporal';
import { StatusDocument, StatusEntry } from '../../src/domain/statusEntry';

let moto: Promise<Moto> | undefined;

export function sharedMoto(): Promise<Moto> {
  moto ??= startMoto();
  return moto;
}

export async function stopSharedMoto(): Promise<void> {
  if (!moto) return;
  const m = await moto;
  moto = undefined;
  await m.stop();
}

export function s3For(m: Moto): S3Client {
  process.env.AWS_ACCESS_KEY_ID ??= 'testing';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
  return createS3Client({ AWS_REGION: 'us-east-1', S3_ENDPOINT: m.endpoint, S3_FORCE_PATH_STYLE: true });
}

let bucketSeq = 0;
export async function newBucket(s3: S3Client, stem = 'b'): Promise<string> {
  const name = `${stem}-${process.pid}-${Date.now().toString(36)}-${bucketSeq++}`.toLowerCase();
  await s3.send(new CreateBucketCommand({ Bucket: name }));
  return name;
}

export async function putFile(s3: S3Client, bucket: string, key: string, path: string): Promise<{ etag: string }> {
  const body = await readFile(path);
  const res = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
  return { etag: (res.ETag ?? '').replace(/"/g, '') };
}

export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(res.Contents ?? []).map((o) => o.Key!));
    token = res.NextContinuationToken;
  } while (token);
  return keys.sort();
}

export async function getText(s3: S3Client, bucket: string, key: string): Promise<string> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return res.Body!.transformToString();
}

/** Reads every report under a status prefix. */
export async function readReports(s3: S3Client, bucket: string, statusPrefix: string): Promise<{ key: string; doc: StatusDocument }[]> {
  const keys = (await listKeys(s3, bucket, statusPrefix + '/')).filter((k) => k.endsWith('_report.status'));
  return Promise.all(keys.map(async (key) => ({ key, doc: JSON.parse(await getText(s3, bucket, key)) as StatusDocument })));
}

export async function waitFor<T>(what: string, probe: () => Promise<T | undefined>, timeoutMs = 60_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const v = await probe();
    if (v !== undefined) return v;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

export interface RunningWorker {
  workers: IntegrationWorkers;
  db: DuckDBInstance;
  done: Promise<void>;
  stop(): Promise<void>;
}

const DEFAULTS = loadSettings({});
/** The production defaults of DECOMPRESSED_MAX_BYTES and DECOMPRESSION_MAX_RATIO. */
const DECOMPRESSION_DEFAULTS = { maxBytes: DEFAULTS.DECOMPRESSED_MAX_BYTES, maxRatio: DEFAULTS.DECOMPRESSION_MAX_RATIO };

/** Starts the integration's workers against a test environment and a moto S3. */
export async function startWorker(
  env: TestWorkflowEnvironment,
  s3: S3Client,
  opts: { taskQueue: string; warehouseBucket: string; warehousePrefix?: string; capacityBytes?: number; minFileBytes?: number; s3ForRegion?: S3ForRegion; sweepGraceMs?: number; export?: { settleMs: number; dedupLookbackMs: number; concurrency: number } },
): Promise<RunningWorker> {
  const workDir = await mkdtemp(join(tmpdir(), 'fme-test-'));
  const db = await openDuckDb({ memoryLimit: '512MB', threads: 2, tempDirectory: workDir });
  const workers = await createIntegrationWorkers({
    connection: env.nativeConnection,
    namespace: env.namespace ?? 'default',
    client: env.client,
    s3,
    s3ForRegion: opts.s3ForRegion ?? s3ClientPool({ AWS_REGION: 'us-east-1', S3_ENDPOINT: (await sharedMoto()).endpoint, S3_FORCE_PATH_STYLE: true }, s3),
    fileStart: { ...fileWorkflowSettings(DEFAULTS), taskQueue: opts.taskQueue },
    sweep: { intervalMs: DEFAULTS.SWEEP_INTERVAL, graceMs: opts.sweepGraceMs ?? DEFAULTS.SWEEP_GRACE, lookbackMs: DEFAULTS.SWEEP_LOOKBACK },
    db,
    taskQueue: opts.taskQueue,
    workDir,
    warehouse: { bucket: opts.warehouseBucket, prefix: opts.warehousePrefix ?? 'events' },
    maxConcurrentChunks: 2,
    decompressionLimits: DECOMPRESSION_DEFAULTS,
    admission: { capacityBytes: opts.capacityBytes ?? DEFAULTS.WORKER_CAPACITY, minFileBytes: opts.minFileBytes ?? DEFAULTS.WORKER_MIN_FILE_COST },
    smallFileConcurrency: DEFAULTS.SMALL_FILE_CONCURRENCY,
    export: opts.export,
    workflowBundle: await workflowBundle(),
  });
  const done = workers.run();
  return {
    workers,
    db,
    done,
    async stop() {
      workers.shutdown();
      await done;
      db.closeSync();
    },
  };
}

/** Environment variables that point a worker or CLI process at the test deployment. */
export function deploymentEnv(env: TestWorkflowEnvironment, m: Moto, taskQueue: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return {
    ...process.env,
    TEMPORAL_ADDRESS: env.address,
    TASK_QUEUE: taskQueue,
    S3_ENDPOINT: m.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    // No metrics port unless a test asks for one: worker processes of concurrent runs would collide on the default.
    WORKER_METRICS_ADDRESS: '',
    ...extra,
  };
}

/** Rows per sorted code combination ('' = valid), to compare with `expectedCounts`. */
export function countsByCodes(entries: readonly StatusEntry[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of entries) m.set(e.errors.join(','), (m.get(e.errors.join(',')) ?? 0) + e.numberOfRows);
  return m;
}

/**
 * Downloads objects into a fresh local directory, keeping each key's folders (the warehouse's
 * Hive partitions live in the path, not in the files); returns the local paths in key order.
 */
export async function downloadObjects(s3: S3Client, bucket: string, keys: readonly string[]): Promise<string[]> {
  const out = await mkdtemp(join(tmpdir(), 'fme-download-'));
  return Promise.all(
    keys.map(async (key) => {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const path = join(out, key);
      await mkdir(dirname(path), { recursive: true });
      await writeFile(path, await res.Body!.transformToByteArray());
      return path;
    }),
  );
}

/** The warehouse parts stored under `prefix`. */
export async function storedKeys(s3: S3Client, warehouse: string, prefix = 'events/'): Promise<string[]> {
  return (await listKeys(s3, warehouse, prefix)).filter((k) => k.endsWith('.parquet'));
}

/** Downloads every stored warehouse part under `prefix` and counts its rows with DuckDB. */
export async function storedRows(s3: S3Client, db: DuckDBInstance, warehouse: string, prefix = 'events/'): Promise<number> {
  const paths = await downloadObjects(s3, warehouse, await storedKeys(s3, warehouse, prefix));
  if (paths.length === 0) return 0;
  const [row] = await withConnection(db, (c) => queryObjects(c, `SELECT count(*)::INT AS n FROM read_parquet([${paths.map(sqlString).join(',')}])`));
  return row!.n as number;
}
