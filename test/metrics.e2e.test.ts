import assert from 'node:assert/strict';
import { ChildProcess, spawn } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadSettings } from '../src/config/settings';
import { rowsIn, StatusEntry } from '../src/domain/statusEntry';
import { s3CreatedEvent, SnsSigner } from '../src/dev/snsSigner';
import type { Moto } from '../src/dev/moto';
import { EndpointProcess, startEndpointProcess } from '../src/endpoint/endpointProcess';
import { MetricsRegistry, PROMETHEUS_CONTENT_TYPE } from '../src/http/prometheus';
import { DuckDBInstance, openDuckDb } from '../src/parquet/duckdb';
import { runCli } from './support/cli';
import { eventsSql, writeParquet } from './support/eventFiles';
import { deploymentEnv, newBucket, readReports, s3For, sharedMoto, waitFor } from './support/harness';
import { PROJECT_ROOT } from './support/paths';
import { localTemporal } from './support/temporal';

interface Sample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

interface Scrape {
  samples: Sample[];
  /** `# TYPE` by metric family. */
  types: Map<string, string>;
  help: Map<string, string>;
}

/** Parses Prometheus's text exposition format (what both endpoints serve). */
function parseExposition(text: string): Scrape {
  const samples: Sample[] = [];
  const types = new Map<string, string>();
  const help = new Map<string, string>();
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^# (HELP|TYPE) (\S+) (.*)$/.exec(line);
    if (meta) {
      (meta[1] === 'TYPE' ? types : help).set(meta[2]!, meta[3]!);
      continue;
    }
    if (line.startsWith('#')) continue;
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})?\s+(\S+)(?:\s+\d+)?$/.exec(line);
    assert.ok(m, `a sample line: ${line}`);
    const labels: Record<string, string> = {};
    for (const [, k, v] of m[2]?.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g) ?? []) {
      labels[k!] = v!.replace(/\\n/g, '\n').replace(/\\"/g, '"').replace(/\\\\/g, '\\');
    }
    const raw = m[3]!;
    samples.push({ name: m[1]!, labels, value: raw === '+Inf' ? Infinity : raw === '-Inf' ? -Infinity : Number(raw) });
  }
  return { samples, types, help };
}

/** The sum over the samples of `name` whose labels include `where` (0 when none). */
function total(s: Scrape, name: string, where: Record<string, string> = {}): number {
  return s.samples.filter((x) => x.name === name && Object.entries(where).every(([k, v]) => x.labels[k] === v)).reduce((n, x) => n + x.value, 0);
}

function has(s: Scrape, name: string, where: Record<string, string> = {}): boolean {
  return s.samples.some((x) => x.name === name && Object.entries(where).every(([k, v]) => x.labels[k] === v));
}

async function scrape(url: string): Promise<{ contentType: string; scrape: Scrape }> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `GET ${url}`);
  return { contentType: res.headers.get('content-type') ?? '', scrape: parseExposition(await res.text()) };
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as { port: number };
      srv.close(() => resolve(port));
    });
  });
}

/** Rows per fme_rows_total code, from reported entries: `valid`, or each error code of an invalid row. */
function rowsByCode(entries: readonly StatusEntry[]): Map<string, number> {
  const m = new Map<string, number>();
  for (const e of entries) for (const code of e.valid ? ['valid'] : e.errors) m.set(code, (m.get(code) ?? 0) + e.numberOfRows);
  return m;
}

