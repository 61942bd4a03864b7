/**
 * Figure (h), the impression intake (issue 15): impressions/s accepted and durable, and the
 * latency of a 30,000-impression POST, as the Node SDK posts its whole queue.
 *
 * The intake runs as its own process (`node lib/src/intake/main.js`, configured only by
 * environment variables, as deployed) against moto as the warehouse, so the load generator in
 * this process never shares its event loop. The body is serialised once; closed-loop clients
 * (each sends its next POST when the previous is answered) post it over a keep-alive agent for a
 * fixed time at each concurrency. Only 200 answers count as accepted, and afterwards every batch
 * a 200 named must be listed in the warehouse (and a sample read back with DuckDB).
 */
import { ChildProcess, spawn } from 'node:child_process';
import { createWriteStream, WriteStream } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { Agent } from 'node:http';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { loadSettings } from '../src/config/settings';
import { environmentSegment, IMPRESSIONS_ROOT } from '../src/domain/impressions/intakeKeys';
import { startMoto } from '../src/dev/moto';
import { postToIntake, sdkBulkBody, sdkHeaders } from '../src/dev/sdkImpressions';
import { PROJECT_ROOT } from '../src/dev/venv';
import { openDuckDb, queryObjects, sqlString, withConnection } from '../src/parquet/duckdb';
import { SdkKeyStore } from '../src/s3/sdkKeyStore';
import { Cleanup, stopChild } from './cleanup';
import { childPidMatching, cpuBetween, markCpu } from './cpuAccounting';
import { BenchFailure } from './failure';
import { log, sleep } from './format';
import { percentile } from './pool';
import { procStatusBytes } from './processMemory';
import { OUT_DIR } from './params';
import { createBenchS3 } from './services';

/** Closed-loop clients, one run each. */
export const INTAKE_CONCURRENCIES = [4, 8];
/** Seconds each run posts for (after its warm-up); `--intake-seconds N` overrides it. */
export const INTAKE_SECONDS = 20;
/** Seconds of posting before each run with the same clients and key, not counted. */
export const INTAKE_WARMUP_SECONDS = 3;
/** The Node SDK's whole queue: 50 flags × 600 impressions = 30,000, about 4.4 MB of JSON. */
export const INTAKE_BODY = { flags: 50, perFlag: 600 };
/** Stored batches of each run read back with DuckDB (first, middle, last 200 answer). */
export const INTAKE_SAMPLES_READ = 3;
const NODE_SDK = { sdkVersion: 'nodejs-11.11.2', machineName: 'bench-sdk', machineIp: '10.0.0.1', mode: 'DEBUG' };

export interface IntakeRun {
  concurrency: number;
  environmentId: string;
  /** From the first POST until the last answer (the clients stop sending after `INTAKE_SECONDS`). */
  seconds: number;
  requests: number;
  /** 200 answers: each one a batch stored in the warehouse before it was answered. */
  accepted: number;
  impressions: number;
  impressionsPerSec: number;
  /** Everything but 200, by "status code" (e.g. "503 NOT_DURABLE_IN_TIME") or "no answer: <error>". */
  refused: Record<string, number>;
  /** Send to last byte of the answer, every answered request (200 or not). */
  latencyMs: { p50: number; p95: number; p99: number; max: number };
  durability: { storedObjects: number; acceptedListed: number; extraObjects: number; sampled: { key: string; rows: number }[] };
  /** CPU seconds during the run: this process (the load generator), the intake, moto, the rest. */
  cpu: Record<string, number>;
}

export interface IntakeResults {
  body: { impressions: number; bytes: number; flags: number; perFlag: number };
  secondsPerRun: number;
  warmupSeconds: number;
  /** The intake's settings as it resolved them from its environment. */
  settings: Record<string, string | number>;
  runs: IntakeRun[];
  intake: { vmHwmBytes: number | undefined; log: string };
}

interface Outcome {
  ms: number;
  status: number;
  code: string;
  stored: number;
  batch?: string;
}

