import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ApplicationFailure, Context } from '@temporalio/activity';
import { manifestKey, partKey, successKey, windowFolder, windowStartOfFolder } from '../../domain/export/exportKeys';
import { PART_FILE_NAME, partContentType } from '../../domain/export/formats';
import { type ExportManifest, exportManifestSchema } from '../../domain/export/manifest';
import { type ExportWindow, MINUTE_MS, minutesOf } from '../../domain/export/windows';
import { intakeMinutePrefix, minuteOf } from '../../domain/impressions/intakeKeys';
import type { ExportTargetV1, ExportWindowInputV1, ExportWindowResultV1, LastExportedEndInputV1 } from '../../messages/exportMessages';
import { type DuckDBInstance } from '../../parquet/duckdb';
import { writeExportParts } from '../../parquet/exportWindow';
import { deleteKeys, getJson, isS3Error, listKeys, type S3ForRegion } from '../../s3/s3';
import { attemptDir, machineFaultsRetried, throwIfCancelled } from '../attempt';
import { whileHeartbeating } from '../heartbeat';

export interface ExportActivityDeps {
  /** The warehouse, where the intake stores impressions. */
  warehouse: S3Client;
  warehouseBucket: string;
  /** Clients for customers' buckets, by region. */
  s3ForRegion: S3ForRegion;
  /** This worker's scratch space; each attempt works in a directory of its own under it. */
  workDir: string;
  db: DuckDBInstance;
  /** Rows per part file (default 1,000,000): keeps every part far below the single-PUT limit. */
  partRows?: number;
  /** S3 requests to the warehouse at once while listing and downloading (default 16). */
  listConcurrency?: number;
}

/** S3's limit for one PutObject; the seed's outbound policy leaves no way to clean up a multipart upload. */
const SINGLE_PUT_MAX_BYTES = 5 * 1024 ** 3;
const ACL = 'bucket-owner-full-control' as const;

/** `fn` over `items` with at most `limit` running at once; results in the items' order. */
async function mapBounded<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const out = new Array<R>(items.length);
  let next = 0;
  const worker = async () => {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i]!, i);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}

async function md5AndSize(file: string): Promise<{ md5: Buffer; bytes: number }> {
  const hash = createHash('md5');
  await pipeline(createReadStream(file), hash);
  return { md5: hash.digest(), bytes: (await stat(file)).size };
}

/** A part key of ours in this window's folder (never a key a manifest could name elsewhere). */
const isOurPart = (folder: string, key: string): boolean => key.startsWith(folder) && PART_FILE_NAME.test(key.slice(folder.length));

/**
 * Exports one window of impressions to the customer's bucket, and finds where the last one
 * ended. Every object is one PutObject with the bucket owner's full control; the only deletes
 * are of `_SUCCESS` and of parts a manifest of ours named.
 */
