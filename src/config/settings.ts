import { z } from 'zod';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** EXPORT_CONCURRENCY's default; the worker also sizes libuv's pool from it before settings load. */
export const DEFAULT_EXPORT_CONCURRENCY = 2;

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 500ms, 5s, 10m, 2h or 7d')
  .transform((v) => {
    const n = Number(v.match(/^\d+/)![0]);
    const unit = v.replace(/^\d+/, '');
    return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit as 'ms' | 's' | 'm' | 'h' | 'd'];
  });

/**
 * A byte size: plain bytes, or a number with a decimal (KB, MB, GB, TB) or binary (KiB, MiB, GiB,
 * TiB) unit, as DuckDB reads them.
 */
const BYTE_UNITS: Record<string, number> = { b: 1, kb: 1e3, mb: 1e6, gb: 1e9, tb: 1e12, kib: 2 ** 10, mib: 2 ** 20, gib: 2 ** 30, tib: 2 ** 40 };
const byteSize = z
  .string()
  .regex(/^\d+(\.\d+)?\s*([KMGT]i?B|B)?$/i, 'a size such as 64GiB, 500MB or 1048576')
  .transform((v) => {
    const [, n, unit] = v.match(/^(\d+(?:\.\d+)?)\s*(\w*)$/)!;
    return Math.floor(Number(n) * BYTE_UNITS[(unit || 'b').toLowerCase()]!);
  })
  .pipe(z.number().int().positive());

const settingsObject = z.object({
  TEMPORAL_ADDRESS: z.string().default('localhost:7233'),
  TEMPORAL_NAMESPACE: z.string().default('default'),
  TASK_QUEUE: z.string().min(1).default('fme-s3-integration'),
  AWS_REGION: z.string().default('us-east-1'),
  S3_ENDPOINT: z.url().optional(),
  S3_FORCE_PATH_STYLE: bool.default(false),
  WAREHOUSE_BUCKET: z.string().min(3).default('fme-events-warehouse'),
  WAREHOUSE_PREFIX: z.string().default('events'),
  WORK_DIR: z.string().default(join(tmpdir(), 'fme-s3-integration')),
  CHUNK_TARGET_ROWS: z.coerce.number().int().positive().default(1_000_000),
  STATUS_FLUSH_DELAY: duration.default(5_000),
  STATUS_PASS_WAIT: duration.default(60_000),
  REPROCESS_WINDOW: duration.default(7 * 86_400_000),
  DUCKDB_MEMORY_LIMIT: z.string().regex(/^\d+(\.\d+)?\s*(KB|MB|GB|KiB|MiB|GiB)$/i, 'a size such as 512MB').default('512MB'),
  DUCKDB_THREADS: z.coerce.number().int().positive().default(2),
  WORKER_MAX_CONCURRENT_CHUNKS: z.coerce.number().int().positive().default(2),
  // Admission: the bytes of files one worker holds at once (each counts at least WORKER_MIN_FILE_COST
  // for its fixed disk, DuckDB and staging cost); a file bigger than the whole capacity still runs
  // when the worker holds nothing else.
  WORKER_CAPACITY: byteSize.default(2 * 2 ** 30),
  WORKER_MIN_FILE_COST: byteSize.default(16 * 2 ** 20),
  // Files up to this size are processed in one activity on any worker (the small-file path).
  SMALL_FILE_MAX_BYTES: byteSize.default(4 * 2 ** 20),
  SMALL_FILE_CONCURRENCY: z.coerce.number().int().positive().default(8),
  // A worker whose lease on a file has not heartbeated for this long is taken as lost.
  // At least 10 s: leases heartbeat every 3 s, and a shorter timeout would take a slow heartbeat for a dead worker.
  LEASE_TIMEOUT: duration.pipe(z.number().min(10_000, 'at least 10s (leases heartbeat every 3 s)')).default(20_000),
  // Integrations: what `integration create` prints for the customer to paste. The endpoint URL is
  // this base plus /v1/integrations/<id>/notifications; TLS is terminated in front of the service.
  PUBLIC_BASE_URL: z.url().default('http://localhost:8080'),
  // The role our workers assume to read customers' buckets; the generated policies grant it access.
  FME_ROLE_ARN: z
    .string()
    .regex(/^arn:aws(-cn|-us-gov)?:iam::\d{12}:role\/[\w+=,.@/-]+$/, 'an IAM role ARN such as arn:aws:iam::123456789012:role/fme-s3-integration')
    .default('arn:aws:iam::000000000000:role/fme-s3-integration'),
  // The notification endpoint (npm run endpoint): where it listens, and TLS when it is not
  // terminated in front of it (both files or neither).
  HTTP_HOST: z.string().default('0.0.0.0'),
  HTTP_PORT: z.coerce.number().int().min(0).max(65535).default(8080),
  TLS_CERT_FILE: z.string().min(1).optional(),
  TLS_KEY_FILE: z.string().min(1).optional(),
  // How long the endpoint uses the integrations' published records before reading them again.
  INTEGRATION_CACHE_TTL: duration.default(5_000),
  // Local SNS peers only (moto): fetch SNS's signing certificates from this endpoint instead of
  // sns.<region>.amazonaws.com (the URL in the message is still checked to be SNS's own).
  SNS_CERTIFICATE_ENDPOINT: z.url().optional(),
  // The reconciliation sweep: how often each integration's bucket is listed, how old an object
  // must be before a missing notification counts, and how far back the sweep looks.
  SWEEP_INTERVAL: duration.pipe(z.number().min(10_000, 'at least 10s')).default(5 * 60_000),
  SWEEP_GRACE: duration.default(2 * 60_000),
  SWEEP_LOOKBACK: duration.default(24 * 3_600_000),
  // The impression intake (npm run intake): the SDKs' events URL is http(s)://<host>:<port>/api.
  // It listens on HTTP_HOST (and serves TLS with the same files as the endpoint).
  // What `intake key add` tells SDK owners to set as the events URL (plus /api).
  INTAKE_PUBLIC_URL: z.url().default('http://localhost:8090'),
  INTAKE_PORT: z.coerce.number().int().min(0).max(65535).default(8090),
  // A Node SDK posts its whole queue at once: 30,000 impressions are about 4.6 MB of JSON.
  INTAKE_MAX_BODY_BYTES: byteSize.pipe(z.number().min(10 * 2 ** 20, 'at least 10MiB (an SDK posts up to about 5 MB at once)')).default(16 * 2 ** 20),
  // A batch not durable by then is answered 503, so an SDK (whose single retry a late answer
  // would spend, and which sets no timeout of its own) always hears back.
  INTAKE_ANSWER_DEADLINE: duration.pipe(z.number().min(1_000, 'at least 1s')).default(5_000),
  // Batches converted and stored at once; more wait their turn within the deadline.
  INTAKE_CONCURRENCY: z.coerce.number().int().positive().default(4),
  // The request bodies one intake holds at once; beyond it a batch is answered 503 at once.
  INTAKE_MAX_INFLIGHT_BYTES: byteSize.default(512 * 2 ** 20),
  // How long an intake trusts an SDK key's record: a revoked key stops working within this.
  INTAKE_KEY_CACHE_TTL: duration.default(30_000),
  // Outbound exports: each window's run starts this long after the window ends (the schedule's
  // offset), so batches stamped before the end but stored just after it are in it.
  EXPORT_SETTLE_DELAY: duration
    .pipe(z.number().min(10_000, 'at least 10s (the intake answers within INTAKE_ANSWER_DEADLINE)').multipleOf(1_000, 'whole seconds (schedules run on whole seconds)'))
    .default(2 * 60_000),
  // Impressions received this long before a window are read to drop the repeats of a retried SDK batch.
  EXPORT_DEDUP_LOOKBACK: duration.default(60 * 60_000),
  // Window exports one worker runs at once (each on its own integration's window).
  // At least 2: one integration's long window then never holds every slot of a worker.
  EXPORT_CONCURRENCY: z.coerce.number().int().min(2, 'at least 2, so one long export never holds them all').default(DEFAULT_EXPORT_CONCURRENCY),
  LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
  // Where the worker serves Prometheus metrics (the Temporal runtime's exporter, GET /metrics):
  // host:port; the empty string turns them off.
  WORKER_METRICS_ADDRESS: z
    .string()
    .regex(/^$|^(\[[0-9a-fA-F:.]+\]|[^\s:/[\]]+):\d{1,5}$/, 'host:port such as 0.0.0.0:9464, or empty to turn the metrics off')
    .default('0.0.0.0:9464'),
  // Whole-file gzip/bzip2 output limits, so a decompression bomb cannot fill WORK_DIR. 64 GiB is
  // far above what a 1 GB file becomes (Parquet inside is already compressed: whole-file gzip
  // gains 1-3x, 10x on an uncompressed Parquet file) and bounds what one file may take from the
  // disk. Deflate cannot exceed about 1032:1, so 1000 stops gzip'd runs of zeros, while no real
  // Parquet file compresses anywhere near that.
  DECOMPRESSED_MAX_BYTES: byteSize.default(64 * 2 ** 30),
  DECOMPRESSION_MAX_RATIO: z.coerce.number().positive().default(1000),
});
/** The name of every setting (environment variable). */
export const SETTING_NAMES = Object.keys(settingsObject.shape) as (keyof z.infer<typeof settingsObject>)[];