interface IntakeChild {
  port: number;
  pid: number;
  assertRunning(): void;
}

/** `node lib/src/intake/main.js` with `env`; resolves with the port it printed once it listens. Output goes to `logPath`. */
async function startIntakeChild(cleanup: Cleanup, env: Record<string, string>, logPath: string): Promise<IntakeChild> {
  const logFile: WriteStream = createWriteStream(logPath);
  const child: ChildProcess = spawn(process.execPath, [join(PROJECT_ROOT, 'lib', 'src', 'intake', 'main.js')], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanup.track(child);
  cleanup.add('intake process', async () => {
    await stopChild(child, 15_000);
    await new Promise<void>((r) => logFile.end(() => r()));
  });
  child.stderr?.pipe(logFile, { end: false });
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the intake did not start in 30 s; see ${logPath}`)), 30_000);
    let seen = '';
    child.stdout?.on('data', (d: Buffer) => {
      logFile.write(d);
      seen = (seen + d.toString()).slice(-2000);
      const m = /impression intake listening on https?:\/\/[^\s;]*:(\d+)/.exec(seen);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the intake exited with ${code}; see ${logPath}`));
    });
  });
  return {
    port,
    pid: child.pid!,
    assertRunning() {
      if (child.exitCode !== null || child.signalCode !== null) throw new Error(`the intake process exited (${child.exitCode ?? child.signalCode}); see ${logPath}`);
    },
  };
}