export function createExportActivities(deps: ExportActivityDeps) {
  const concurrency = deps.listConcurrency ?? 16;
  const signal = () => Context.current().cancellationSignal;

  /** The manifest of ours in the window's folder, if any; one we cannot read names nothing we may delete. */
  async function previousManifest(s3: S3Client, bucket: string, key: string): Promise<ExportManifest | undefined> {
    const raw = await getJson<unknown>(s3, bucket, key, signal());
    if (raw === undefined) return undefined;
    const parsed = exportManifestSchema.safeParse(raw);
    if (parsed.success) return parsed.data;
    Context.current().log.warn('the window folder holds a manifest that is not ours; its files are left alone', { bucket, key });
    return undefined;
  }

  async function putJson(s3: S3Client, bucket: string, key: string, value: unknown): Promise<void> {
    const body = Buffer.from(JSON.stringify(value, null, 2));
    const md5 = createHash('md5').update(body).digest('base64');
    await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body, ContentType: 'application/json', ContentMD5: md5, ACL }), { abortSignal: signal() });
  }

  /** Every intake object of the environments' minutes in [from, to), in key order. */
  async function intakeObjects(environments: readonly string[], from: number, to: number): Promise<string[]> {
    const prefixes = environments.flatMap((env) => minutesOf({ start: from, end: to }).map((m) => intakeMinutePrefix('batches', env, m)));
    const listed = await mapBounded(prefixes, concurrency, async (prefix) => {
      throwIfCancelled();
      return listKeys(deps.warehouse, deps.warehouseBucket, prefix);
    });
    return listed.flat().filter((k) => k.endsWith('.parquet')).sort();
  }

  async function download(keys: readonly string[], dir: string, progress: { downloaded: number }): Promise<string[]> {
    await mkdir(dir, { recursive: true });
    // Local names by index: two environments' objects may share a base name.
    return mapBounded(keys, concurrency, async (key, i) => {
      throwIfCancelled();
      const res = await deps.warehouse.send(new GetObjectCommand({ Bucket: deps.warehouseBucket, Key: key }), { abortSignal: signal() });
      const path = join(dir, `${String(i).padStart(6, '0')}.parquet`);
      await machineFaultsRetried('downloading intake objects', () => pipeline(res.Body as Readable, createWriteStream(path), { signal: signal() }));
      progress.downloaded++;
      return path;
    });
  }

  function checkInput(input: ExportWindowInputV1): void {
    const { start, end } = input.window;
    const bad = start % MINUTE_MS !== 0 || end % MINUTE_MS !== 0 || end <= start || !(Number.isSafeInteger(input.dedupLookbackMs) && input.dedupLookbackMs >= 0) || input.environments.length === 0;
    if (bad) throw ApplicationFailure.nonRetryable(`not an exportable window: ${JSON.stringify({ window: input.window, dedupLookbackMs: input.dedupLookbackMs, environments: input.environments })}`, 'ExportInputInvalid');
  }

  return {
    /**
     * Writes one window's complete set: parts, manifest, `_SUCCESS`. Safe to retry from any point,
     * because at every moment each part of ours in the folder is named by the manifest there:
     *   1. `_SUCCESS` goes first, so no consumer takes a half-replaced set for a complete one;
     *   2. parts the previous manifest named that this export does not write are deleted;
     *   3. the new manifest is PUT before the parts it names, so an attempt that dies among them
     *      left only parts its retry's manifest (read back as "previous") accounts for, even if
     *      the retry writes fewer; parts are written by name from the window and part number;
     *   4. the manifest is PUT again once its parts exist, then `_SUCCESS` last.
     */
    async exportWindow(input: ExportWindowInputV1): Promise<ExportWindowResultV1> {
      checkInput(input);
      const { window: w, target } = input;
      const format = target.format ?? 'parquet';
      const progress = { phase: 'listing', objects: 0, downloaded: 0, parts: 0, uploaded: 0 };
      const scratch = attemptDir(join(deps.workDir, 'exports'), `${input.integrationId.replace(/[^A-Za-z0-9_-]/g, '_')}-${w.start}`);
      return whileHeartbeating(() => progress, async () => {
        try {
          const lookbackStart = w.start - input.dedupLookbackMs;
          const keys = await intakeObjects(input.environments, minuteOf(lookbackStart), w.end);
          progress.objects = keys.length;
          progress.phase = 'downloading';
          const files = await download(keys, join(scratch, 'in'), progress);
          throwIfCancelled();
          progress.phase = 'writing parts';
          // writeExportParts interrupts its own DuckDB connections when the activity is cancelled.
          const written = await machineFaultsRetried('writing export parts', () =>
            writeExportParts(deps.db, {
              files,
              window: w,
              lookbackStart,
              environments: input.environments,
              format,
              compression: target.compression,
              outDir: join(scratch, 'out'),
              partRows: deps.partRows,
              signal: signal(),
            }),
          );
          throwIfCancelled();
          await rm(join(scratch, 'in'), { recursive: true, force: true });
          const parts = await Promise.all(
            written.parts.map(async (p, i) => ({ ...p, ...(await md5AndSize(p.file)), key: partKey(target.writePrefix, w, i, format, target.compression) })),
          );
          const tooBig = parts.find((p) => p.bytes > SINGLE_PUT_MAX_BYTES);
          if (tooBig) throw ApplicationFailure.nonRetryable(`${tooBig.key} would be ${tooBig.bytes} bytes, over the single-PUT limit: lower the rows per part`, 'ExportPartTooLarge');
          progress.parts = parts.length;

          const manifest: ExportManifest = exportManifestSchema.parse({
            version: 1,
            integrationId: input.integrationId,
            configVersion: input.configVersion,
            window: { start: new Date(w.start).toISOString(), end: new Date(w.end).toISOString(), startMs: w.start, endMs: w.end },
            format,
            compression: target.compression,
            environments: input.environments,
            rows: written.rows,
            duplicatesDropped: written.duplicatesDropped,
            parts: parts.map((p) => ({ key: p.key, rows: p.rows, bytes: p.bytes, md5: p.md5.toString('hex') })),
            sourceObjects: keys.length,
            exportedAt: new Date().toISOString(),
          });
          const s3 = deps.s3ForRegion(target.region);
          const { bucket } = target;
          const folder = windowFolder(target.writePrefix, w);

          progress.phase = 'replacing';
          const previous = await previousManifest(s3, bucket, manifestKey(target.writePrefix, w));
          await s3.send(new DeleteObjectCommand({ Bucket: bucket, Key: successKey(target.writePrefix, w) }), { abortSignal: signal() });
          const writing = new Set(parts.map((p) => p.key));
          const stale = (previous?.parts ?? []).map((p) => p.key).filter((k) => isOurPart(folder, k) && !writing.has(k));
          await deleteKeys(s3, bucket, stale, signal());
          throwIfCancelled();
          await putJson(s3, bucket, manifestKey(target.writePrefix, w), manifest);

          progress.phase = 'uploading';
          for (const p of parts) {
            throwIfCancelled();
            // One PutObject per part, never multipart: nothing would be left to clean up.
            await s3.send(
              new PutObjectCommand({ Bucket: bucket, Key: p.key, Body: createReadStream(p.file), ContentLength: p.bytes, ContentMD5: p.md5.toString('base64'), ContentType: partContentType(format, target.compression), ACL }),
              { abortSignal: signal() },
            );
            progress.uploaded++;
            Context.current().heartbeat(progress);
          }
          throwIfCancelled();
          progress.phase = 'completing';
          await putJson(s3, bucket, manifestKey(target.writePrefix, w), { ...manifest, exportedAt: new Date().toISOString() });
          throwIfCancelled();
          await s3.send(new PutObjectCommand({ Bucket: bucket, Key: successKey(target.writePrefix, w), Body: '', ContentLength: 0, ContentMD5: createHash('md5').digest('base64'), ACL }), {
            abortSignal: signal(),
          });
          Context.current().log.info('window exported', {
            integrationId: input.integrationId,
            window: manifest.window.start,
            rows: written.rows,
            duplicatesDropped: written.duplicatesDropped,
            parts: parts.length,
            sourceObjects: keys.length,
            staleRemoved: stale.length,
          });
          return { rows: written.rows, duplicatesDropped: written.duplicatesDropped, parts: parts.length, sourceObjects: keys.length, manifestKey: manifestKey(target.writePrefix, w) };
        } finally {
          await rm(scratch, { recursive: true, force: true });
        }
      });
    },

    /**
     * The end of the latest complete window (with `_SUCCESS`) ending before `before`, from its
     * manifest; undefined when there is none. One delimited listing of the prefix's
     * `window_start=` folders, then a HEAD and a GET per folder from the newest down, which is
     * usually one folder.
     */
    async lastExportedEnd(input: LastExportedEndInputV1): Promise<number | undefined> {
      const { target } = input;
      const s3 = deps.s3ForRegion(target.region);
      const latest = async (after?: number): Promise<number | undefined> => {
        const starts = (await windowStarts(s3, target, signal(), after)).filter((s) => s < input.before).sort((a, b) => b - a);
        for (const start of starts) {
          throwIfCancelled();
          const w: Pick<ExportWindow, 'start'> = { start };
          if (!(await exists(s3, target.bucket, successKey(target.writePrefix, w), signal()))) continue;
          const manifest = await previousManifest(s3, target.bucket, manifestKey(target.writePrefix, w));
          if (manifest && manifest.window.startMs === start && manifest.window.endMs < input.before) return manifest.window.endMs;
        }
        return undefined;
      };
      // Folder names sort as time does: the recent ones are listed first, from a horizon back, so a
      // run of a long-lived integration reads a few pages, not its whole history; only a longer
      // silence reads everything.
      return (await latest(input.before - LAST_END_HORIZON_MS)) ?? (await latest());
    },
  };
}

