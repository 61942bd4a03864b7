import { z } from 'zod';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const bool = z.enum(['true', 'false', '1', '0']).transform((v) => v === 'true' || v === '1');
const duration = z
  .string()
  .regex(/^\d+(ms|s|m|h|d)$/, 'a duration such as 500ms, 5s, 10m, 2h or 7d')
  .transform((v) => {
    const n = Number(v.match(/^\d+/)![0]);
    const unit = v.replace(/^\d+/, '');
    return n * { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit as 'ms' | 's' | 'm' | 'h' | 'd'];
  });

/** Every setting, its environment variable and default. The README's configuration table mirrors this. */
export const settingsSchema = z.object({
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
  LOG_LEVEL: z.enum(['TRACE', 'DEBUG', 'INFO', 'WARN', 'ERROR']).default('INFO'),
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