/** Closed loop: `concurrency` clients each send again as soon as answered, until `seconds` have passed. */
async function closedLoop(concurrency: number, seconds: number, send: () => Promise<Outcome>): Promise<{ elapsedMs: number; outcomes: Outcome[] }> {
  const outcomes: Outcome[] = [];
  const t0 = performance.now();
  const end = t0 + seconds * 1000;
  const client = async () => {
    while (performance.now() < end) {
      const o = await send();
      outcomes.push(o);
      if (o.status === 0) await sleep(100); // no answer: do not spin on a dead intake
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return { elapsedMs: performance.now() - t0, outcomes };
}

async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<Set<string>> {
  const keys = new Set<string>();
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of page.Contents ?? []) keys.add(o.Key!);
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** Downloads stored batches and counts their rows with DuckDB. */
async function readBackRows(s3: S3Client, bucket: string, keys: string[]): Promise<{ key: string; rows: number }[]> {
  const dir = join(OUT_DIR, 'intake-readback');
  await rm(dir, { recursive: true, force: true });
  await mkdir(dir, { recursive: true });
  const db = await openDuckDb({ memoryLimit: '256MB', threads: 1, tempDirectory: dir });
  try {
    const out: { key: string; rows: number }[] = [];
    for (const [i, key] of keys.entries()) {
      const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
      const file = join(dir, `${i}.parquet`);
      await writeFile(file, await res.Body!.transformToByteArray());
      const [row] = await withConnection(db, (c) => queryObjects(c, `SELECT count(*) AS n FROM read_parquet(${sqlString(file)})`));
      out.push({ key, rows: Number(row?.n) });
    }
    return out;
  } finally {
    db.closeSync();
    await rm(dir, { recursive: true, force: true });
  }
}

const round1 = (x: number) => Math.round(x * 10) / 10;

/** (h): the intake process against moto, closed-loop 30,000-impression POSTs at each of INTAKE_CONCURRENCIES. */
export async function benchIntake(cleanup: Cleanup, secondsPerRun = INTAKE_SECONDS): Promise<IntakeResults> {
  log('(h) starting moto and the intake process');
  process.env.AWS_ACCESS_KEY_ID ??= 'testing';
  process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
  const moto = await startMoto();
  cleanup.add('moto (h)', () => moto.stop());
  const motoPid = childPidMatching(`-p\0${new URL(moto.endpoint).port}`);
  const s3 = createBenchS3(moto);
  cleanup.add('s3 client (h)', async () => s3.destroy());
  const warehouse = 'bench-intake-warehouse';
  await s3.send(new CreateBucketCommand({ Bucket: warehouse }));
  const workDir = join(OUT_DIR, 'intake-work');
  await rm(workDir, { recursive: true, force: true });
  const env: Record<string, string> = {
    S3_ENDPOINT: moto.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_REGION: 'us-east-1',
    WAREHOUSE_BUCKET: warehouse,
    WORK_DIR: workDir,
    HTTP_HOST: '127.0.0.1',
    INTAKE_PORT: '0',
    LOG_LEVEL: 'WARN',
  };
  // What the child resolves: its environment is this process's plus `env`; the rest are defaults.
  const s = loadSettings({ ...process.env, ...env });
  const settings = {
    INTAKE_CONCURRENCY: s.INTAKE_CONCURRENCY,
    DUCKDB_THREADS: s.DUCKDB_THREADS,
    DUCKDB_MEMORY_LIMIT: s.DUCKDB_MEMORY_LIMIT,
    INTAKE_ANSWER_DEADLINE_MS: s.INTAKE_ANSWER_DEADLINE,
    INTAKE_MAX_BODY_BYTES: s.INTAKE_MAX_BODY_BYTES,
    INTAKE_MAX_INFLIGHT_BYTES: s.INTAKE_MAX_INFLIGHT_BYTES,
    INTAKE_KEY_CACHE_TTL_MS: s.INTAKE_KEY_CACHE_TTL,
    WORK_DIR: s.WORK_DIR,
    HTTP_HOST: s.HTTP_HOST,
    LOG_LEVEL: s.LOG_LEVEL,
  };
  const logPath = join(OUT_DIR, 'intake.log');
  const intake = await startIntakeChild(cleanup, env, logPath);
  const url = `http://127.0.0.1:${intake.port}/api/testImpressions/bulk`;

  const body = Buffer.from(JSON.stringify(sdkBulkBody(INTAKE_BODY.flags, INTAKE_BODY.perFlag, Date.now())));
  const impressionsPerBody = INTAKE_BODY.flags * INTAKE_BODY.perFlag;
  const keys = new SdkKeyStore(s3, warehouse);

  const runs: IntakeRun[] = [];
  for (const concurrency of INTAKE_CONCURRENCIES) {
    const environmentId = `bench-intake-c${concurrency}`;
    const { key } = await keys.add({ environmentId, trafficTypeId: 'user', flagTrafficTypes: {}, label: `bench (h), ${concurrency} clients` });
    const headers = sdkHeaders(key, NODE_SDK);
    const agent = new Agent({ keepAlive: true, maxSockets: concurrency });
    const send = async (): Promise<Outcome> => {
      const t = performance.now();
      try {
        const res = await postToIntake(url, headers, body, { agent });
        const ms = performance.now() - t;
        if (res.status === 200) return { ms, status: 200, code: 'ok', stored: Number(res.body.stored ?? 0), batch: typeof res.body.batch === 'string' ? res.body.batch : undefined };
        return { ms, status: res.status, code: `${res.status} ${typeof res.body.error === 'string' ? res.body.error : ''}`.trim(), stored: 0 };
      } catch (err) {
        return { ms: performance.now() - t, status: 0, code: `no answer: ${(err as NodeJS.ErrnoException).code ?? String(err)}`, stored: 0 };
      }
    };
    try {
      log(`(h) ${concurrency} clients: warm-up ${INTAKE_WARMUP_SECONDS} s`);
      await closedLoop(concurrency, INTAKE_WARMUP_SECONDS, send);
      const prefix = `${IMPRESSIONS_ROOT}/batches/${environmentSegment(environmentId)}/`;
      const before = await listKeys(s3, warehouse, prefix);
      log(`(h) ${concurrency} clients: 30,000-impression POSTs for ${secondsPerRun} s`);
      const pids = { intake: intake.pid, moto: motoPid };
      const cpuStart = markCpu(pids);
      const { elapsedMs, outcomes } = await closedLoop(concurrency, secondsPerRun, send);
      const cpu = cpuBetween(cpuStart, markCpu(pids));
      intake.assertRunning();
      runs.push(await summarise(s3, warehouse, prefix, before, { concurrency, environmentId, elapsedMs, outcomes, cpu, impressionsPerBody }));
    } finally {
      agent.destroy();
    }
  }
  return {
    body: { impressions: impressionsPerBody, bytes: body.length, ...INTAKE_BODY },
    secondsPerRun,
    warmupSeconds: INTAKE_WARMUP_SECONDS,
    settings,
    runs,
    intake: { vmHwmBytes: procStatusBytes(intake.pid, 'VmHWM'), log: logPath },
  };
}

/**
 * One run's figures, and its durability: every batch a 200 named is listed under the run's
 * environment, no more objects appeared than 200s (a batch answered 503 after its deadline may
 * still land: it is counted as extra, and is allowed only beside such answers), and a sample reads
 * back with 30,000 rows. A missing batch is a BenchFailure.
 */
async function summarise(
  s3: S3Client,
  bucket: string,
  prefix: string,
  before: Set<string>,
  r: { concurrency: number; environmentId: string; elapsedMs: number; outcomes: Outcome[]; cpu: Record<string, number>; impressionsPerBody: number },
): Promise<IntakeRun> {
  const accepted = r.outcomes.filter((o) => o.status === 200);
  const refused: Record<string, number> = {};
  for (const o of r.outcomes.filter((x) => x.status !== 200)) refused[o.code] = (refused[o.code] ?? 0) + 1;
  const answered = r.outcomes.filter((o) => o.status !== 0).map((o) => o.ms);
  const impressions = accepted.reduce((n, o) => n + o.stored, 0);

  const after = await listKeys(s3, bucket, prefix);
  const stored = [...after].filter((k) => !before.has(k));
  const storedSet = new Set(stored);
  const named = accepted.map((o) => o.batch);
  const missing = named.filter((k) => k === undefined || !storedSet.has(k));
  if (missing.length > 0) throw new BenchFailure(`(h) ${r.concurrency} clients: ${missing.length} of ${accepted.length} batches answered 200 are not in the warehouse (e.g. ${missing[0] ?? 'no key in the answer'})`);
  const short = accepted.filter((o) => o.stored !== r.impressionsPerBody);
  if (short.length > 0) throw new BenchFailure(`(h) ${r.concurrency} clients: ${short.length} answers of 200 stored ${short[0]!.stored} impressions, not ${r.impressionsPerBody}`);
  const extra = stored.length - accepted.length;
  const lateAllowed = r.outcomes.filter((o) => o.status !== 200).length;
  if (extra > lateAllowed) throw new BenchFailure(`(h) ${r.concurrency} clients: ${stored.length} objects stored for ${accepted.length} answers of 200 and ${lateAllowed} others`);
  const picks = [...new Set([0, Math.floor(accepted.length / 2), accepted.length - 1])].slice(0, INTAKE_SAMPLES_READ).filter((i) => i >= 0 && i < accepted.length);
  const sampled = await readBackRows(s3, bucket, picks.map((i) => accepted[i]!.batch!));
  const wrong = sampled.find((x) => x.rows !== r.impressionsPerBody);
  if (wrong) throw new BenchFailure(`(h) ${wrong.key} holds ${wrong.rows} rows, not ${r.impressionsPerBody}`);

  const seconds = r.elapsedMs / 1000;
  return {
    concurrency: r.concurrency,
    environmentId: r.environmentId,
    seconds: Math.round(seconds * 1000) / 1000,
    requests: r.outcomes.length,
    accepted: accepted.length,
    impressions,
    impressionsPerSec: Math.round(impressions / seconds),
    refused,
    latencyMs: { p50: round1(percentile(answered, 0.5)), p95: round1(percentile(answered, 0.95)), p99: round1(percentile(answered, 0.99)), max: answered.length > 0 ? round1(Math.max(...answered)) : NaN },
    durability: { storedObjects: stored.length, acceptedListed: accepted.length, extraObjects: Math.max(0, extra), sampled },
    cpu: r.cpu,
  };
}
