/**
 * Figure (i)'s data: intake files as the intake writes them (one zstd Parquet file per SDK POST of
 * 16,000 impressions, the warehouse's columns and content hash), planned in plain arithmetic,
 * generated with DuckDB in SQL and cached under bench/out/export-data. About 3% of the window's
 * batches arrive twice (a retried POST: the same impressions, received again 1.5-2.1 s later), and
 * a few batches received in the minute before the window are retried inside it, so both of the
 * export's deduplications work.
 */
import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { openDuckDb, sqlIdent, sqlString, withConnection, type DuckDBConnection } from '../src/parquet/duckdb';
import { contentHashSql, INTAKE_COLUMNS } from '../src/parquet/impressionSql';
import { log, seconds } from './format';
import { DEFAULTS, OUT_DIR } from './params';

/** Impressions of the window after deduplication (`--export-rows N` changes it). */
export const EXPORT_ROWS = 10_000_000;
/** Impressions per intake file: one SDK POST. */
export const EXPORT_BATCH_ROWS = 16_000;
/** The window: 30 minutes, whole minutes, as the export schedules cut them. */
export const EXPORT_WINDOW = { start: Date.UTC(2026, 0, 15, 10, 0), end: Date.UTC(2026, 0, 15, 10, 30) };
/** The production default of EXPORT_DEDUP_LOOKBACK (an hour). */
export const EXPORT_LOOKBACK_MS = DEFAULTS.EXPORT_DEDUP_LOOKBACK;
/** Window batches b with b % 33 = 7 are posted twice (≈ 3%). */
const RETRY_EVERY = 33;
const RETRY_PHASE = 7;
/** Batches received in the minute before the window: 2% of the window's, half of them retried inside it. */
const LOOKBACK_SHARE = 0.02;
export const EXPORT_ENVIRONMENT = '6f0c8a52-3d1e-4b7a-9e55-2a7c1d9b4f10';
const DATA_DIR = join(OUT_DIR, 'export-data');
const MINUTE_MS = 60_000;


interface Batch {
  /** Impressions [first, first + rows) of the generator. */
  first: number;
  rows: number;
  /** When the SDK first posted it (impression times lie just before). */
  postedMs: number;
  /** When this copy was received (the post, or its retry). */
  receivedMs: number;
  /** Which SDK posted it (SDK_KINDS index). */
  sdk: number;
  file: string;
}

/** The SDKs posting to the environment: server SDKs with a machine, a browser SDK without. */
const SDK_KINDS = [
  { sdk: 'nodejs', sdkVersion: '11.11.2', keyId: 'sdkkey-server-01', machine: true },
  { sdk: 'java', sdkVersion: '4.13.0', keyId: 'sdkkey-server-01', machine: true },
  { sdk: 'python', sdkVersion: '10.2.0', keyId: 'sdkkey-server-02', machine: true },
  { sdk: 'javascript', sdkVersion: '11.4.1', keyId: 'sdkkey-browser-01', machine: false },
];
/** Batch b's SDK: 5 in 10 Node, 2 Java, 1 Python, 2 browser. */
const sdkOf = (b: number) => [0, 0, 0, 0, 0, 1, 1, 2, 3, 3][b % 10]!;

export interface ExportDataPlan {
  rows: number;
  batches: Batch[];
  /** Rows received in the window (retries included): what the export reads beside the lookback's. */
  receivedInWindow: number;
  /** Window rows whose impression was received earlier: the export must drop exactly these. */
  expectedDuplicates: number;
  windowFiles: number;
  retriedInWindow: number;
  lookbackFiles: number;
  lookbackRetried: number;
}

/** Which files hold which impressions, when they were received: plain arithmetic, no SQL. */
export function planExportData(rows: number): ExportDataPlan {
  const { start, end } = EXPORT_WINDOW;
  const span = end - start - 5_000;
  const windowBatches = Math.ceil(rows / EXPORT_BATCH_ROWS);
  const batches: Batch[] = [];
  const name = (received: number, b: string) => `batch-${received}-${b}.zstd.parquet`;
  let expectedDuplicates = 0;
  let retriedInWindow = 0;
  for (let b = 0; b < windowBatches; b++) {
    const first = b * EXPORT_BATCH_ROWS;
    const n = Math.min(EXPORT_BATCH_ROWS, rows - first);
    const posted = start + Math.floor((b * span) / windowBatches) + ((b * 37) % 1000);
    batches.push({ first, rows: n, postedMs: posted, receivedMs: posted, sdk: sdkOf(b), file: name(posted, `w${b}`) });
    if (b % RETRY_EVERY === RETRY_PHASE) {
      const again = posted + 1_500 + (b % 7) * 100;
      batches.push({ first, rows: n, postedMs: posted, receivedMs: again, sdk: sdkOf(b), file: name(again, `w${b}-retry`) });
      expectedDuplicates += n;
      retriedInWindow++;
    }
  }
  const lookbackBatches = Math.max(2, Math.round(windowBatches * LOOKBACK_SHARE));
  let lookbackRetried = 0;
  for (let k = 0; k < lookbackBatches; k++) {
    const first = rows + k * EXPORT_BATCH_ROWS;
    const posted = start - MINUTE_MS + Math.floor((k * 55_000) / lookbackBatches);
    batches.push({ first, rows: EXPORT_BATCH_ROWS, postedMs: posted, receivedMs: posted, sdk: sdkOf(k), file: name(posted, `l${k}`) });
    if (k % 2 === 0) {
      const again = posted + 90_000; // inside the window
      batches.push({ first, rows: EXPORT_BATCH_ROWS, postedMs: posted, receivedMs: again, sdk: sdkOf(k), file: name(again, `l${k}-retry`) });
      expectedDuplicates += EXPORT_BATCH_ROWS;
      lookbackRetried++;
    }
  }
  const receivedInWindow = batches.filter((x) => x.receivedMs >= start && x.receivedMs < end).reduce((n, x) => n + x.rows, 0);
  return { rows, batches, receivedInWindow, expectedDuplicates, windowFiles: windowBatches + retriedInWindow + lookbackRetried, retriedInWindow, lookbackFiles: lookbackBatches, lookbackRetried };
}

