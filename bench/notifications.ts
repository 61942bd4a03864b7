/**
 * Figures of the notification path (issue 13):
 *   (f) the endpoint's latency, p50/p99, at 100 and 200 signed notifications/s for 30 s each:
 *       certificate cached, workflow starts only (no worker polls the task queue), the dev server
 *       in memory; beside bare starts (startFileWorkflow from this process) at the same rate
 *   (g) seconds from the moment before the PutObject (moto delivers to SNS inside it) to the
 *       moment reports covering every row can be listed, through moto's S3 -> SNS -> endpoint ->
 *       worker, with default settings
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createServer, Server } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { readFile } from 'node:fs/promises';
import { CreateBucketCommand, PutBucketNotificationConfigurationCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import type { Client } from '@temporalio/client';
import { fileWorkflowSettings, startFileWorkflow } from '../src/client';
import { createIntegration, updateIntegration } from '../src/integrationClient';
import { IntegrationStore } from '../src/activities/integrations/integrationStore';
import { notificationEndpointUrl } from '../src/domain/integration/endpointUrl';
import { objectVersionOf } from '../src/domain/keys';
import { rowsIn, StatusEntry } from '../src/domain/statusEntry';
import { freePort, startMoto } from '../src/dev/moto';
import { PROJECT_ROOT } from '../src/dev/venv';
import { s3CreatedEvent, SnsSigner } from '../src/dev/snsSigner';
import { Cleanup, stopChild } from './cleanup';
import type { EventFile } from './eventFile';
import { listReportKeys, readReport } from './endToEnd';
import { fmtSec, log, sleep } from './format';
import { DEFAULTS, ENVIRONMENTS, REPORT_POLL_MS, RUNS } from './params';
import { createBenchS3, startServices, startTemporal, workerEnv } from './services';

export interface LatencyStats {
  requests: number;
  errors: number;
  achievedPerSec: number;
  p50Ms: number;
  p99Ms: number;
  maxMs: number;
}

export interface NotificationResults {
  latency: { perSec: number; seconds: number; endpoint: LatencyStats; bareStarts: LatencyStats }[];
  s3ToReport: { rows: number; runsSeconds: number[]; medianSeconds: number };
}

export const LATENCY_RATES = [100, 200];
export const LATENCY_SECONDS = 30;

const percentile = (sorted: number[], p: number) => sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

/** Fires `fire(i)` at a fixed rate whatever the answers (an open loop, as SNS delivers), and times each call. */
async function openLoop(perSec: number, seconds: number, fire: (i: number) => Promise<void>): Promise<LatencyStats> {
  const n = perSec * seconds;
  const interval = 1000 / perSec;
  const latencies: number[] = [];
  let errors = 0;
  const inflight: Promise<void>[] = [];
  const t0 = performance.now() + 50;
  for (let i = 0; i < n; i++) {
    const wait = t0 + i * interval - performance.now();
    if (wait > 1) await sleep(wait);
    const start = performance.now();
    inflight.push(fire(i).then(() => void latencies.push(performance.now() - start), () => void errors++));
  }
  const sent = performance.now() - t0;
  await Promise.all(inflight);
  latencies.sort((a, b) => a - b);
  const round = (x: number) => Math.round(x * 10) / 10;
  return { requests: n, errors, achievedPerSec: Math.round(n / (sent / 1000)), p50Ms: round(percentile(latencies, 50)), p99Ms: round(percentile(latencies, 99)), maxMs: round(latencies.at(-1) ?? NaN) };
}

/** Serves the signer's public key as SNS's certificate (the endpoint fetches it once, then caches it). */
async function certificateServer(cleanup: Cleanup, signer: SnsSigner): Promise<string> {
  const port = await freePort();
  const server: Server = createServer((_req, res) => res.end(signer.publicKeyPem));
  await new Promise<void>((r) => server.listen(port, '127.0.0.1', () => r()));
  cleanup.add('certificate server', () => new Promise<void>((r) => server.close(() => r())));
  return `http://127.0.0.1:${port}`;
}

