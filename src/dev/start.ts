/**
 * The main job on embedded local defaults: a Temporal dev server (SQLite, Web UI), moto as
 * S3, and the worker; then the inbound path on a generated sample file, until Ctrl-C.
 */
import { mkdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { CreateBucketCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { loadSettings } from '../config/settings';
import { isS3Error } from '../s3/s3';
import { sqlString, withConnection } from '../parquet/duckdb';
import { createWorkerProcess } from '../worker/workerProcess';
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

let shutdown: (() => void) | undefined;
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.on(signal, () => {
    if (shutdown) shutdown();
    else process.exit(130); // still starting: the 'exit' hooks stop the dev server and moto
  });
}

async function main(): Promise<void> {
  Runtime.install({ logger: new DefaultLogger('WARN') });
  const workDir = join(PROJECT_ROOT, '.work');
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
  process.env.AWS_ACCESS_KEY_ID ??= 'testing';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
  const settings = loadSettings({
    ...process.env,
    TEMPORAL_ADDRESS: temporal.address,
    S3_ENDPOINT: moto.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    WORK_DIR: join(workDir, 'worker'),
  });
  const worker = await createWorkerProcess(settings);
  const { client, s3, db } = worker;
  await ensureBucket(s3, DEMO_BUCKET);
  await ensureBucket(s3, settings.WAREHOUSE_BUCKET);
  const running = worker.run();
  shutdown = () => worker.shutdown();

  const samplePath = join(workDir, 'sample-events.parquet');
  await withConnection(db, (c) => c.run(`COPY (${eventsSql(SAMPLE_ROWS)}) TO ${sqlString(samplePath)} (FORMAT parquet, COMPRESSION snappy)`));
  const key = `events/sample-${new Date().toISOString().replace(/[:.]/g, '-')}.snappy.parquet`;
  await s3.send(new PutObjectCommand({ Bucket: DEMO_BUCKET, Key: key, Body: await readFile(samplePath) }));
  const head = await s3.send(new HeadObjectCommand({ Bucket: DEMO_BUCKET, Key: key }));
  const object = objectVersionOf(DEMO_BUCKET, key, head.VersionId, head.ETag);
  const { workflowId, handle } = await startFileWorkflow(client, {
    object,
    originalCreationTime: (head.LastModified ?? new Date()).getTime(),
    integration: { integrationId: 'demo', environments: GOOD_ENVIRONMENTS, statusPrefix: STATUS_PREFIX },
    ...fileWorkflowSettings(settings),
  });
  console.log(`uploaded s3://${DEMO_BUCKET}/${key} (${SAMPLE_ROWS} rows, ~2.8% invalid on purpose); file workflow ${workflowId}`);

  const reportKeys = await waitForReports(s3);
  const progress = await handle.query(progressQuery);
  console.log(`
  report(s):  ${reportKeys.map((k) => `s3://${DEMO_BUCKET}/${k}`).join('\n              ')}
  rows:       ${progress.rowsValid} valid, ${progress.rowsInvalid} invalid, in ${progress.chunksTotal} chunk(s)
  stored in:  s3://${settings.WAREHOUSE_BUCKET}/${settings.WAREHOUSE_PREFIX}/ (Hive-partitioned by environmentId and event_date)
  Web UI:     ${temporal.uiUrl}/namespaces/${settings.TEMPORAL_NAMESPACE}/workflows
  S3 (moto):  ${moto.endpoint}  (any access key; path-style), e.g.
              AWS_ACCESS_KEY_ID=x AWS_SECRET_ACCESS_KEY=x aws --endpoint-url ${moto.endpoint} s3 cp s3://${DEMO_BUCKET}/${reportKeys[0]} -
  Validate a file offline:  npm run -s cli -- validate <file.parquet> --environments ${GOOD_ENVIRONMENTS.join(',')}
Running until Ctrl-C.`);

  await running;
  await Promise.all([temporal.stop(), moto.stop()]);
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
