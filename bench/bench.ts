/**
 * `npm run bench`: throughput and latency of the inbound path, printed as a table and written
 * to bench/out/results.json. See docs/BENCHMARKS.md for what each figure means.
 *
 *   (a) rows/s of validateLocalFile (the code the CLI and the activities run) on a local 10M-row file
 *   (b) rows/s of one set-based DuckDB query doing the same checks: the baseline (a) is held to
 *   (c) seconds from "upload completed" to "reports covering every row can be listed", through
 *       a Temporal dev server, moto and the worker as a separate process (10M rows and 100k rows)
 *   (d) the worker process's peak RSS
 */
import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, readdirSync, readFileSync, WriteStream } from 'node:fs';
import { mkdir, readFile, rename, rm, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { DuckDBInstance as RawDuckDBInstance } from '@duckdb/node-api';
import { Client, Connection, WorkflowHandle } from '@temporalio/client';
import { startFileWorkflow } from '../src/client';
import { loadSettings, Settings } from '../src/config';
import { freePort, Moto, startMoto } from '../src/dev/moto';
import { PROJECT_ROOT, TEMPORAL_CLI, VENV_PYTHON } from '../src/dev/venv';
import { objectVersionOf } from '../src/domain/keys';
import { createS3Client } from '../src/s3';
import { rowsIn, StatusDocument, StatusEntry } from '../src/domain/statusEntry';
import { DuckDBInstance, openDuckDb, queryObjects, sqlString, withConnection } from '../src/parquet/duckdb';
import { validateLocalFile } from '../src/parquet/validateLocalFile';
import { progressQuery } from '../src/workflows/messages';

// ---------------------------------------------------------------------------------------------
// Parameters and targets

const OUT_DIR = join(PROJECT_ROOT, 'bench', 'out');
const BIG_ROWS = 10_000_000;
const SMALL_ROWS = 100_000;
const ENVIRONMENTS = ['env-a', 'env-b', 'env-c'];
const DUCKDB_THREADS = 2;
const RUNS = 3;
/** Status flush delay of the bench's file workflows (production default: 5000 ms). */
const STATUS_FLUSH_DELAY_MS = 1_000;
const REPORT_POLL_MS = 100;
const RSS_SAMPLE_MS = 200;
const UPLOAD_PART_BYTES = 16 * 1024 * 1024;
const GIB = 1024 ** 3;
/** Defaults of every setting, untouched by this shell's environment. */
const DEFAULTS: Settings = loadSettings({});

const TARGETS = {
  oursVsBaselineMaxRatio: 2,
  e2eBigMinRowsPerSec: 1_000_000,
  e2eSmallMaxSeconds: 30,
  workerPeakRssMaxBytes: GIB,
};

const CODE_NAMES: readonly [number, string][] = [
  [2, 'INVALID_ENVIRONMENT_ID'],
  [4, 'INVALID_TIMESTAMP'],
  [1, 'REQUIRED_FIELDS_NULL'],
];

/** Row count per sorted, comma-joined code combination; '' is the valid rows. */
type ComboCounts = Map<string, number>;

// ---------------------------------------------------------------------------------------------
// Small helpers

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const seconds = (ms: number) => Math.round(ms) / 1000;
const fmtRate = (rowsPerSec: number) => `${(rowsPerSec / 1e6).toFixed(2)} M rows/s`;
const fmtSec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
const fmtMiB = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

function log(msg: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

function codesOf(mask: number): string {
  return CODE_NAMES.filter(([bit]) => (mask & bit) !== 0)
    .map(([, name]) => name)
    .join(',');
}

function addCount(m: ComboCounts, combo: string, rows: number): void {
  m.set(combo, (m.get(combo) ?? 0) + rows);
}

function describeCombos(m: ComboCounts): string {
  return [...m.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k || 'valid'}=${n}`)
    .join('; ');
}

function combosEqual(a: ComboCounts, b: ComboCounts): boolean {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].every((k) => (a.get(k) ?? 0) === (b.get(k) ?? 0));
}

function validInvalid(m: ComboCounts): { valid: number; invalid: number } {
  let valid = 0;
  let invalid = 0;
  for (const [k, n] of m) {
    if (k === '') valid += n;
    else invalid += n;
  }
  return { valid, invalid };
}

class BenchFailure extends Error {}

function assertSameCounts(what: string, expected: ComboCounts, actual: ComboCounts): void {
  if (combosEqual(expected, actual)) return;
  throw new BenchFailure(`${what} disagree:\n  expected ${describeCombos(expected)}\n  got      ${describeCombos(actual)}`);
}

// ---------------------------------------------------------------------------------------------
// Cleanup of everything the bench starts, also on Ctrl-C and on failure

class Cleanup {
  /** Set on SIGINT/SIGTERM: errors after that are consequences of the stop, not findings. */
  interrupted = false;
  private steps: { name: string; fn: () => Promise<void> }[] = [];
  private children = new Set<ChildProcess>();

  add(name: string, fn: () => Promise<void>): void {
    this.steps.push({ name, fn });
  }

  /** Children killed synchronously at process exit, whatever happened before. */
  track(child: ChildProcess): void {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
  }

  async runAll(): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step.fn();
      } catch (err) {
        console.error(`cleanup of ${step.name} failed: ${String(err)}`);
      }
    }
  }

  killRemainingSync(): void {
    for (const child of this.children) child.kill('SIGKILL');
  }
}

function installSignalHandlers(cleanup: Cleanup): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cleanup.interrupted = true;
      console.error(`\n${signal}: stopping everything the bench started`);
      void cleanup.runAll().finally(() => process.exit(130));
    });
  }
  process.once('exit', () => cleanup.killRemainingSync());
}

async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}

// ---------------------------------------------------------------------------------------------
// Machine

interface Machine {
  cpuModel: string;
  cores: number;
  totalMemoryBytes: number;
  node: string;
  duckdb: string;
  duckdbNodeApi: string;
  temporalCli: string;
  moto: string;
}

function cpuModel(): string {
  const line = readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('model name'));
  return line?.split(':')[1]?.trim() ?? 'unknown';
}

function toolVersion(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim().split('\n')[0]!;
  } catch {
    return 'unknown';
  }
}

async function describeMachine(db: DuckDBInstance): Promise<Machine> {
  const [row] = await withConnection(db, (c) => queryObjects(c, 'SELECT version() AS v'));
  const nodeApi = JSON.parse(await readFile(join(PROJECT_ROOT, 'node_modules', '@duckdb', 'node-api', 'package.json'), 'utf8')) as { version: string };
  return {
    cpuModel: cpuModel(),
    cores: cpus().length,
    totalMemoryBytes: totalmem(),
    node: process.version,
    duckdb: String(row?.v),
    duckdbNodeApi: nodeApi.version,
    temporalCli: toolVersion(TEMPORAL_CLI, ['--version']),
    moto: toolVersion(VENV_PYTHON, ['-c', 'import moto; print(moto.__version__)']),
  };
}

// ---------------------------------------------------------------------------------------------
// The event file: about 1% invalid rows, every row code, and code combinations

/**
 * Row i (0-based) of a bench file; times lie within one day, as in an hourly or daily export.
 * - i % 400 = 7: one required column is null, in turn environmentId, trafficTypeId,
 *   eventTypeId, key, timestamp ((i div 400) % 5)               → REQUIRED_FIELDS_NULL
 * - i % 401 = 5: environmentId 'env-unknown' (unless it is null)  → INVALID_ENVIRONMENT_ID
 * - i % 397 = 3: timestamp in seconds; i % 397 = 200: in microseconds (unless null) → INVALID_TIMESTAMP
 * - value is null on every 10th row, properties on every 4th.
 */
function benchEventsSql(rows: number): string {
  const nullHere = (col: number) => `i % 400 = 7 AND (i // 400) % 5 = ${col}`;
  return `SELECT
      CASE WHEN ${nullHere(0)} THEN NULL WHEN i % 401 = 5 THEN 'env-unknown' ELSE ['env-a', 'env-b', 'env-c'][1 + i % 3] END AS "environmentId",
      CASE WHEN ${nullHere(1)} THEN NULL WHEN i % 7 = 0 THEN 'account' ELSE 'user' END AS "trafficTypeId",
      CASE WHEN ${nullHere(2)} THEN NULL ELSE ['page_view', 'click', 'add_to_cart', 'checkout', 'signup'][1 + i % 5] END AS "eventTypeId",
      CASE WHEN ${nullHere(3)} THEN NULL ELSE 'user-' || (i * 7919 % 1000003) END AS "key",
      (CASE WHEN ${nullHere(4)} THEN NULL
            WHEN i % 397 = 3 THEN 1700000000 + i // 125
            WHEN i % 397 = 200 THEN (1700000000000 + i * 8) * 1000
            ELSE 1700000000000 + i * 8 END)::BIGINT AS "timestamp",
      CASE WHEN i % 10 = 0 THEN NULL ELSE (i % 10000) * 0.25 END::DOUBLE AS "value",
      CASE WHEN i % 4 = 0 THEN NULL
           ELSE MAP {'plan': ['free', 'pro', 'enterprise'][1 + i % 3], 'country': ['US', 'DE', 'FR', 'BR', 'JP', 'IN'][1 + i % 6]} END AS "properties"
    FROM range(${rows}) t(i)`;
}

/** The row codes benchEventsSql gives row i, computed independently of any SQL. */
function expectedCodesOfRow(i: number): string {
  const nullColumn = i % 400 === 7 ? Math.floor(i / 400) % 5 : -1;
  let mask = nullColumn >= 0 ? 1 : 0;
  if (nullColumn !== 0 && i % 401 === 5) mask |= 2;
  if (nullColumn !== 4 && (i % 397 === 3 || i % 397 === 200)) mask |= 4;
  return codesOf(mask);
}

function expectedCombos(rows: number): ComboCounts {
  const m: ComboCounts = new Map();
  for (let i = 0; i < rows; i++) addCount(m, expectedCodesOfRow(i), 1);
  return m;
}

interface EventFile {
  path: string;
  rows: number;
  bytes: number;
  rowGroups: number;
  reused: boolean;
  generationSeconds: number;
}

function generationParams(rows: number): string {
  const copy = 'FORMAT parquet, COMPRESSION snappy';
  return JSON.stringify({ rows, copy, sqlSha256: createHash('sha256').update(benchEventsSql(rows)).digest('hex') });
}

/** Writes the file with DuckDB (default row groups, rows in order), unless the same parameters made it before. */
async function ensureEventFile(rows: number): Promise<EventFile> {
  const path = join(OUT_DIR, `events-${rows}.snappy.parquet`);
  const paramsPath = `${path}.params.json`;
  const params = generationParams(rows);
  const reused = existsSync(path) && existsSync(paramsPath) && (await readFile(paramsPath, 'utf8')) === params;
  const started = performance.now();
  if (!reused) {
    await rm(paramsPath, { force: true });
    await writeEventFile(path, rows);
    await writeFile(paramsPath, params);
  }
  const generationSeconds = seconds(performance.now() - started);
  return { path, rows, bytes: (await stat(path)).size, rowGroups: await countRowGroups(path), reused, generationSeconds };
}

async function writeEventFile(path: string, rows: number): Promise<void> {
  const tmp = `${path}.tmp`;
  const db = await RawDuckDBInstance.create(':memory:', { threads: String(DUCKDB_THREADS), memory_limit: '2GB', temp_directory: OUT_DIR });
  try {
    const conn = await db.connect();
    try {
      await conn.run(`COPY (${benchEventsSql(rows)}) TO ${sqlString(tmp)} (FORMAT parquet, COMPRESSION snappy)`);
    } finally {
      conn.closeSync();
    }
  } finally {
    db.closeSync();
  }
  await rename(tmp, path);
}

async function countRowGroups(path: string): Promise<number> {
  const db = await RawDuckDBInstance.create(':memory:', { threads: '1' });
  try {
    const conn = await db.connect();
    try {
      const reader = await conn.runAndReadAll(`SELECT count(DISTINCT row_group_id)::INTEGER AS n FROM parquet_metadata(${sqlString(path)})`);
      return Number(reader.getRowObjectsJS()[0]?.n);
    } finally {
      conn.closeSync();
    }
  } finally {
    db.closeSync();
  }
}

// ---------------------------------------------------------------------------------------------
// (a) our validation path and (b) the DuckDB-only baseline, on the local file

interface TimedRuns {
  runsSeconds: number[];
  /** CPU seconds during each run: 'bench' is this process (DuckDB included), 'others' every other process. */
  runsCpu: Record<string, number>[];
  bestSeconds: number;
  bestRowsPerSec: number;
}

async function timeRuns(rows: number, runOnce: () => Promise<ComboCounts>, check: (c: ComboCounts, run: number) => void): Promise<TimedRuns> {
  const runsMs: number[] = [];
  const runsCpu: Record<string, number>[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const mark = markCpu();
    const started = performance.now();
    const combos = await runOnce();
    runsMs.push(performance.now() - started);
    runsCpu.push(cpuBetween(mark, markCpu()));
    check(combos, run);
  }
  const best = Math.min(...runsMs);
  return { runsSeconds: runsMs.map(seconds), runsCpu, bestSeconds: seconds(best), bestRowsPerSec: Math.round(rows / (best / 1000)) };
}

function combosOfDocument(doc: StatusDocument): ComboCounts {
  const m: ComboCounts = new Map();
  for (const entries of Object.values(doc)) for (const e of entries) addCount(m, e.errors.join(','), e.numberOfRows);
  return m;
}

async function runOurs(db: DuckDBInstance, file: EventFile): Promise<ComboCounts> {
  const doc = await validateLocalFile(db, file.path, {
    fileName: 'bench.snappy.parquet',
    originalCreationTime: 1_700_000_000_000,
    environments: ENVIRONMENTS,
    targetChunkRows: DEFAULTS.CHUNK_TARGET_ROWS,
    workDir: OUT_DIR,
  });
  return combosOfDocument(doc);
}

/** The same rules in one set-based query over the whole file, written independently of src/. */
function baselineSql(path: string): string {
  const required = ['environmentId', 'trafficTypeId', 'eventTypeId', 'key', 'timestamp'];
  const anyNull = required.map((c) => `"${c}" IS NULL`).join(' OR ');
  const nullCounts = required.map((c) => `count(*) FILTER (WHERE "${c}" IS NULL)::BIGINT AS "null_${c}"`).join(', ');
  const envs = ENVIRONMENTS.map(sqlString).join(', ');
  return `
    SELECT mask, count(*)::BIGINT AS rows, ${nullCounts},
      count("value")::BIGINT AS decoded_values, count("properties")::BIGINT AS decoded_properties
    FROM (
      SELECT *,
        (CASE WHEN ${anyNull} THEN 1 ELSE 0 END)
        + (CASE WHEN "environmentId" IS NOT NULL AND "environmentId" NOT IN (${envs}) THEN 2 ELSE 0 END)
        + (CASE WHEN "timestamp" IS NOT NULL AND ("timestamp" < 946684800000 OR "timestamp" >= 4102444800000) THEN 4 ELSE 0 END) AS mask
      FROM read_parquet(${sqlString(path)})
    )
    GROUP BY mask ORDER BY mask`;
}

async function runBaseline(db: DuckDBInstance, file: EventFile): Promise<ComboCounts> {
  const rows = await withConnection(db, (c) => queryObjects(c, baselineSql(file.path)));
  const m: ComboCounts = new Map();
  for (const r of rows) addCount(m, codesOf(Number(r.mask)), Number(r.rows));
  return m;
}

interface LocalResults {
  ours: TimedRuns;
  baseline: TimedRuns;
  /** Best time of (a) divided by best time of (b). */
  ratio: number;
  /** Least CPU time of (a) divided by least CPU time of (b): less sensitive to other processes. */
  cpuRatio: number;
  counts: { valid: number; invalid: number; byCodes: Record<string, number> };
}

async function benchLocal(file: EventFile, expected: ComboCounts): Promise<LocalResults> {
  const db = await openDuckDb({ memoryLimit: DEFAULTS.DUCKDB_MEMORY_LIMIT, threads: DUCKDB_THREADS, tempDirectory: OUT_DIR });
  try {
    let oursCounts: ComboCounts = new Map();
    log(`(a) validateLocalFile, ${RUNS} runs`);
    const ours = await timeRuns(file.rows, () => runOurs(db, file), (c, run) => {
      assertSameCounts(`(a) run ${run} and the generator's expected counts`, expected, c);
      oursCounts = c;
    });
    log(`(b) baseline query, ${RUNS} runs`);
    const baseline = await timeRuns(file.rows, () => runBaseline(db, file), (c, run) => {
      assertSameCounts(`(a) validateLocalFile and (b) baseline run ${run}`, oursCounts, c);
    });
    const ratio = Math.round((ours.bestSeconds / baseline.bestSeconds) * 100) / 100;
    const leastCpu = (r: TimedRuns) => Math.min(...r.runsCpu.map((c) => c.bench!));
    const cpuRatio = Math.round((leastCpu(ours) / leastCpu(baseline)) * 100) / 100;
    return { ours, baseline, ratio, cpuRatio, counts: { ...validInvalid(oursCounts), byCodes: Object.fromEntries(oursCounts) } };
  } finally {
    db.closeSync();
  }
}

// ---------------------------------------------------------------------------------------------
// (c) the services: moto, a Temporal dev server, the worker as a separate process

interface TemporalServer {
  address: string;
  client: Client;
  pid: number | undefined;
}

async function startTemporal(cleanup: Cleanup): Promise<TemporalServer> {
  const port = await freePort();
  const address = `127.0.0.1:${port}`;
  const args = ['server', 'start-dev', '--headless', '--ip', '127.0.0.1', '--port', String(port), '--log-level', 'error'];
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

interface WorkerProcess {
  pid: number;
  env: Record<string, string>;
  /** Throws when the worker process has exited: nothing would process the files any more. */
  assertRunning(): void;
  stop(): Promise<void>;
}

function workerEnv(temporalAddress: string, motoEndpoint: string, warehouseBucket: string, taskQueue: string): Record<string, string> {
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

/** Runs `node lib/src/worker.js` and waits for its "worker ready" line; its output goes to bench/out/worker.log. */
async function startWorkerProcess(cleanup: Cleanup, env: Record<string, string>): Promise<WorkerProcess> {
  const logFile = createWriteStream(join(OUT_DIR, 'worker.log'));
  const child = spawn(process.execPath, [join(PROJECT_ROOT, 'lib', 'src', 'worker.js')], {
    cwd: PROJECT_ROOT,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  cleanup.track(child);
  cleanup.add('worker process', async () => {
    await stopChild(child, 15_000);
    await closeStream(logFile);
  });
  child.stderr?.pipe(logFile, { end: false });
  await waitForReadyLine(child, logFile);
  return {
    pid: child.pid!,
    env,
    assertRunning() {
      if (child.exitCode !== null || child.signalCode !== null) {
        throw new Error(`the worker process exited (${child.exitCode ?? child.signalCode}); see bench/out/worker.log`);
      }
    },
    stop: () => stopChild(child, 15_000),
  };
}

function closeStream(s: WriteStream): Promise<void> {
  return new Promise((r) => s.end(() => r()));
}

function waitForReadyLine(child: ChildProcess, logFile: WriteStream): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('worker not ready after 120 s; see bench/out/worker.log')), 120_000);
    const done = (err?: Error) => {
      clearTimeout(timer);
      if (err) reject(err);
      else resolve();
    };
    child.stdout?.on('data', (d: Buffer) => {
      logFile.write(d);
      if (d.toString().includes('worker ready')) done();
    });
    child.once('exit', (code) => done(new Error(`worker exited with ${code} before it was ready; see bench/out/worker.log`)));
  });
}

/** Samples the worker's VmRSS every RSS_SAMPLE_MS; VmHWM is the kernel's own peak. */
class RssSampler {
  private timer: NodeJS.Timeout;
  maxRssBytes = 0;
  samples = 0;

  constructor(private pid: number) {
    this.timer = setInterval(() => this.sample(), RSS_SAMPLE_MS);
    this.sample();
  }

  private sample(): void {
    const rss = procStatusBytes(this.pid, 'VmRSS');
    if (rss === undefined) return;
    this.samples++;
    this.maxRssBytes = Math.max(this.maxRssBytes, rss);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${field}:`));
    const kb = Number(line?.match(/(\d+)\s*kB/)?.[1]);
    return Number.isFinite(kb) ? kb * 1024 : undefined;
  } catch {
    return undefined;
  }
}

// ---------------------------------------------------------------------------------------------
// CPU accounting: the machine is shared, so each timing says who else used the CPUs meanwhile

const CLK_TCK = 100;

/** CPU seconds of the whole machine since boot, from /proc/stat. */
function machineCpu(): { busy: number; idle: number; steal: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  return { busy: (user + nice + system + irq + softirq) / CLK_TCK, idle: (idle + iowait) / CLK_TCK, steal: steal / CLK_TCK };
}

/** utime + stime of one process (all its threads), seconds; undefined once it is gone. */
function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** The pid of this process's child whose command line contains `needle` (e.g. the moto server startMoto ran). */
function childPidMatching(needle: string): number | undefined {
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) return Number(entry);
    } catch {
      // the process went away meanwhile
    }
  }
  return undefined;
}

interface CpuMark {
  machine: { busy: number; idle: number; steal: number };
  self: number;
  pids: Record<string, number | undefined>;
}

function markCpu(pids: Record<string, number | undefined> = {}): CpuMark {
  const perPid: Record<string, number | undefined> = {};
  for (const [name, pid] of Object.entries(pids)) perPid[name] = pid === undefined ? undefined : processCpuSeconds(pid);
  return { machine: machineCpu(), self: selfCpuSeconds(), pids: perPid };
}

/**
 * CPU seconds used between two marks: by this process ('bench'), by each named process, by every
 * other process of the machine ('others': other users' work too), plus idle and hypervisor steal.
 */
function cpuBetween(a: CpuMark, b: CpuMark): Record<string, number> {
  const round = (v: number) => Math.round(v * 100) / 100;
  const out: Record<string, number> = { bench: round(b.self - a.self) };
  let accounted = b.self - a.self;
  for (const name of Object.keys(b.pids)) {
    const used = (b.pids[name] ?? 0) - (a.pids[name] ?? 0);
    out[name] = round(used);
    accounted += used;
  }
  out.others = round(Math.max(0, b.machine.busy - a.machine.busy - accounted));
  out.idle = round(b.machine.idle - a.machine.idle);
  out.steal = round(b.machine.steal - a.machine.steal);
  return out;
}

function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

// ---------------------------------------------------------------------------------------------
// (c) one end-to-end run

interface E2eContext {
  s3: S3Client;
  client: Client;
  bucket: string;
  taskQueue: string;
  /** Processes whose CPU time each run accounts for. */
  pids: Record<string, number | undefined>;
  worker: WorkerProcess;
}

interface ActivityStat {
  activity: string;
  count: number;
  /** Sum of scheduled → completed, seconds. */
  totalSeconds: number;
  maxSeconds: number;
}

interface E2eResult {
  label: string;
  rows: number;
  fileBytes: number;
  uploadSeconds: number;
  /** Upload completed → report(s) covering every row listed. */
  seconds: number;
  rowsPerSec: number;
  reportObjects: number;
  counts: { valid: number; invalid: number };
  timeline: Record<string, number>;
  activities: ActivityStat[];
  /** CPU seconds used from upload completed to reports listed, per process (see cpuBetween). */
  cpu: Record<string, number>;
  loadAverageAfter: string;
}

async function uploadMultipart(s3: S3Client, bucket: string, key: string, path: string): Promise<string> {
  const upload = new Upload({
    client: s3,
    params: { Bucket: bucket, Key: key, Body: createReadStream(path) },
    partSize: UPLOAD_PART_BYTES,
    queueSize: 4,
  });
  const res = await upload.done();
  if (!res.ETag) throw new Error(`upload of ${key} returned no ETag`);
  return res.ETag;
}

async function listReportKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(res.Contents ?? []).map((o) => o.Key!).filter((k) => k.endsWith('_report.status')));
    token = res.NextContinuationToken;
  } while (token);
  return keys.sort();
}

async function readReport(s3: S3Client, bucket: string, key: string): Promise<StatusDocument> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(await res.Body!.transformToString()) as StatusDocument;
}

interface Coverage {
  /** performance.now() when the listing that completed the coverage returned. */
  listedAt: number;
  entries: StatusEntry[];
  reportObjects: number;
}

/** Polls the status prefix until the reports listed there cover `rows` rows of `fileKey`. */
async function waitForCoverage(ctx: E2eContext, statusPrefix: string, fileKey: string, rows: number, timeoutMs: number): Promise<Coverage> {
  const seen = new Map<string, StatusEntry[]>();
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    ctx.worker.assertRunning();
    const keys = await listReportKeys(ctx.s3, ctx.bucket, `${statusPrefix}/`);
    const listedAt = performance.now();
    for (const key of keys.filter((k) => !seen.has(k))) seen.set(key, (await readReport(ctx.s3, ctx.bucket, key))[fileKey] ?? []);
    const entries = [...seen.values()].flat();
    const covered = rowsIn(entries);
    if (covered > rows) throw new BenchFailure(`reports cover ${covered} rows of ${fileKey}, more than its ${rows}: an entry was reported twice`);
    if (covered === rows) return { listedAt, entries, reportObjects: seen.size };
    if (performance.now() > deadline) throw new Error(`after ${timeoutMs / 1000} s the reports cover ${covered} of ${rows} rows of ${fileKey}`);
    await sleep(REPORT_POLL_MS);
  }
}

async function runEndToEnd(ctx: E2eContext, label: string, file: EventFile, expected: ComboCounts): Promise<E2eResult> {
  const key = `incoming/${label}.snappy.parquet`;
  const statusPrefix = `status/${label}`;
  log(`(c) ${label}: uploading ${fmtMiB(file.bytes)} to moto (multipart)`);
  const uploadStarted = performance.now();
  const etag = await uploadMultipart(ctx.s3, ctx.bucket, key, file.path);
  const uploadedAt = performance.now();
  const uploadedAtWallMs = Date.now();
  const cpuAtUpload = markCpu(ctx.pids);
  log(`(c) ${label}: uploaded in ${fmtSec(uploadedAt - uploadStarted)}; starting the file workflow`);
  const started = await startFileWorkflow(ctx.client, {
    object: objectVersionOf(ctx.bucket, key, undefined, etag),
    originalCreationTime: uploadedAtWallMs,
    integration: { integrationId: 'bench', environments: ENVIRONMENTS, statusPrefix },
    reprocessWindowMs: 10 * 60_000,
    taskQueue: ctx.taskQueue,
    tuning: { statusFlushDelayMs: STATUS_FLUSH_DELAY_MS },
  });
  const coverage = await waitForCoverage(ctx, statusPrefix, key, file.rows, 30 * 60_000);
  const cpu = cpuBetween(cpuAtUpload, markCpu(ctx.pids));
  const elapsedMs = coverage.listedAt - uploadedAt;
  log(`(c) ${label}: reports cover all ${file.rows} rows after ${fmtSec(elapsedMs)}`);
  assertSameCounts(`(c) ${label} reported counts and the generator's expected counts`, expected, combosOfEntries(coverage.entries));
  const history = await historyAfterPass(started.handle);
  return {
    label,
    rows: file.rows,
    fileBytes: file.bytes,
    uploadSeconds: seconds(uploadedAt - uploadStarted),
    seconds: seconds(elapsedMs),
    rowsPerSec: Math.round(file.rows / (elapsedMs / 1000)),
    reportObjects: coverage.reportObjects,
    counts: { valid: rowsIn(coverage.entries, true), invalid: rowsIn(coverage.entries, false) },
    timeline: timelineOf(history, uploadedAtWallMs, uploadedAtWallMs + elapsedMs),
    activities: activityStats(history),
    cpu,
    loadAverageAfter: loadAverage(),
  };
}

function combosOfEntries(entries: StatusEntry[]): ComboCounts {
  const m: ComboCounts = new Map();
  for (const e of entries) addCount(m, e.errors.join(','), e.numberOfRows);
  return m;
}

// ---------------------------------------------------------------------------------------------
// Where the end-to-end time went, from the file workflow's history

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;
type HistoryEvent = NonNullable<History['events']>[number];
type LongLike = number | { toNumber(): number } | null | undefined;

const toNumber = (v: LongLike) => (v === null || v === undefined ? 0 : typeof v === 'number' ? v : v.toNumber());
const eventMs = (e: HistoryEvent) => toNumber(e.eventTime?.seconds) * 1000 + Math.floor((e.eventTime?.nanos ?? 0) / 1e6);

/** Waits until the pass has committed (so every activity of it is in the history), then fetches the history. */
async function historyAfterPass(handle: WorkflowHandle): Promise<History> {
  const deadline = Date.now() + 120_000;
  while ((await handle.query(progressQuery)).phase !== 'waiting-for-reprocess') {
    if (Date.now() > deadline) throw new Error(`file workflow ${handle.workflowId} did not finish its pass`);
    await sleep(200);
  }
  return handle.fetchHistory();
}

interface ActivitySpan {
  activity: string;
  scheduledMs: number;
  completedMs: number;
}

function activitySpans(history: History): ActivitySpan[] {
  const scheduled = new Map<number, { activity: string; at: number }>();
  const spans: ActivitySpan[] = [];
  for (const e of history.events ?? []) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) scheduled.set(toNumber(e.eventId), { activity: s.activityType?.name ?? '?', at: eventMs(e) });
    const c = e.activityTaskCompletedEventAttributes;
    const from = c ? scheduled.get(toNumber(c.scheduledEventId)) : undefined;
    if (from) spans.push({ activity: from.activity, scheduledMs: from.at, completedMs: eventMs(e) });
  }
  return spans;
}

function activityStats(history: History): ActivityStat[] {
  const byName = new Map<string, ActivityStat>();
  for (const span of activitySpans(history)) {
    const stat = byName.get(span.activity) ?? { activity: span.activity, count: 0, totalSeconds: 0, maxSeconds: 0 };
    const s = (span.completedMs - span.scheduledMs) / 1000;
    stat.count++;
    stat.totalSeconds = Math.round((stat.totalSeconds + s) * 1000) / 1000;
    stat.maxSeconds = Math.max(stat.maxSeconds, s);
    byName.set(span.activity, stat);
  }
  return [...byName.values()];
}

/** Seconds between milestones: upload done → workflow started → downloaded → inspected → chunks done → reports listed. */
function timelineOf(history: History, uploadedAtMs: number, listedAtMs: number): Record<string, number> {
  const events = history.events ?? [];
  const workflowStartedMs = events.length > 0 ? eventMs(events[0]!) : uploadedAtMs;
  const spans = activitySpans(history);
  const lastOf = (name: string) => Math.max(...spans.filter((s) => s.activity === name).map((s) => s.completedMs));
  const downloaded = lastOf('downloadFile');
  const inspected = lastOf('inspectFile');
  const chunksDone = lastOf('processChunk');
  const lastHandedToStatus = lastOf('reportEntries');
  const span = (a: number, b: number) => seconds(b - a);
  return {
    'upload done → workflow started': span(uploadedAtMs, workflowStartedMs),
    'workflow started → file downloaded': span(workflowStartedMs, downloaded),
    'downloaded → footer inspected': span(downloaded, inspected),
    'inspected → last chunk validated+stored': span(inspected, chunksDone),
    'last chunk → its entries handed to the status workflow': span(chunksDone, lastHandedToStatus),
    'handed over → report listed (flush delay, write, poll)': span(lastHandedToStatus, listedAtMs),
  };
}

// ---------------------------------------------------------------------------------------------
// (c)+(d) the whole service run

interface ServiceResults {
  small: E2eResult;
  big: E2eResult;
  worker: { rssAtReadyBytes: number; vmHwmBytes: number; maxSampledRssBytes: number; samples: number; env: Record<string, string> };
}

async function benchServices(cleanup: Cleanup, small: EventFile, big: EventFile, expected: { small: ComboCounts; big: ComboCounts }): Promise<ServiceResults> {
  log('(c) starting moto and a Temporal dev server');
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
  log('(c) starting the worker process');
  const worker = await startWorkerProcess(cleanup, workerEnv(temporal.address, moto.endpoint, warehouse, taskQueue));
  const rssAtReadyBytes = procStatusBytes(worker.pid, 'VmRSS') ?? 0;
  const sampler = new RssSampler(worker.pid);
  try {
    const pids = { worker: worker.pid, moto: childPidMatching('moto_server'), temporal: temporal.pid };
    const ctx: E2eContext = { s3, client: temporal.client, bucket, taskQueue, pids, worker };
    const smallResult = await runEndToEnd(ctx, `rows-${SMALL_ROWS}`, small, expected.small);
    const bigResult = await runEndToEnd(ctx, `rows-${BIG_ROWS}`, big, expected.big);
    const vmHwmBytes = procStatusBytes(worker.pid, 'VmHWM');
    if (vmHwmBytes === undefined) throw new Error(`could not read VmHWM of worker ${worker.pid}: did it exit?`);
    return {
      small: smallResult,
      big: bigResult,
      worker: { rssAtReadyBytes, vmHwmBytes, maxSampledRssBytes: sampler.maxRssBytes, samples: sampler.samples, env: worker.env },
    };
  } finally {
    sampler.stop();
  }
}

/** The worker's own S3 client settings (src/s3.ts), pointed at moto. */
function createBenchS3(moto: Moto): S3Client {
  return createS3Client({ AWS_REGION: 'us-east-1', S3_ENDPOINT: moto.endpoint, S3_FORCE_PATH_STYLE: true });
}

// ---------------------------------------------------------------------------------------------
// Report

interface Target {
  name: string;
  target: string;
  measured: string;
  pass: boolean;
}

function evaluateTargets(local: LocalResults, services: ServiceResults): Target[] {
  return [
    {
      name: '(a)/(b) validateLocalFile time vs baseline',
      target: `≤ ${TARGETS.oursVsBaselineMaxRatio}x`,
      measured: `${local.ratio.toFixed(2)}x`,
      pass: local.ratio <= TARGETS.oursVsBaselineMaxRatio,
    },
    {
      name: `(c) end to end, ${BIG_ROWS / 1e6}M rows`,
      target: `≥ ${fmtRate(TARGETS.e2eBigMinRowsPerSec)}`,
      measured: `${fmtRate(services.big.rowsPerSec)} (${services.big.seconds.toFixed(2)} s)`,
      pass: services.big.rowsPerSec >= TARGETS.e2eBigMinRowsPerSec,
    },
    {
      name: `(c) end to end, ${SMALL_ROWS / 1e3}k rows`,
      target: `≤ ${TARGETS.e2eSmallMaxSeconds} s`,
      measured: `${services.small.seconds.toFixed(2)} s`,
      pass: services.small.seconds <= TARGETS.e2eSmallMaxSeconds,
    },
    {
      name: '(d) worker peak RSS (VmHWM)',
      target: `< ${fmtMiB(TARGETS.workerPeakRssMaxBytes)}`,
      measured: fmtMiB(services.worker.vmHwmBytes),
      pass: services.worker.vmHwmBytes < TARGETS.workerPeakRssMaxBytes,
    },
  ];
}

function printMachine(m: Machine, loadAtStart: string, busyAtStart: number): void {
  console.log('\nMachine');
  const lines: [string, string][] = [
    ['CPU', m.cpuModel],
    ['cores', String(m.cores)],
    ['memory', `${(m.totalMemoryBytes / GIB).toFixed(1)} GiB`],
    ['node', m.node],
    ['DuckDB', `${m.duckdb} (@duckdb/node-api ${m.duckdbNodeApi})`],
    ['Temporal CLI', m.temporalCli],
    ['moto', m.moto],
    ['load average at start', loadAtStart],
    ['CPUs busy at start', `${(busyAtStart * 100).toFixed(0)}% (over 1 s, before the bench did anything)`],
  ];
  for (const [k, v] of lines) console.log(`  ${k.padEnd(22)} ${v}`);
}

function printFile(file: EventFile, counts: LocalResults['counts']): void {
  console.log(`\nEvent file: ${file.path}`);
  console.log(
    `  ${file.rows} rows, ${fmtMiB(file.bytes)}, snappy, ${file.rowGroups} row groups (DuckDB default), ` +
      `${file.reused ? 'reused' : `generated in ${file.generationSeconds} s (not timed)`}`,
  );
  console.log(`  valid ${counts.valid}, invalid ${counts.invalid} (${((100 * counts.invalid) / file.rows).toFixed(2)}%)`);
  for (const [codes, n] of Object.entries(counts.byCodes).filter(([k]) => k !== '')) console.log(`    ${codes}: ${n}`);
}

function printLocal(local: LocalResults, rows: number): void {
  console.log(`\nLocal validation of ${rows} rows, ${DUCKDB_THREADS} DuckDB threads, memory limit ${DEFAULTS.DUCKDB_MEMORY_LIMIT}, best of ${RUNS}`);
  const cpuOf = (r: TimedRuns) => r.runsCpu.map((c) => `${c.bench!.toFixed(1)}/${c.others!.toFixed(1)}`).join(' ');
  const row = (name: string, r: TimedRuns) => [name, r.runsSeconds.map((s) => s.toFixed(2)).join(' / '), r.bestSeconds.toFixed(2), fmtRate(r.bestRowsPerSec), cpuOf(r)];
  console.log(
    renderTable(
      ['', 'runs (s)', 'best (s)', 'best rate', 'CPU s per run: ours/other processes'],
      [
        row(`(a) validateLocalFile, chunks of ${DEFAULTS.CHUNK_TARGET_ROWS}`, local.ours),
        row('(b) DuckDB baseline, one query', local.baseline),
      ],
    ),
  );
  console.log(`  (a)/(b) = ${local.ratio.toFixed(2)}x by best wall time, ${local.cpuRatio.toFixed(2)}x by least CPU time`);
  console.log(`  (a) and (b) agree on every code combination (valid ${local.counts.valid}, invalid ${local.counts.invalid})`);
}

function printEndToEnd(services: ServiceResults): void {
  console.log(`\nEnd to end (upload completed → report covering every row listed), status flush delay ${STATUS_FLUSH_DELAY_MS} ms (production default 5000 ms)`);
  const rows = [services.small, services.big].map((r) => [
    `${r.rows} rows`,
    fmtMiB(r.fileBytes),
    r.uploadSeconds.toFixed(2),
    r.seconds.toFixed(2),
    fmtRate(r.rowsPerSec),
    String(r.reportObjects),
  ]);
  console.log(renderTable(['file', 'size', 'upload (s, untimed)', 'e2e (s)', 'rate', 'reports'], rows));
  for (const r of [services.small, services.big]) {
    console.log(`\n  Where the ${r.rows}-row run went (s):`);
    for (const [k, v] of Object.entries(r.timeline)) console.log(`    ${k.padEnd(56)} ${v.toFixed(2)}`);
    console.log(`    CPU seconds meanwhile: ${Object.entries(r.cpu).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
    console.log(
      '    activities (count, total s scheduled→completed, max s): ' +
        r.activities.map((a) => `${a.activity} ${a.count}× ${a.totalSeconds.toFixed(2)} (max ${a.maxSeconds.toFixed(2)})`).join('; '),
    );
  }
  const w = services.worker;
  console.log(`\nWorker process: VmRSS when ready ${fmtMiB(w.rssAtReadyBytes)}; VmHWM after the runs ${fmtMiB(w.vmHwmBytes)}; max VmRSS sampled every ${RSS_SAMPLE_MS} ms ${fmtMiB(w.maxSampledRssBytes)} (${w.samples} samples)`);
}

function printTargets(targets: Target[]): void {
  console.log('\nTargets');
  console.log(renderTable(['figure', 'target', 'measured', ''], targets.map((t) => [t.name, t.target, t.measured, verdict(t.pass)])));
}

// ---------------------------------------------------------------------------------------------

const cleanup = new Cleanup();

async function main(): Promise<void> {
  installSignalHandlers(cleanup);
  try {
    await mkdir(OUT_DIR, { recursive: true });
    const loadAtStart = loadAverage();
    const busyAtStart = await warnIfBusy();
    log(`event files: ${BIG_ROWS} and ${SMALL_ROWS} rows in ${OUT_DIR}`);
    const big = await ensureEventFile(BIG_ROWS);
    const small = await ensureEventFile(SMALL_ROWS);
    const expected = { big: expectedCombos(BIG_ROWS), small: expectedCombos(SMALL_ROWS) };
    const machine = await machineDescription();
    const local = await benchLocal(big, expected.big);
    const services = await benchServices(cleanup, small, big, expected);
    const targets = evaluateTargets(local, services);

    printMachine(machine, loadAtStart, busyAtStart);
    printFile(big, local.counts);
    printLocal(local, big.rows);
    printEndToEnd(services);
    printTargets(targets);
    const note = contentionNote(local, services);
    if (note) console.log(`\n${note}`);
    const resultsPath = join(OUT_DIR, 'results.json');
    const results = {
      at: new Date().toISOString(),
      machine: { ...machine, loadAverageAtStart: loadAtStart, busyShareAtStart: busyAtStart },
      settings: { duckdbThreads: DUCKDB_THREADS, duckdbMemoryLimit: DEFAULTS.DUCKDB_MEMORY_LIMIT, chunkTargetRows: DEFAULTS.CHUNK_TARGET_ROWS, statusFlushDelayMs: STATUS_FLUSH_DELAY_MS, runs: RUNS },
      files: { big, small },
      local,
      endToEnd: { small: services.small, big: services.big },
      worker: services.worker,
      targets,
    };
    await writeFile(resultsPath, JSON.stringify(results, null, 2) + '\n');
    console.log(`\nWrote ${resultsPath}`);
  } finally {
    await cleanup.runAll();
  }
}

/** Share of the machine's CPU time that was busy over one second, before the bench does anything. */
async function busyShareNow(): Promise<number> {
  const a = machineCpu();
  await sleep(1_000);
  const b = machineCpu();
  const busy = b.busy - a.busy;
  return busy / Math.max(0.01, busy + b.idle - a.idle);
}

async function warnIfBusy(): Promise<number> {
  const share = await busyShareNow();
  if (share > 0.25) {
    log(`WARNING: the CPUs are ${(share * 100).toFixed(0)}% busy before the bench starts: other processes compete, timings will be pessimistic`);
  }
  return Math.round(share * 100) / 100;
}

/** A note when other processes took a noticeable share of the CPUs during the timed parts. */
function contentionNote(local: LocalResults, services: ServiceResults): string | undefined {
  const timed = [...local.ours.runsCpu, ...local.baseline.runsCpu, services.small.cpu, services.big.cpu];
  const others = timed.reduce((n, c) => n + (c.others ?? 0), 0);
  const all = timed.reduce((n, c) => n + Object.entries(c).filter(([k]) => k !== 'steal').reduce((m, [, v]) => m + v, 0), 0);
  if (others <= 0.05 * all) return undefined;
  return `NOTE: other processes used ${others.toFixed(1)} of ${all.toFixed(1)} CPU seconds during the timed parts: the figures are pessimistic; run again on a quiet machine.`;
}

async function machineDescription(): Promise<Machine> {
  const db = await openDuckDb({ memoryLimit: '64MB', threads: 1, tempDirectory: OUT_DIR });
  try {
    return await describeMachine(db);
  } finally {
    db.closeSync();
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      if (cleanup.interrupted) return; // the signal handler stops everything and exits
      console.error(err instanceof BenchFailure ? `\nBENCH FAILED: ${err.message}` : err);
      process.exit(1);
    },
  );
}