describe('the endpoint\'s metrics registry renders the text exposition format', () => {
  it('counters and histograms with HELP, TYPE, escaped label values, cumulative buckets, _sum and _count', () => {
    const r = new MetricsRegistry();
    const c = r.counter('x_total', 'Things.\nCounted \\ here.', ['route', 'outcome']);
    const h = r.histogram('x_seconds', 'Time.', ['outcome'], [0.1, 1]);
    c.inc({ route: 'a', outcome: 'say "hi"\\\n' });
    c.inc({ route: 'a', outcome: 'ok' }, 2);
    for (const v of [0.05, 0.5, 0.5, 3]) h.observe({ outcome: 'ok' }, v);
    assert.equal(
      r.render(),
      [
        '# HELP x_total Things.\\nCounted \\\\ here.',
        '# TYPE x_total counter',
        'x_total{route="a",outcome="ok"} 2',
        'x_total{route="a",outcome="say \\"hi\\"\\\\\\n"} 1',
        '# HELP x_seconds Time.',
        '# TYPE x_seconds histogram',
        'x_seconds_bucket{outcome="ok",le="0.1"} 1',
        'x_seconds_bucket{outcome="ok",le="1"} 3',
        'x_seconds_bucket{outcome="ok",le="+Inf"} 4',
        'x_seconds_sum{outcome="ok"} 4.05',
        'x_seconds_count{outcome="ok"} 4',
        '',
      ].join('\n'),
    );
    const parsed = parseExposition(r.render());
    assert.equal(total(parsed, 'x_total', { outcome: 'say "hi"\\\n' }), 1);
  });

  it('refuses a label set other than the declared one, a falling counter and a name registered twice', () => {
    const r = new MetricsRegistry();
    const c = r.counter('y_total', 'Y.', ['reason']);
    assert.throws(() => c.inc({}), /label reason missing/);
    assert.throws(() => c.inc({ reason: 'a', other: 'b' }), /labels are exactly reason/);
    assert.throws(() => c.inc({ reason: 'a' }, -1), /only goes up/);
    assert.throws(() => r.counter('y_total', 'again'), /registered twice/);
    assert.throws(() => r.histogram('z', 'Z.', ['le'], [1]), /invalid label name le/);
  });
});

/**
 * Both metrics endpoints scraped, the series the README names found: the notification
 * endpoint's own registry (in-process, signed messages) and the worker's Temporal runtime
 * exporter (the production worker as a child process, with WORKER_METRICS_ADDRESS).
 */