/** `node lib/src/endpoint/main.js` as its own process, as deployed; resolves with its port once it listens. */
async function startEndpointChild(cleanup: Cleanup, env: Record<string, string>): Promise<number> {
  const port = await freePort();
  const child: ChildProcess = spawn(process.execPath, [join(PROJECT_ROOT, 'lib', 'src', 'endpoint', 'main.js')], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env, HTTP_HOST: '127.0.0.1', HTTP_PORT: String(port), LOG_LEVEL: 'WARN' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  cleanup.track(child);
  cleanup.add('endpoint process', () => stopChild(child, 10_000));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('the endpoint did not start in 30 s')), 30_000);
    child.stdout?.on('data', (d: Buffer) => {
      if (d.toString().includes('notification endpoint listening')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once('exit', (code) => reject(new Error(`the endpoint exited with ${code}`)));
  });
  return port;
}

/** (f): the endpoint against bare starts, on a dev server of its own with no worker. */
export async function benchEndpointLatency(cleanup: Cleanup): Promise<NotificationResults['latency']> {
  log('(f) starting moto, an in-memory dev server (no worker) and the endpoint process');
  process.env.AWS_ACCESS_KEY_ID ??= 'testing';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
  const moto = await startMoto();
  cleanup.add('moto (f)', () => moto.stop());
  const temporal = await startTemporal(cleanup);
  const s3 = createBenchS3(moto);
  const bucket = 'bench-notify';
  const warehouse = 'bench-notify-warehouse';
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  await s3.send(new CreateBucketCommand({ Bucket: warehouse }));
  const integrationId = 'bench-notify';
  const topicArn = 'arn:aws:sns:us-east-1:123456789012:bench-notify';
  const now = Date.now();
  // The record an entity would publish: the endpoint reads nothing else.
  await new IntegrationStore(s3, warehouse).publish({
    version: 1,
    change: 'created',
    at: new Date(now).toISOString(),
    state: { version: 1, id: integrationId, kind: 'inbound', configVersion: 1, createdAt: now, updatedAt: now, inbound: { environments: ENVIRONMENTS, bucket, region: 'us-east-1', prefix: 'in', suffixes: ['.parquet'], topicArn, statusPrefix: 'status' } },
  });
  const signer = new SnsSigner();
  const taskQueue = 'bench-notify-no-worker';
  const env = { ...workerEnv(temporal.address, moto.endpoint, warehouse, taskQueue), SNS_CERTIFICATE_ENDPOINT: await certificateServer(cleanup, signer) };
  const port = await startEndpointChild(cleanup, env);
  const url = notificationEndpointUrl(`http://127.0.0.1:${port}`, integrationId);
  const post = async (body: string) => {
    const res = await fetch(url, { method: 'POST', body, headers: { 'content-type': 'text/plain; charset=UTF-8' } });
    await res.arrayBuffer();
    if (res.status !== 200) throw new Error(`answered ${res.status}`);
  };
  const messagesFor = (label: string, n: number) =>
    Array.from({ length: n }, (_, i) => JSON.stringify(signer.notification(topicArn, s3CreatedEvent(bucket, `in/${label}-${i}.parquet`, 1000, `etag${label}${i}`))));
  for (const body of messagesFor('warm-up', 20)) await post(body);

  const startSettings = { ...fileWorkflowSettings(DEFAULTS), taskQueue };
  const results: NotificationResults['latency'] = [];
  for (const perSec of LATENCY_RATES) {
    const messages = messagesFor(`r${perSec}`, perSec * LATENCY_SECONDS); // signed before the clock runs
    log(`(f) ${perSec} signed notifications/s for ${LATENCY_SECONDS} s through the endpoint`);
    const endpoint = await openLoop(perSec, LATENCY_SECONDS, (i) => post(messages[i]!));
    log(`(f) ${perSec} bare starts/s for ${LATENCY_SECONDS} s`);
    const bareStarts = await openLoop(perSec, LATENCY_SECONDS, async (i) => {
      await startFileWorkflow(temporal.client, {
        object: objectVersionOf(bucket, `bare/r${perSec}-${i}.parquet`, undefined, `bare${perSec}${i}`),
        originalCreationTime: Date.now(),
        objectBytes: 1000,
        integration: { integrationId },
        ...startSettings,
      });
    });
    results.push({ perSec, seconds: LATENCY_SECONDS, endpoint, bareStarts });
  }
  return results;
}