const FLAG_AREAS = ['checkout', 'onboarding', 'search', 'pricing', 'recommendations', 'billing', 'profile', 'notifications', 'dashboard', 'mobile_nav'];
const FLAG_KINDS = ['v2', 'experiment', 'rollout', 'killswitch', 'beta'];
const sqlList = (xs: string[]) => `[${xs.map(sqlString).join(', ')}]`;

/**
 * One intake file's rows in the warehouse's columns (INTAKE_COLUMNS, intake types): impression i
 * is the same in every copy of its batch; only receptionTimestamp tells a retry apart.
 * - key `user-<n>` over 1,000,003 users; bucketingKey on 1 in 10; 50 flags, grouped as in an SDK
 *   bulk body; treatment control 3%, on 47%, off 50%, with labels to match; label null on 1 in 997
 *   and splitVersion on 1 in 1009 (older SDKs); properties JSON on 1 in 5; previousTime on 4 in 5;
 *   machineName and machineIp null for the browser SDK.
 */
function batchSql(b: Batch): string {
  const kind = SDK_KINDS[b.sdk]!;
  const machine = kind.machine ? `'ip-10-0-' || ${b.first / EXPORT_BATCH_ROWS} % 64 || '-' || ${b.sdk + 10}` : 'NULL::VARCHAR';
  const ip = kind.machine ? `'10.0.' || ${b.first / EXPORT_BATCH_ROWS} % 64 || '.' || ${b.sdk + 10}` : 'NULL::VARCHAR';
  const v: Record<string, string> = {
    key: `'user-' || ((i * 7919 + 17) % 1000003)`,
    label: `CASE WHEN h % 997 = 1 THEN NULL WHEN h % 100 < 3 THEN 'definition not found' WHEN h % 100 < 18 THEN 'in segment beta_testers' WHEN h % 100 < 24 THEN 'whitelisted' ELSE 'default rule' END`,
    treatment: `CASE WHEN h % 100 < 3 THEN 'control' WHEN h % 100 < 50 THEN 'on' ELSE 'off' END`,
    splitName: `'ff_' || ${sqlList(FLAG_AREAS)}[1 + f % 10] || '_' || ${sqlList(FLAG_KINDS)}[1 + f // 10]`,
    splitVersion: `CASE WHEN h % 1009 = 2 THEN NULL ELSE 1764000000000 + f * 86400000 END::BIGINT`,
    properties: `CASE WHEN i % 5 = 1 THEN '{"plan":"' || ['free', 'pro', 'enterprise'][1 + i % 3] || '","country":"' || ['US', 'DE', 'FR', 'BR', 'JP', 'IN'][1 + i % 6] || '","seat":' || (i % 250) || '}' ELSE NULL END`,
    environmentId: sqlString(EXPORT_ENVIRONMENT),
    trafficTypeId: `CASE WHEN f % 10 = 7 THEN 'account' ELSE 'user' END`,
    sdk: sqlString(kind.sdk),
    sdkVersion: sqlString(kind.sdkVersion),
    machineName: machine,
    machineIp: ip,
    timestamp: `(${b.postedMs} - 5000 - (i % ${EXPORT_BATCH_ROWS}) * 2)::BIGINT`,
    receptionTimestamp: `${b.receivedMs}::BIGINT`,
    bucketingKey: `CASE WHEN i % 10 = 3 THEN 'account-' || (i * 31 % 50000) ELSE NULL END`,
    previousTime: `CASE WHEN i % 5 <> 0 THEN ${b.postedMs} - 65000 - (i % 3600000) ELSE NULL END::BIGINT`,
    sdkKeyId: sqlString(kind.keyId),
  };
  const base = Object.entries(v).map(([k, e]) => `${e} AS ${sqlIdent(k)}`).join(', ');
  const hash = contentHashSql({
    sdkKeyId: '"sdkKeyId"',
    environmentId: '"environmentId"',
    splitName: '"splitName"',
    key: '"key"',
    bucketingKey: '"bucketingKey"',
    treatment: '"treatment"',
    timestamp: '"timestamp"',
    splitVersion: '"splitVersion"',
    label: '"label"',
    properties: '"properties"',
  });
  const select = INTAKE_COLUMNS.map((c) => (c.name === 'contentHash' ? `${hash} AS "contentHash"` : sqlIdent(c.name))).join(', ');
  return `SELECT ${select} FROM (
      SELECT ${base} FROM (
        SELECT i, (i * 2654435761) % 1000003 AS h, ((i % ${EXPORT_BATCH_ROWS}) * 50) // ${EXPORT_BATCH_ROWS} AS f FROM range(${b.first}, ${b.first + b.rows}) t(i)
      )
    )`;
}