describe('metrics: the endpoint and the worker serve the README\'s series in Prometheus format (dev server + moto)', function () {
  let env: TestWorkflowEnvironment;
  let moto: Moto;
  let s3: S3Client;
  let db: DuckDBInstance;
  let dir: string;
  let bucket: string;
  let warehouse: string;
  let worker: ChildProcess;
  let workerOut = '';
  let workerMetrics: string;
  let endpoint: EndpointProcess;
  let base: string;
  const signer = new SnsSigner();
  const taskQueue = `metrics-${process.pid}`;
  const id = `metrics-${process.pid}`;
  const topicArn = `arn:aws:sns:us-east-1:123456789012:fme-metrics-${process.pid}`;
  /** Files whose reports the worker test waits for: key → rows. */
  const files = new Map<string, number>();

  async function upload(key: string, rows: number): Promise<{ size: number; eTag: string }> {
    const path = join(dir, `${files.size}.parquet`);
    await writeParquet(db, path, eventsSql(rows, `metrics-${files.size}`));
    const body = await readFile(path);
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    files.set(key, rows);
    return { size: body.length, eTag: (put.ETag ?? '').replace(/"/g, '') };
  }

  const post = async (body: unknown, integrationId = id) => {
    const res = await fetch(`${base}/v1/integrations/${integrationId}/notifications`, { method: 'POST', body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  before(async function () {
    this.timeout(180_000);
    env = await localTemporal();
    moto = await sharedMoto();
    s3 = s3For(moto);
    bucket = await newBucket(s3, 'metrics-in');
    warehouse = await newBucket(s3, 'metrics-wh');
    dir = await mkdtemp(join(tmpdir(), 'fme-metrics-'));
    db = await openDuckDb({ memoryLimit: '128MB', threads: 1, tempDirectory: dir });

    workerMetrics = `127.0.0.1:${await freePort()}`;
    worker = spawn('node', ['lib/src/worker.js'], {
      cwd: PROJECT_ROOT,
      env: deploymentEnv(env, moto, taskQueue, { WAREHOUSE_BUCKET: warehouse, WORK_DIR: join(dir, 'work'), STATUS_FLUSH_DELAY: '300ms', WORKER_METRICS_ADDRESS: workerMetrics }),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    await new Promise<void>((resolve, reject) => {
      worker.stdout!.on('data', (d: Buffer) => {
        workerOut += d.toString();
        if (workerOut.includes('worker ready')) resolve();
      });
      worker.stderr!.on('data', (d: Buffer) => (workerOut += d.toString()));
      worker.once('exit', (code) => reject(new Error(`worker exited with ${code}: ${workerOut}`)));
    });

    const cliEnv = deploymentEnv(env, moto, taskQueue, { WAREHOUSE_BUCKET: warehouse }) as Record<string, string>;
    const created = await runCli(
      ['integration', 'create', '--id', id, '--bucket', bucket, '--topic-arn', topicArn, '--status-prefix', 'status', '--environments', 'env-a,env-b', '--prefix', 'in', '--suffixes', '.parquet', '--json'],
      cliEnv,
    );
    assert.equal(created.code, 0, created.stderr);

    const settings = loadSettings(deploymentEnv(env, moto, taskQueue, { WAREHOUSE_BUCKET: warehouse, HTTP_HOST: '127.0.0.1', HTTP_PORT: '0', INTEGRATION_CACHE_TTL: '1s', LOG_LEVEL: 'ERROR' }));
    endpoint = await startEndpointProcess(settings, {
      client: env.client,
      fetchCertificate: async () => signer.publicKeyPem,
      log: { debug: () => undefined, info: () => undefined, warn: () => undefined },
    });
    base = `http://127.0.0.1:${endpoint.port}`;
    // The entity publishes the record the endpoint reads: wait until the endpoint knows the id.
    await waitFor('the endpoint to know the integration', async () => ((await post('{}')).status === 404 ? undefined : true), 30_000);
  });

  after(async function () {
    this.timeout(60_000);
    await endpoint?.close();
    if (worker && worker.exitCode === null) {
      const exited = new Promise((resolve) => worker.once('exit', resolve));
      worker.kill('SIGTERM');
      await exited;
    }
    db?.closeSync();
  });

  it('the endpoint: GET /metrics is Prometheus text with requests by route, type and outcome, the latency histogram and signature failures', async () => {
    const file = await upload('in/notified.parquet', 600);
    const valid = signer.notification(topicArn, s3CreatedEvent(bucket, 'in/notified.parquet', file.size, file.eTag));
    const ok = await post(valid);
    assert.equal(ok.status, 200, JSON.stringify(ok.body));
    assert.deepEqual(ok.body, { started: 1, existing: 0, ignored: 0 });
    // Forged: a valid signature, of another message.
    const forged = await post({ ...valid, Message: s3CreatedEvent(bucket, 'in/other.parquet', 1, 'e') });
    assert.equal(forged.status, 403);
    assert.equal(forged.body.error, 'BAD_SIGNATURE');

    const { contentType, scrape: s } = await scrape(`${base}/metrics`);
    assert.match(contentType, /^text\/plain; version=0\.0\.4/);
    assert.equal(contentType, PROMETHEUS_CONTENT_TYPE);

    const requests = 'fme_endpoint_requests_total';
    assert.equal(s.types.get(requests), 'counter');
    assert.ok(s.help.get(requests));
    assert.equal(total(s, requests, { route: 'notifications', type: 'Notification', outcome: 'ok' }), 1);
    assert.equal(total(s, requests, { route: 'notifications', type: 'Notification', outcome: 'BAD_SIGNATURE' }), 1);
    // The wait for the integration's record: bodies that are no SNS message have no type.
    assert.ok(has(s, requests, { route: 'notifications', type: 'none' }));
    // This scrape counts itself.
    assert.ok(total(s, requests, { route: 'metrics', type: 'none', outcome: 'ok' }) >= 1);

    const duration = 'fme_endpoint_request_duration_seconds';
    assert.equal(s.types.get(duration), 'histogram');
    assert.equal(total(s, `${duration}_count`, { outcome: 'ok' }), 1);
    assert.equal(total(s, `${duration}_bucket`, { outcome: 'ok', le: '+Inf' }), 1);
    assert.equal(total(s, `${duration}_count`, { outcome: 'BAD_SIGNATURE' }), 1);
    assert.ok(total(s, `${duration}_sum`, { outcome: 'ok' }) > 0);
    const buckets = s.samples.filter((x) => x.name === `${duration}_bucket` && x.labels.outcome === 'ok');
    assert.ok(buckets.length > 2, 'bucket series with le');
    for (let i = 1; i < buckets.length; i++) assert.ok(buckets[i]!.value >= buckets[i - 1]!.value, 'buckets are cumulative');

    assert.equal(s.types.get('fme_endpoint_signature_failures_total'), 'counter');
    assert.equal(total(s, 'fme_endpoint_signature_failures_total', { reason: 'bad-signature' }), 1);
    assert.equal(total(s, 'fme_endpoint_signature_failures_total', { reason: 'foreign-certificate-host' }), 0);
    assert.equal(total(s, 'fme_endpoint_files_total', { result: 'started' }), 1);
    assert.equal(s.types.get('fme_endpoint_keys_ignored_total'), 'counter');
    // The counters the tests read stay beside the registry.
    assert.equal(endpoint.counters.get('files_started'), 1);
  });

  it('the worker: its Temporal runtime exporter serves fme_rows_total, fme_files_total, the report and lag histograms, and Temporal\'s own series', async function () {
    this.timeout(180_000);
    await upload('in/processed.parquet', 900);
    const processed = await runCli(['process', '--bucket', bucket, '--key', 'in/processed.parquet', '--integration', id], deploymentEnv(env, moto, taskQueue, { WAREHOUSE_BUCKET: warehouse }) as Record<string, string>);
    assert.equal(processed.code, 0, processed.stderr);

    const entries = await waitFor(
      'the reports of both files',
      async () => {
        const docs = await readReports(s3, bucket, 'status');
        const all = [...files.keys()].map((key) => docs.flatMap((r) => r.doc[key] ?? []));
        return all.every((e, i) => rowsIn(e) === [...files.values()][i]) ? all.flat() : undefined;
      },
      120_000,
    );
    const expected = rowsByCode(entries);
    assert.ok(expected.get('valid')! > 0 && expected.size >= 4, 'valid rows and three error codes');

    // Counted by the activities before the reports were written; the report write is timed as it ends.
    const s = await waitFor(
      'the worker metrics',
      async () => {
        const { scrape: got } = await scrape(`http://${workerMetrics}/metrics`);
        return total(got, 'fme_report_write_seconds_count') >= 1 && total(got, 'fme_files_total') >= files.size ? got : undefined;
      },
      30_000,
    );

    assert.equal(s.types.get('fme_rows_total'), 'counter');
    const ours = s.samples.filter((x) => x.name === 'fme_rows_total');
    assert.ok(ours.every((x) => x.labels.namespace === 'default' && x.labels.taskQueue && x.labels.activityType), "the activity meter's labels, as the README says");
    assert.ok(s.help.get('fme_rows_total'));
    for (const [code, rows] of expected) {
      // At least once: an activity retried after reporting would count again.
      assert.ok(total(s, 'fme_rows_total', { code }) >= rows, `fme_rows_total{code="${code}"} ${total(s, 'fme_rows_total', { code })} >= ${rows}`);
    }
    assert.equal(s.types.get('fme_files_total'), 'counter');
    assert.ok(total(s, 'fme_files_total', { integration: id, outcome: 'invalid-rows' }) >= files.size, 'every file: some rows invalid');

    assert.equal(s.types.get('fme_report_write_seconds'), 'histogram');
    assert.ok(total(s, 'fme_report_write_seconds_count', { outcome: 'written' }) >= 1);
    assert.ok(has(s, 'fme_report_write_seconds_bucket', { le: '0.01' }), 'our bucket bounds, in seconds');
    assert.equal(s.types.get('fme_report_latency_seconds'), 'histogram');
    assert.ok(total(s, 'fme_report_latency_seconds_count') >= 1, 'each written report records how long its oldest entry waited');
    assert.equal(s.types.get('fme_notification_lag_seconds'), 'histogram');
    assert.ok(total(s, 'fme_notification_lag_seconds_count') >= files.size, 'the first download of each file');
    assert.ok(has(s, 'fme_notification_lag_seconds_bucket', { le: '86400' }));

    // Temporal's own series, with its prefix.
    assert.ok(total(s, 'temporal_activity_execution_latency_count', { activity_type: 'processSmallFile' }) >= files.size, 'temporal_activity_execution_latency');
    assert.ok(has(s, 'temporal_workflow_task_execution_latency_count'), 'temporal_workflow_task_execution_latency');
    assert.ok(s.samples.filter((x) => x.name.startsWith('temporal_')).length > 10, "Temporal's own series");
  });
});
