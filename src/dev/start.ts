/**
 * The main job on embedded local defaults, following the seed: a Temporal dev server (SQLite,
 * Web UI) and moto (S3 and SNS), the worker and the notification endpoint; then the customer's
 * set-up steps against moto, a demo integration from the CLI and a sample upload whose report
 * arrives through S3 -> SNS -> endpoint, with no workflow started by hand. Then the impression
 * intake: an SDK key from the CLI and a batch posted in the SDKs' format. Runs until Ctrl-C.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createServer } from 'node:net';
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { loadSettings } from '../config/settings';
import { isS3Error } from '../s3/s3';
import { createWorkerProcess } from '../worker/workerProcess';
import { installWorkerRuntime } from '../worker/runtimeLogger';
import { startEndpointProcess } from '../endpoint/endpointProcess';
import { startIntakeProcess } from '../intake/intakeProcess';
import { curlExample, postDemoImpressions } from './demoImpressions';
import { createDemoExport, exportOf, OUTBOUND_ID } from './demoExport';
import type { EndpointLog } from '../endpoint/notificationHandler';
import type { IntegrationSetup } from '../cli/integration/integrationOutput';
import { runCli } from '../cli/main';
import { startMoto } from './moto';
import { startTemporalDevServer } from './temporalDevServer';
import { PROJECT_ROOT } from './venv';
import { GOOD_ENVIRONMENTS } from './sampleEvents';
import { DEMO_BUCKET, DEMO_PREFIX, DemoInfo, INTEGRATION_ID, STATUS_PREFIX, uploadSample, waitForReport } from './demo';
import { addTopicStatement, createTopic, notifyTopic, putBucketPolicy, subscribe } from './seedSetup';

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
    console.log(`\n${signal}: stopping the worker, the endpoint, the intake, the Temporal dev server and moto ...`);
    void stopAll().then(() => process.exit(0));
  });
}

async function main(): Promise<void> {
  // Worker metrics only when asked for: a fixed default port could clash with a worker already running here.
  installWorkerRuntime('WARN', process.env.WORKER_METRICS_ADDRESS || undefined);
  const workDir = process.env.DEMO_DIR ?? join(PROJECT_ROOT, '.work');
  // moto keeps its objects in memory, so workflows from an earlier run would find their files
  // gone: every run starts from a clean Temporal database too.
  await rm(workDir, { recursive: true, force: true });
  await mkdir(workDir, { recursive: true });
  const temporalPort = Number(process.env.TEMPORAL_PORT ?? 7233);
  const uiPort = Number(process.env.TEMPORAL_UI_PORT ?? 8233);
  const motoPort = Number(process.env.MOTO_PORT ?? 5000);
  const endpointPort = Number(process.env.HTTP_PORT ?? 8080);
  const intakePort = Number(process.env.INTAKE_PORT ?? 8090);
  await requireFreePorts({ TEMPORAL_PORT: temporalPort, TEMPORAL_UI_PORT: uiPort, MOTO_PORT: motoPort, HTTP_PORT: endpointPort, INTAKE_PORT: intakePort });

  console.log('starting the Temporal dev server and moto (S3 and SNS) ...');
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
    PUBLIC_BASE_URL: `http://127.0.0.1:${endpointPort}`,
    INTAKE_PUBLIC_URL: `http://127.0.0.1:${intakePort}`,
  };
  Object.assign(process.env, demoEnv);
  const settings = loadSettings({
    ...process.env,
    WORK_DIR: join(workDir, 'worker'),
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: String(endpointPort),
    INTAKE_PORT: String(intakePort),
    // moto signs SNS messages with certificates it serves itself, at SNS's path.
    SNS_CERTIFICATE_ENDPOINT: moto.endpoint,
    // moto delivers each notification once, without retries: a short sweep finds a lost one within a minute.
    SWEEP_INTERVAL: process.env.SWEEP_INTERVAL ?? '30s',
    SWEEP_GRACE: process.env.SWEEP_GRACE ?? '10s',
    // The demo's export runs 10 s after each minute-long window, so the first files appear within about a minute.
    EXPORT_SETTLE_DELAY: process.env.EXPORT_SETTLE_DELAY ?? '10s',
  });
  const worker = await createWorkerProcess(settings);
  const { client, s3 } = worker;
  await ensureBucket(s3, settings.WAREHOUSE_BUCKET);
  const running = worker.run();
  const endpoint = await startEndpointProcess(settings, { client, log: quietLog });
  // In this one demo process for simplicity; in production the intake is a process of its own (npm run intake).
  const intake = await startIntakeProcess({ ...settings, WORK_DIR: join(workDir, 'intake') }, { log: quietLog });
  let stopped: Promise<void> | undefined;
  stopAll = () =>
    (stopped ??= (async () => {
      await rm(join(workDir, 'demo.json'), { force: true });
      await Promise.all([endpoint.close(), intake.close()]);
      worker.shutdown();
      await running;
      await Promise.all([temporal.stop(), moto.stop()]);
    })());

  // The seed's inbound set-up, as the customer does it, against moto.
  const sns = new SNSClient({ region: demoEnv.AWS_REGION, endpoint: moto.endpoint, credentials: { accessKeyId: demoEnv.AWS_ACCESS_KEY_ID!, secretAccessKey: demoEnv.AWS_SECRET_ACCESS_KEY! } });
  console.log(`seed: "Create Amazon S3 bucket" ${DEMO_BUCKET}; "Create an SNS topic" fme-events`);
  await ensureBucket(s3, DEMO_BUCKET);
  const topicArn = await createTopic(sns, 'fme-events');
  console.log(`seed: "Configure integration in Harness FME (inbound)": npm run -s cli -- integration create --id ${INTEGRATION_ID} ...`);
  const setup = await createIntegrationWithCli(topicArn);
  console.log('seed: SNS access policy statement added; S3 event notifications for *.parquet under events/; bucket policy; subscription of the endpoint URL');
  await addTopicStatement(sns, topicArn, setup.policies.snsTopicStatement);
  await notifyTopic(s3, DEMO_BUCKET, topicArn, DEMO_PREFIX, ['.parquet']);
  await putBucketPolicy(s3, DEMO_BUCKET, setup.policies.bucketPolicy);
  await subscribe(sns, topicArn, setup.endpointUrl);
  await writeFile(join(workDir, 'demo.json'), JSON.stringify({ env: demoEnv, bucket: DEMO_BUCKET, prefix: DEMO_PREFIX, statusPrefix: STATUS_PREFIX, integrationId: INTEGRATION_ID } satisfies DemoInfo, null, 2));

  // The sample upload: S3 notifies the topic, SNS posts to the endpoint, which starts the file workflow.
  const sample = await uploadSample(worker.db, s3, workDir, SAMPLE_ROWS);
  console.log(`uploaded s3://${DEMO_BUCKET}/${sample.key} (${SAMPLE_ROWS} rows, some invalid on purpose); S3 -> SNS -> ${setup.endpointUrl}`);
  const report = await waitForReport(s3, DEMO_BUCKET, STATUS_PREFIX, sample.key);

  // The outbound half's intake: an SDK key, and impressions posted in the SDKs' format.
  const intakeUrl = `http://127.0.0.1:${intakePort}`;
  // The outbound integration first: its schedule exports each minute's impressions to the demo bucket.
  const { scheduleId } = await createDemoExport(DEMO_BUCKET, GOOD_ENVIRONMENTS[0]!);
  const impressions = await postDemoImpressions(intakeUrl, GOOD_ENVIRONMENTS[0]!);
  const demoExport = { scheduleId, ...exportOf(impressions.receivedAt, settings.EXPORT_SETTLE_DELAY) };
  const exports = Object.entries(demoEnv).map(([k, v]) => `${k}=${v}`).join(' ');
  console.log(`
  report:     s3://${DEMO_BUCKET}/${report.reportKey}
  rows:       ${report.valid} valid, ${report.invalid} invalid (no workflow was started by hand: S3 -> SNS -> endpoint)
  stored in:  s3://${settings.WAREHOUSE_BUCKET}/${settings.WAREHOUSE_PREFIX}/ (Hive-partitioned by environmentId and event_date)
  Web UI:     ${temporal.uiUrl}/namespaces/${settings.TEMPORAL_NAMESPACE}/workflows?query=${encodeURIComponent(`FmeIntegrationId="${INTEGRATION_ID}"`)}
  endpoint:   ${setup.endpointUrl}
  S3/SNS:     ${moto.endpoint} (moto; path-style; credentials below)
  intake:     ${intakeUrl}/api (the SDKs' events URL); demo SDK key ${impressions.sdkKey}
  impressions: ${impressions.stored} posted as the Node SDK does, stored in s3://${settings.WAREHOUSE_BUCKET}/${impressions.batch}
  export:     outbound integration ${OUTBOUND_ID}, schedule ${demoExport.scheduleId} (every minute); these impressions' window appears in
              s3://${DEMO_BUCKET}/${demoExport.folder} at about ${new Date(demoExport.expectedAt).toISOString()} (part, _manifest.json, _SUCCESS)

Post an impression as an SDK does (stored before the answer, exported with its minute's window; each run of the line is a new impression):
  ${curlExample(intakeUrl, impressions.sdkKey)}

Upload another file (its report appears with no further action):
  ${process.env.DEMO_DIR ? `DEMO_DIR=${process.env.DEMO_DIR} ` : ''}npm run -s demo:upload

To use the CLI against this demo, paste this environment into another shell in this directory:
  export ${exports}
then, for example:
  npm run -s cli -- integration show --id ${INTEGRATION_ID}
  npm run -s cli -- intake key list
  npm run -s cli -- export status --integration ${OUTBOUND_ID}
  npm run -s cli -- progress  --bucket ${DEMO_BUCKET} --key ${sample.key}
  npm run -s cli -- reprocess --bucket ${DEMO_BUCKET} --key ${sample.key} --reason "try it"
  npm run -s cli -- validate ${sample.path} --environments ${GOOD_ENVIRONMENTS.join(',')}   (the sample, offline; needs no environment)
Running until Ctrl-C (or SIGTERM).`);

  await running;
  await stopAll();
}

/** Each port the demo listens on must be free: a server already there would be taken for ours. */
async function requireFreePorts(ports: Record<string, number>): Promise<void> {
  for (const [name, port] of Object.entries(ports)) {
    const free = await new Promise<boolean>((resolve) => {
      const srv = createServer();
      srv.once('error', () => resolve(false));
      srv.listen(port, '127.0.0.1', () => srv.close(() => resolve(true)));
    });
    if (!free) throw new Error(`port ${port} is in use: stop what listens there, or set ${name} to a free port`);
  }
}

/** `integration create` through the CLI itself, as the seed's user would; its JSON has the policies to paste. */
async function createIntegrationWithCli(topicArn: string): Promise<IntegrationSetup> {
  let out = '';
  let err = '';
  const code = await runCli(
    ['integration', 'create', '--id', INTEGRATION_ID, '--bucket', DEMO_BUCKET, '--topic-arn', topicArn, '--status-prefix', STATUS_PREFIX, '--environments', GOOD_ENVIRONMENTS.join(','), '--prefix', DEMO_PREFIX, '--suffixes', '.parquet', '--json'],
    { out: (t) => void (out += t), err: (t) => void (err += t) },
  );
  if (code !== 0) throw new Error(`integration create failed (${code}): ${err}`);
  return JSON.parse(out) as IntegrationSetup;
}

/** The demo's services log only warnings: the console is for what the user should read. */
const quietLog: EndpointLog = { debug: () => undefined, info: () => undefined, warn: (msg, fields) => console.error(`endpoint: ${msg} ${JSON.stringify(fields ?? {})}`) };

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
