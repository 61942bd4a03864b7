/**
 * The main job on embedded local defaults: a Temporal dev server (SQLite, Web UI), moto as
 * S3, and the worker; then the inbound path on a generated sample file, until Ctrl-C.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { loadSettings } from '../config/settings';
import { isS3Error } from '../s3/s3';
import { sqlString, withConnection } from '../parquet/duckdb';
import { createWorkerProcess } from '../worker/workerProcess';
import { installWorkerRuntime } from '../worker/runtimeLogger';
import { fileWorkflowSettings, startFileWorkflow } from '../client';
import { objectVersionOf } from '../domain/keys';
import { startMoto } from './moto';
import { startTemporalDevServer } from './temporalDevServer';
import { PROJECT_ROOT } from './venv';
import { eventsSql, GOOD_ENVIRONMENTS } from './sampleEvents';
import { progressQuery } from '../messages';

const DEMO_BUCKET = 'fme-demo-customer';
const STATUS_PREFIX = 'status';
const SAMPLE_ROWS = 250_000;

async function ensureBucket(s3: S3Client, bucket: string): Promise<void> {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  } catch (err) {
    if (!isS3Error(err, 'BucketAlreadyOwnedByYou', 'BucketAlreadyExists')) throw err;
  }
}

/** Stops the worker, then the dev server and moto; set once they run. */
let stopAll: (() => Promise<void>) | undefined;
let stopping = false;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    // Still starting, or a second signal: exit now; the 'exit' hooks kill the dev server and moto.
    if (!stopAll || stopping) process.exit(130);
    stopping = true;
    console.log(`\n${signal}: stopping the worker, the Temporal dev server and moto ...`);
    void stopAll().then(() => process.exit(0));
  });
}

async function main(): Promise<void> {
  installWorkerRuntime('WARN');
  const workDir = process.env.DEMO_DIR ?? join(PROJECT_ROOT, '.work');
  // moto keeps its objects in memory, so workflows from an earlier run would find their files
  // gone: every run starts from a clean Temporal database too.
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  const temporalPort = Number(process.env.TEMPORAL_PORT ?? 7233);
  const uiPort = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
  const motoPort = Number(process.env.MOTO_PORT ?? 5000);

  console.log('starting the Temporal dev server and moto ...');
  const [temporal, moto] = await Promise.all([
    startTemporalDevServer({ port: temporalPort, uiPort, dbFile: join(workDir, 'temporal.sqlite') }),
    startMoto({ port: motoPort }),
  ]);
  // What the CLI needs to reach this demo; printed at the end for the user to paste.
  const demoEnv: Record<string, string> = {
    TEMPORAL_ADDRESS: temporal.address,
    TEMPORAL_NAMESPACE: process.env.TEMPORAL_NAMESPACE ?? 'default',
    TASK_QUEUE: process.env.TASK_QUEUE ?? 'fme-s3-integration',
    S3_ENDPOINT: moto.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_REGION: process.env.AWS_REGION ?? 'us-east-1',
    AWS_ACCESS_KEY_ID: process.env.AWS_ACCESS_KEY_ID ?? 'testing',
    AWS_SECRET_ACCESS_KEY: process.env.AWS_SECRET_ACCESS_KEY ?? 'testing',
  };
  Object.assign(process.env, demoEnv);
  const settings = loadSettings({ ...process.env, WORK_DIR: join(workDir, 'worker') });
  const worker = await createWorkerProcess(settings);
  const { client, s3, db } = worker;
  await ensureBucket(s3, DEMO_BUCKET);
  await ensureBucket(s3, settings.WAREHOUSE_BUCKET);
  const running = worker.run();
  let stopped: Promise<void> | undefined;
  stopAll = () =>
    (stopped ??= (async () => {
      worker.shutdown();
      await running;
      await Promise.all([temporal.stop(), moto.stop()]);
    })());

  const samplePath = join(workDir, 'sample-events.parquet');
  await withConnection(db, (c) => c.run(`COPY (${eventsSql(SAMPLE_ROWS)}) TO ${sqlString(samplePath)} (FORMAT parquet, COMPRESSION snappy)`));
  const key = `events/sample-${new Date().toISOString().replace(/[:.]/g, '-')}.snappy.parquet`;
  await s3.send(new PutObjectCommand({ Bucket: DEMO_BUCKET, Key: key, Body: await readFile(samplePath) }));
  const head = await s3.send(new HeadObjectCommand({ Bucket: DEMO_BUCKET, Key: key }));
  const object = objectVersionOf(DEMO_BUCKET, key, head.VersionId, head.ETag);
  const { workflowId, handle } = await startFileWorkflow(client, {
    object,
    originalCreationTime: (head.LastModified ?? new Date()).getTime(),
    objectBytes: head.ContentLength ?? 0,
    integration: { integrationId: 'demo', environments: GOOD_ENVIRONMENTS, statusPrefix: STATUS_PREFIX },
    ...fileWorkflowSettings(settings),
  });
  console.log(`uploaded s3://${DEMO_BUCKET}/${key} (${SAMPLE_ROWS} rows, ~2.8% invalid on purpose); file workflow ${workflowId}`);

  const reportKeys = await waitForReports(s3);
  const progress = await handle.query(progressQuery);
  const exports = Object.entries(demoEnv).map(([k, v]) => `${k}=${v}`).join(' ');
  console.log(`
  report(s):  ${reportKeys.map((k) => `s3://${DEMO_BUCKET}/${k}`).join('\n              ')}
  rows:       ${progress.rowsValid} valid, ${progress.rowsInvalid} invalid, in ${progress.chunksTotal} chunk(s)
  stored in:  s3://${settings.WAREHOUSE_BUCKET}/${settings.WAREHOUSE_PREFIX}/ (Hive-partitioned by environmentId and event_date)
  Web UI:     ${temporal.uiUrl}/namespaces/${settings.TEMPORAL_NAMESPACE}/workflows
  S3 (moto):  ${moto.endpoint}  (path-style; credentials below)

To use the CLI against this demo, paste this environment into another shell in this directory:
  export ${exports}
then, for example:
  npm run -s cli -- progress  --bucket ${DEMO_BUCKET} --key ${key}
  npm run -s cli -- reprocess --bucket ${DEMO_BUCKET} --key ${key} --reason "try it"
  npm run -s cli -- validate ${samplePath} --environments ${GOOD_ENVIRONMENTS.join(',')}   (the sample, offline; needs no environment)
Running until Ctrl-C (or SIGTERM).`);

  await running;
  await stopAll();
}

async function waitForReports(s3: S3Client): Promise<string[]> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    const res = await s3.send(new ListObjectsV2Command({ Bucket: DEMO_BUCKET, Prefix: `${STATUS_PREFIX}/` }));
    const keys = (res.Contents ?? []).map((o) => o.Key!).filter((k) => k.endsWith('_report.status'));
    if (keys.length > 0) return keys;
    if (Date.now() > deadline) throw new Error('no report within 120 s');
    await new Promise((r) => setTimeout(r, 500));
  }
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
