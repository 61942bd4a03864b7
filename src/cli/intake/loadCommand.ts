import { createHash } from 'node:crypto';
import { createReadStream, rmSync } from 'node:fs';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import type { S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Command, Option } from 'commander';
import { IMPRESSIONS_ROOT, intakeObjectKey } from '../../domain/impressions/intakeKeys';
import { withConnection } from '../../parquet/duckdb';
import { formatOfFile, loadImpressionFile, openLoaderDuckDb, type ImpressionFileFormat, type LoadPartition, type LoadResult } from '../../parquet/impressionLoad';
import { deployment } from '../deployment';
import { UsageError } from '../exitCodes';
import type { CommandContext } from '../program';
import { loadProgress, type LoadProgress } from './loadProgress';

/** Partitions uploaded at once: each is one PUT (or a multipart upload beyond 5 MB). */
const UPLOAD_CONCURRENCY = 4;

interface LoadFlags {
  format?: ImpressionFileFormat;
  json?: boolean;
}

async function sha256Of(file: string): Promise<string> {
  const hash = createHash('sha256');
  await pipeline(createReadStream(file), hash);
  return hash.digest('hex');
}

/** `2026-01-02T10:05Z`: reception minutes, as the keys' minute folders hold them. */
const isoMinute = (ms: number) => new Date(ms).toISOString().replace(/:\d\d\.\d{3}Z$/, 'Z');

/**
 * Runs `fn` with a fresh directory under WORK_DIR and removes it afterwards, also when the user
 * interrupts (Ctrl-C would otherwise leave a copy of the whole file's impressions behind).
 */