export interface ExportData {
  dir: string;
  files: string[];
  bytes: number;
  reused: boolean;
  generationSeconds: number;
  plan: Omit<ExportDataPlan, 'batches'>;
  /** Counted with DuckDB after generating: all rows of all files, and their distinct content hashes. */
  check: { rows: number; distinctHashes: number };
}

function generationParams(plan: ExportDataPlan): string {
  const sql = createHash('sha256');
  for (const b of plan.batches) sql.update(batchSql(b));
  return JSON.stringify({ rows: plan.rows, files: plan.batches.length, codec: 'zstd', sqlSha256: sql.digest('hex') });
}

/** Writes the intake files (one DuckDB COPY each, zstd as the intake writes them), unless the same parameters made them before. */
export async function ensureExportData(rows: number): Promise<ExportData> {
  const plan = planExportData(rows);
  const paramsPath = join(DATA_DIR, 'params.json');
  const checkPath = join(DATA_DIR, 'check.json');
  const params = generationParams(plan);
  const reused = existsSync(paramsPath) && existsSync(checkPath) && (await readFile(paramsPath, 'utf8')) === params;
  const files = plan.batches.map((b) => join(DATA_DIR, b.file));
  const started = performance.now();
  let check: ExportData['check'];
  if (reused) {
    check = JSON.parse(await readFile(checkPath, 'utf8')) as ExportData['check'];
  } else {
    log(`(i) generating ${plan.batches.length} intake files (${rows.toLocaleString('en-US')} impressions in the window) in ${DATA_DIR}`);
    await rm(DATA_DIR, { recursive: true, force: true });
    await mkdir(DATA_DIR, { recursive: true });
    const db = await openDuckDb({ memoryLimit: '1GB', threads: DEFAULTS.DUCKDB_THREADS, tempDirectory: DATA_DIR });
    try {
      // Two connections: each file is a small query, so two at once keep both threads busy.
      const queue = [...plan.batches];
      const writer = (conn: DuckDBConnection) => async () => {
        for (let b = queue.shift(); b; b = queue.shift()) await conn.run(`COPY (${batchSql(b)}) TO ${sqlString(join(DATA_DIR, b.file))} (FORMAT parquet, COMPRESSION zstd)`);
      };
      await Promise.all([0, 1].map(() => withConnection(db, (c) => writer(c)())));
      const [row] = (await withConnection(db, (c) => c.runAndReadAll(`SELECT count(*), count(DISTINCT "contentHash") FROM read_parquet(${sqlString(join(DATA_DIR, '*.parquet'))})`))).getRows();
      check = { rows: Number(row![0]), distinctHashes: Number(row![1]) };
    } finally {
      db.closeSync();
    }
    const expectedRows = plan.batches.reduce((n, b) => n + b.rows, 0);
    const distinct = rows + plan.lookbackFiles * EXPORT_BATCH_ROWS;
    if (check.rows !== expectedRows || check.distinctHashes !== distinct) {
      throw new Error(`(i) generated ${check.rows} rows with ${check.distinctHashes} distinct content hashes; the plan says ${expectedRows} and ${distinct}`);
    }
    await writeFile(checkPath, JSON.stringify(check));
    await writeFile(paramsPath, params);
  }
  const generationSeconds = seconds(performance.now() - started);
  let bytes = 0;
  for (const f of files) bytes += (await stat(f)).size;
  const summary = { rows: plan.rows, receivedInWindow: plan.receivedInWindow, expectedDuplicates: plan.expectedDuplicates, windowFiles: plan.windowFiles, retriedInWindow: plan.retriedInWindow, lookbackFiles: plan.lookbackFiles, lookbackRetried: plan.lookbackRetried };
  return { dir: DATA_DIR, files, bytes, reused, generationSeconds, plan: summary, check };
}

/** Reads every file once so the timed runs all start with them in the page cache. */
export async function warmPageCache(files: string[]): Promise<void> {
  for (const f of files) {
    await new Promise<void>((resolve, reject) => {
      const s = createReadStream(f, { highWaterMark: 1 << 20 });
      s.on('data', () => undefined).on('end', resolve).on('error', reject);
    });
  }
}