/** Polls a status prefix until reports cover `rows` rows of `key`; returns performance.now() of that listing. */
async function coveredAt(s3: S3Client, bucket: string, statusPrefix: string, key: string, rows: number, timeoutMs: number): Promise<number> {
  const seen = new Map<string, StatusEntry[]>();
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    const keys = await listReportKeys(s3, bucket, `${statusPrefix}/`);
    const listedAt = performance.now();
    for (const k of keys.filter((x) => !seen.has(x))) seen.set(k, (await readReport(s3, bucket, k))[key] ?? []);
    if (rowsIn([...seen.values()].flat()) >= rows) return listedAt;
    if (performance.now() > deadline) throw new Error(`(g) no report covering ${key} after ${timeoutMs / 1000} s`);
    await sleep(REPORT_POLL_MS);
  }
}

/** (g): upload to report through moto's S3 -> SNS -> the endpoint process -> the worker process, default settings. */
export async function benchS3ToReport(cleanup: Cleanup, file: EventFile): Promise<NotificationResults['s3ToReport']> {
  const services = await startServices(cleanup, '(g)');
  const { moto, temporal, s3, bucket, warehouseBucket, taskQueue } = services;
  const sns = new SNSClient({ region: 'us-east-1', endpoint: moto.endpoint, credentials: { accessKeyId: 'testing', secretAccessKey: 'testing' } });
  const topicArn = (await sns.send(new CreateTopicCommand({ Name: 'bench-events' }))).TopicArn!;
  const port = await startEndpointChild(cleanup, { ...workerEnv(temporal.address, moto.endpoint, warehouseBucket, taskQueue), SNS_CERTIFICATE_ENDPOINT: moto.endpoint });
  const integrationId = 'bench-sns';
  const client: Client = temporal.client;
  await createIntegration(client, taskQueue, integrationId, { environments: ENVIRONMENTS, bucket, region: 'us-east-1', prefix: 'sns', suffixes: ['.parquet'], topicArn, statusPrefix: 'status-sns' });
  await s3.send(new PutBucketNotificationConfigurationCommand({
    Bucket: bucket,
    NotificationConfiguration: { TopicConfigurations: [{ TopicArn: topicArn, Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: '.parquet' }] } } }] },
  }));
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: 'http', Endpoint: notificationEndpointUrl(`http://127.0.0.1:${port}`, integrationId) }));
  const body = await readFile(file.path);
  const runsSeconds: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    // A new configuration version each run: the same bytes are not a duplicate of the last run's.
    if (run > 0) await updateIntegration(client, integrationId, { environments: ENVIRONMENTS });
    const key = `sns/run-${run}.snappy.parquet`;
    const started = performance.now();
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    const listedAt = await coveredAt(s3, bucket, 'status-sns', key, file.rows, 120_000);
    runsSeconds.push((listedAt - started) / 1000);
    log(`(g) run ${run + 1}: ${file.rows} rows reported ${fmtSec(listedAt - started)} after the upload began`);
    services.worker.assertRunning();
  }
  const sorted = [...runsSeconds].sort((a, b) => a - b);
  return { rows: file.rows, runsSeconds: runsSeconds.map((s) => Math.round(s * 1000) / 1000), medianSeconds: Math.round(sorted[Math.floor(sorted.length / 2)]! * 1000) / 1000 };
}