async function withWorkDir<T>(workRoot: string, fn: (dir: string) => Promise<T>, onSignal: () => void): Promise<T> {
  await mkdir(workRoot, { recursive: true });
  const dir = await mkdtemp(join(workRoot, 'load-'));
  const interrupted = (signal: NodeJS.Signals) => {
    onSignal();
    rmSync(dir, { recursive: true, force: true });
    process.exit(signal === 'SIGINT' ? 130 : 143);
  };
  process.once('SIGINT', interrupted);
  process.once('SIGTERM', interrupted);
  try {
    return await fn(dir);
  } finally {
    process.off('SIGINT', interrupted);
    process.off('SIGTERM', interrupted);
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Uploads every partition, a few at once; the first failure stops the rest and is thrown. What
 * was stored stays: loading the file again overwrites it (with the file's own reception times).
 */
async function uploadPartitions(s3: S3Client, bucket: string, partitions: readonly LoadPartition[], keyOf: (p: LoadPartition) => string, progress: LoadProgress, meta: Record<string, string>): Promise<void> {
  let next = 0;
  let failed = false;
  const lane = async () => {
    while (!failed && next < partitions.length) {
      const p = partitions[next++]!;
      const key = keyOf(p);
      try {
        // The warehouse is ours: multipart is fine for a large partition, and checksums are only
        // computed where S3 requires them (the client's setting), which S3-compatible stores rebuild slowly.
        await new Upload({
          client: s3,
          params: { Bucket: bucket, Key: key, Body: createReadStream(p.file), ContentType: 'application/vnd.apache.parquet', Metadata: { ...meta, rows: String(p.rows) } },
        }).done();
      } catch (err) {
        failed = true;
        throw err;
      }
      progress.uploaded(p.rows, key);
    }
  };
  // Every lane has stopped before this returns: the work directory is removed only afterwards.
  const lanes = await Promise.allSettled(Array.from({ length: Math.min(UPLOAD_CONCURRENCY, partitions.length) }, lane));
  const failure = lanes.find((l): l is PromiseRejectedResult => l.status === 'rejected');
  if (failure) throw failure.reason;
}

function refusal(file: string, result: Extract<LoadResult, { ok: false }>): string {
  const ignored = result.ignoredColumns.length ? `\n(columns not in the impression schema, ignored: ${result.ignoredColumns.join(', ')})` : '';
  return `${file} is refused; nothing was stored:\n${result.problems.map((p) => `  - ${p}`).join('\n')}${ignored}`;
}

interface LoadSummary {
  file: string;
  format: ImpressionFileFormat;
  sha256: string;
  loadTime: string;
  impressions: number;
  /** Impressions without a receptionTimestamp in the file: they took the load time. */
  stampedImpressions: number;
  partitions: number;
  environments: string[];
  receptionMinutes: { first: string; last: string } | null;
  ignoredColumns: string[];
  bucket: string;
  prefix: string;
  objectName: string;
  keys: string[];
}

function describeSummary(s: LoadSummary): string {
  const envs = s.environments.length > 5 ? `${s.environments.slice(0, 5).join(', ')}, ...` : s.environments.join(', ');
  const lines = [
    `loaded ${s.impressions} impressions from ${s.file} (${s.format}, sha256 ${s.sha256.slice(0, 16)}...)`,
    `  partitions:    ${s.partitions} (environment x reception minute), one object each`,
    `  environments:  ${s.environments.length}${envs ? ` (${envs})` : ''}`,
    `  reception:     ${s.receptionMinutes ? `${s.receptionMinutes.first} to ${s.receptionMinutes.last} (minutes)` : 'none'}`,
    `  objects:       s3://${s.bucket}/${s.prefix}env=<environment>/minute=<minute>/<minute ms>-${s.objectName}.parquet`,
  ];
  if (s.stampedImpressions > 0) {
    lines.push(
      `  stamped:       ${s.stampedImpressions} impressions had no receptionTimestamp and took the load time, ${s.loadTime};`,
      '                 loading this file again in a later minute stores them again',
    );
  }
  if (s.ignoredColumns.length) lines.push(`  ignored:       columns not in the impression schema: ${s.ignoredColumns.join(', ')}`);
  return `${lines.join('\n')}\n`;
}

/** `intake load <file>`: a backfill or demo file of impressions into the warehouse, as the intake stores them. */
export function loadCommand(ctx: CommandContext): Command {
  return new Command('load')
    .description("load a Parquet or JSON lines file of impressions (the seed's schema) into the warehouse, for backfills and demos")
    .argument('<file>', 'a local .parquet, .jsonl or .ndjson file (.jsonl.gz and .ndjson.gz too)')
    .addOption(new Option('--format <format>', 'the file format, when its name does not say').choices(['parquet', 'jsonl']))
    .option('--json', 'print the result as JSON')
    .addHelpText(
      'after',
      `
The file is checked whole before anything is stored: a missing or null required column, a
value of the wrong type or a Long that is not a whole number refuses it (exit 2, every problem
named, nothing stored). Columns beyond the schema are ignored, except bucketingKey and
previousTime, which are kept. Impressions are stored under
${IMPRESSIONS_ROOT}/batches/env=<environment>/minute=<reception minute>/, one object per partition,
named from the file's SHA-256: loading the same file again overwrites the same objects. Rows
without receptionTimestamp take the load time, so loading such a file again in a later minute
stores them again.
Progress goes to stderr (a bar on a terminal), the summary to stdout.`,
    )
    .action(async (file: string, o: LoadFlags) => {
      const info = await stat(file).catch(() => {
        throw new UsageError(`no such file: ${file}`);
      });
      if (!info.isFile()) throw new UsageError(`not a file: ${file}`);
      // DuckDB reads these as glob patterns, not as the file's name.
      if (/[*?[\]{}]/.test(file)) throw new UsageError(`cannot read ${file}: a name with * ? [ ] { } is taken as a pattern; rename or copy the file`);
      const format = o.format ?? formatOfFile(file);
      if (!format) throw new UsageError(`cannot tell the format of ${file} from its name (.parquet, .jsonl, .ndjson): give --format parquet or --format jsonl`);
      const d = deployment();
      const { settings } = d;
      const sha256 = await sha256Of(file);
      const objectName = `load-${sha256.slice(0, 16)}`;
      const loadTimeMs = Date.now();
      const progress = loadProgress();
      await withWorkDir(
        settings.WORK_DIR,
        async (dir) => {
          progress.step(`reading ${file} (${format})`);
          const db = await openLoaderDuckDb({ memoryLimit: settings.DUCKDB_MEMORY_LIMIT, threads: settings.DUCKDB_THREADS, tempDirectory: join(dir, 'duckdb') });
          let result: LoadResult;
          try {
            result = await withConnection(db, (conn) => loadImpressionFile(conn, file, { format, loadTimeMs, outDir: join(dir, 'partitions') }));
          } finally {
            db.closeSync();
          }
          if (!result.ok) {
            if (o.json) ctx.out(JSON.stringify({ file, loaded: false, problems: result.problems, ignoredColumns: result.ignoredColumns }, null, 2) + '\n');
            throw new UsageError(refusal(file, result));
          }
          const keyOf = (p: LoadPartition) => intakeObjectKey('batches', p.environmentId, p.minuteMs, objectName);
          progress.read(result.rows, result.partitions.length);
          try {
            await uploadPartitions(d.s3, settings.WAREHOUSE_BUCKET, result.partitions, keyOf, progress, { source: 'intake-load', 'file-sha256': sha256 });
          } finally {
            progress.stop();
          }
          const minutes = result.partitions.map((p) => p.minuteMs);
          const summary: LoadSummary = {
            file,
            format,
            sha256,
            loadTime: new Date(loadTimeMs).toISOString(),
            impressions: result.rows,
            stampedImpressions: result.stampedRows,
            partitions: result.partitions.length,
            environments: [...new Set(result.partitions.map((p) => p.environmentId))],
            receptionMinutes: minutes.length ? { first: isoMinute(minutes.reduce((a, b) => Math.min(a, b))), last: isoMinute(minutes.reduce((a, b) => Math.max(a, b))) } : null,
            ignoredColumns: result.ignoredColumns,
            bucket: settings.WAREHOUSE_BUCKET,
            prefix: `${IMPRESSIONS_ROOT}/batches/`,
            objectName,
            keys: result.partitions.map(keyOf),
          };
          ctx.out(o.json ? JSON.stringify(summary, null, 2) + '\n' : describeSummary(summary));
        },
        () => progress.stop(),
      );
    });
}