/** Every setting, its environment variable and default. The README's configuration table mirrors this. */
export const settingsSchema = settingsObject.superRefine((s, ctx) => {
  if ((s.TLS_CERT_FILE === undefined) !== (s.TLS_KEY_FILE === undefined)) {
    ctx.addIssue({ code: 'custom', path: [s.TLS_CERT_FILE === undefined ? 'TLS_CERT_FILE' : 'TLS_KEY_FILE'], message: 'set TLS_CERT_FILE and TLS_KEY_FILE together, or neither' });
  }
  if (s.SWEEP_LOOKBACK <= s.SWEEP_GRACE) {
    ctx.addIssue({ code: 'custom', path: ['SWEEP_LOOKBACK'], message: 'longer than SWEEP_GRACE' });
  }
  if (s.SWEEP_LOOKBACK >= s.REPROCESS_WINDOW) {
    // A file the sweep may still start again must have an open workflow, or it would run twice.
    ctx.addIssue({ code: 'custom', path: ['SWEEP_LOOKBACK'], message: 'shorter than REPROCESS_WINDOW' });
  }
});
export type Settings = z.infer<typeof settingsSchema>;

export class ConfigError extends Error {}

/** Reads and validates settings; the error lists every variable to fix and what it expects. */
export function loadSettings(env: NodeJS.ProcessEnv = process.env): Settings {
  const parsed = settingsSchema.safeParse(env);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message} (got ${JSON.stringify(env[String(i.path[0])])})`);
  throw new ConfigError(`Invalid configuration; set these environment variables:\n${lines.join('\n')}`);
}