/** How far back the last exported window is looked for first. */
const LAST_END_HORIZON_MS = 7 * 24 * 3_600_000;

/** The window starts of the `window_start=` folders directly under the write prefix (those after `afterMs`'s folder, when given). */
async function windowStarts(s3: S3Client, target: ExportTargetV1, abortSignal: AbortSignal, afterMs?: number): Promise<number[]> {
  const prefix = target.writePrefix ? `${target.writePrefix}/` : '';
  const startAfter = afterMs === undefined ? undefined : windowFolder(target.writePrefix, { start: Math.floor(afterMs / 60_000) * 60_000 });
  const starts: number[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: target.bucket, Prefix: prefix, Delimiter: '/', ContinuationToken: token, StartAfter: token ? undefined : startAfter }), { abortSignal });
    for (const p of page.CommonPrefixes ?? []) {
      const start = p.Prefix === undefined ? undefined : windowStartOfFolder(p.Prefix);
      if (start !== undefined) starts.push(start);
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return starts;
}

async function exists(s3: S3Client, bucket: string, key: string, abortSignal: AbortSignal): Promise<boolean> {
  try {
    await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), { abortSignal });
    return true;
  } catch (err) {
    if (isS3Error(err, 'NotFound', 'NoSuchKey', '404')) return false;
    throw err;
  }
}

export type ExportActivities = ReturnType<typeof createExportActivities>;
