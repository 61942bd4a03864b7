import { createHash } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Context, ApplicationFailure } from '@temporalio/activity';
import { DuckDBInstance, withConnection } from '../parquet/duckdb';
import { analyzeFile } from '../parquet/analyzeFile';
import { isResourceFault } from '../parquet/resourceFault';
import { DecompressionError, DecompressionLimits, unwrapFile } from '../parquet/unwrap';
import { firstLine, validateChunk } from '../parquet/validateChunk';
import { StagedFile, stageValidRows } from './stageValidRows';
import { whileHeartbeating } from './heartbeat';
import { attemptDir, interruptible, logMachineFault, machineFaultsRetried, throwIfCancelled } from './attempt';
import { unreadableEntry, unreadableFileEntry } from '../domain/entries';
import { duplicateContentEntries } from '../domain/integration/integrationEntries';
import { FileLedger } from './integrations/fileLedger';
import { warehouseChunkPrefix, warehouseObjectKey } from '../domain/keys';
import { clientIn, deleteKeys, S3ForRegion } from '../s3/s3';
import { classifyObjectReadError } from './objectReadErrors';
import { countFile, recordNotificationLag } from './activityMetrics';
import {
  ChunkResultV1,
  DownloadFileInputV1,
  DownloadFileResultV1,
  FailureType,
  FileOutcome,
  InspectFileInputV1,
  InspectFileResultV1,
  ProcessChunkInputV1,
  RemoveLocalFileInputV1,
} from '../messages';

export interface FileActivityDeps {
  s3: S3Client;
  /** Clients for customers' buckets in other regions (default: `s3` for every region). */
  s3ForRegion?: S3ForRegion;
  /** Called when a file's work on this worker is over (admission frees its room). */
  onFileReleased?: (fileId: string) => void;
  db: DuckDBInstance;
  /** This worker's own scratch directory. */
  workDir: string;
  warehouse: { bucket: string; prefix: string };
  /** Limits on whole-file gzip/bzip2 output (settings DECOMPRESSED_MAX_BYTES, DECOMPRESSION_MAX_RATIO). */
  decompressionLimits: DecompressionLimits;
}

/**
 * Activities that need the file on this worker's disk; they run on the worker-specific task queue.
 * Each attempt writes only into a directory of its own (attemptDir) and removes it when done, and
 * stops at the next step once cancelled (attempt.ts says why); a fault of this machine fails the
 * attempt with a log line instead of becoming a verdict on the file.
 */
export function createFileActivities(deps: FileActivityDeps) {
  const fileDir = (fileId: string) => join(deps.workDir, 'files', fileId);
  const ledger = new FileLedger(deps.s3, deps.warehouse.bucket);
  const abortSignal = () => Context.current().cancellationSignal;

  /**
   * DuckDB may split a partition into a different number of files on another attempt, so an
   * earlier attempt of this chunk can have left parts this one did not write: remove them, or
   * their rows would be stored twice. The partitions themselves depend only on the data.
   */
  async function removeStaleParts(fileId: string, chunkIndex: number, partitions: string[], written: string[]): Promise<void> {
    const keep = new Set(written);
    for (const partition of partitions) {
      const res = await deps.s3.send(
        new ListObjectsV2Command({ Bucket: deps.warehouse.bucket, Prefix: warehouseChunkPrefix(deps.warehouse.prefix, partition, fileId, chunkIndex) }),
        { abortSignal: abortSignal() },
      );
      throwIfCancelled();
      // A cancelled (timed-out) attempt must not delete parts its retry wrote: checked just above, and the delete aborts with it.
      await deleteKeys(deps.s3, deps.warehouse.bucket, (res.Contents ?? []).map((o) => o.Key!).filter((k) => !keep.has(k)), abortSignal());
    }
  }

  async function assertLocal(path: string): Promise<void> {
    try {
      await stat(path);
    } catch {
      throw ApplicationFailure.nonRetryable(`local copy ${path} is gone (worker restarted?)`, FailureType.LOCAL_FILE_MISSING);
    }
  }

  return {
    /**
     * Reserves the pass's generation, streams the object version to local disk while hashing it,
     * then undoes whole-file gzip/bzip2 within the decompression limits. Content the integration
     * already ingested under the same configuration comes back as `duplicate` instead. The attempt
     * works in a directory of its own and renames the result into place, so an overlapping attempt
     * never reads or removes its half-written files.
     */
    async downloadFile(input: DownloadFileInputV1): Promise<DownloadFileResultV1> {
      const { object } = input;
      const runId = Context.current().info.workflowExecution?.runId ?? '';
      if ((await ledger.reserveGeneration(input.fileId, input.ctx.generation, runId, abortSignal())) === 'taken') {
        // Only a first generation can meet an earlier run's marker: its workflow ID was free again
        // because Temporal no longer retains the run that processed this very object version.
        if (input.ctx.generation === 0) {
          Context.current().log.warn('this object version was processed by an earlier run Temporal no longer retains; nothing to do (reprocess ingests it again)', { key: object.key });
          countFile(input.contentCheck?.integrationId, FileOutcome.PROCESSED_BEFORE);
          return { kind: 'processed-before' };
        }
        Context.current().log.warn('generation marker written by another run; continuing', { generation: input.ctx.generation });
      }
      const dir = fileDir(input.fileId);
      const work = attemptDir(dir, 'download');
      await mkdir(work, { recursive: true });
      const raw = join(work, 'raw');
      const unwrapped = join(work, 'file.parquet');
      const localPath = join(dir, 'file.parquet');
      let contentHash: string | undefined;
      // From the upload to the first pass's work starting: the first attempt only (a retry's wait is not the notification's).
      if (input.ctx.generation === 0 && Context.current().info.attempt === 1) recordNotificationLag((Date.now() - input.ctx.originalCreationTime) / 1000);
      try {
        let response;
        try {
          const s3 = clientIn(deps.s3, deps.s3ForRegion, input.region);
          response = await s3.send(
            new GetObjectCommand({
              Bucket: object.bucket,
              Key: object.key,
              ...(object.versioned ? { VersionId: object.version } : { IfMatch: `"${object.version}"` }),
            }),
            { abortSignal: abortSignal() },
          );
        } catch (err) {
          throw classifyObjectReadError(err, object);
        }
        let bytes = 0;
        const hash = createHash('sha256');
        const meter = new Transform({
          transform(chunk: Buffer, _e, cb) {
            bytes += chunk.length;
            hash.update(chunk);
            cb(null, chunk);
          },
        });
        await whileHeartbeating(
          () => ({ phase: 'downloading', bytes }),
          () => machineFaultsRetried('downloading the file', () => pipeline(response.Body as Readable, meter, createWriteStream(raw), { signal: abortSignal() })),
        );
        throwIfCancelled();
        const sha256: string = hash.digest('hex');
        if (input.contentCheck) {
          const first = (await ledger.decideContent(input.fileId, input.ctx.generation, input.contentCheck, sha256, abortSignal())).duplicateOf;
          if (first) {
            Context.current().log.info('content already ingested under this configuration; repeating its outcome', { sha256, firstObject: first.object });
            // A duplicate pass stores and commits nothing: it ends with this outcome.
            countFile(input.contentCheck.integrationId, FileOutcome.DUPLICATE);
            return { kind: 'duplicate', entries: duplicateContentEntries(input.ctx, first.groups, first.object), firstObject: first.object, sha256 };
          }
        }
        contentHash = sha256;
        const compression = await whileHeartbeating(
          () => ({ phase: 'decompressing', bytes }),
          () => machineFaultsRetried('decompressing the file', () => unwrapFile(raw, unwrapped, { limits: deps.decompressionLimits, signal: abortSignal() })),
        );
        throwIfCancelled();
        await rename(unwrapped, localPath);
        Context.current().log.info('file downloaded', { bytes, compression });
        return { kind: 'downloaded', localPath, compression, bytes, sha256 };
      } catch (err) {
        if (!(err instanceof DecompressionError)) throw err;
        return { kind: 'undecodable', entries: [unreadableFileEntry(input.ctx, err.message)], sha256: contentHash };
      } finally {
        await rm(work, { recursive: true, force: true });
      }
    },

    /**
     * Reads the footer, checks the schema and plans chunks. An LZO file's transcoded copy is
     * written into a directory of this attempt's own, kept (as the analysis's readPath) only when
     * the attempt succeeds; the file's directory is removed with removeLocalFile.
     */
    async inspectFile(input: InspectFileInputV1): Promise<InspectFileResultV1> {
      await assertLocal(input.localPath);
      const scratch = attemptDir(dirname(input.localPath), 'inspect');
      await mkdir(scratch, { recursive: true });
      let keepScratch = false;
      try {
        const analysis = await whileHeartbeating(
          () => ({ phase: 'inspecting' }),
          () =>
            withConnection(deps.db, (conn) =>
              machineFaultsRetried('reading the footer or transcoding LZO', () =>
                interruptible(conn, () => analyzeFile(conn, input.localPath, input.ctx, input.targetChunkRows, scratch, abortSignal())),
              ),
            ),
        );
        keepScratch = analysis.kind === 'ok' && analysis.readPath.startsWith(scratch);
        return analysis;
      } finally {
        if (!keepScratch) await rm(scratch, { recursive: true, force: true });
      }
    },

    /**
     * Validates one chunk and stores its valid rows under deterministic keys (a retry overwrites).
     * The rows are staged in a directory of this attempt's own, removed when the attempt ends.
     */
    async processChunk(input: ProcessChunkInputV1): Promise<ChunkResultV1> {
      await assertLocal(input.readPath);
      const { chunk, ctx, verdict } = input;
      const storedKeys: string[] = [];
      let phase = 'validating';
      const stageDir = attemptDir(fileDir(input.fileId), `stage-${chunk.index}`);
      try {
        return await whileHeartbeating(() => ({ chunk: chunk.index, phase, stored: storedKeys.length }), () => withConnection(deps.db, async (conn) => {
          // validateChunk throws machine faults and turns other errors into the chunk's entry.
          const validation = await machineFaultsRetried(`validating chunk ${chunk.index}`, () =>
            interruptible(conn, () => validateChunk(conn, input.readPath, verdict, chunk, ctx)),
          );
          throwIfCancelled();
          phase = 'storing';
          if (validation.decoded && validation.validRows > 0) {
            let staged: StagedFile[];
            try {
              staged = await interruptible(conn, () => stageValidRows(conn, input.readPath, verdict, chunk, ctx.environments, stageDir));
            } catch (err) {
              throwIfCancelled();
              // Validation decoded every column, so this is rare; bad data must still become an entry,
              // not a retry loop. Resource faults (disk, memory, file handles) are retried instead.
              if (isResourceFault(err)) {
                logMachineFault(`staging chunk ${chunk.index}`, err);
                throw err;
              }
              const entry = unreadableEntry(ctx, chunk, `could not be decoded while storing (chunk ${chunk.index}): ${firstLine(err, input.readPath, ctx.fileName)}`);
              return { entries: [entry], validRows: 0, invalidRows: chunk.rowCount, storedKeys: [] };
            }
            const parts = new Map<string, number>();
            for (const file of staged) {
              throwIfCancelled();
              const part = parts.get(file.partitionPath) ?? 0;
              parts.set(file.partitionPath, part + 1);
              const key = warehouseObjectKey(deps.warehouse.prefix, file.partitionPath, input.fileId, chunk.index, part);
              const size = (await stat(file.localPath)).size;
              const body = createReadStream(file.localPath);
              await deps.s3.send(new PutObjectCommand({ Bucket: deps.warehouse.bucket, Key: key, Body: body, ContentLength: size }), { abortSignal: abortSignal() });
              storedKeys.push(key);
            }
            throwIfCancelled();
            if (!input.firstAttempt) await removeStaleParts(input.fileId, chunk.index, [...parts.keys()], storedKeys);
          }
          Context.current().log.info('chunk processed', {
            chunk: chunk.index,
            validRows: validation.validRows,
            invalidRows: validation.invalidRows,
            storedObjects: storedKeys.length,
          });
          return { entries: validation.entries, validRows: validation.validRows, invalidRows: validation.invalidRows, storedKeys };
        }));
      } finally {
        await rm(stageDir, { recursive: true, force: true });
      }
    },

    /** Deletes the local copy and frees the file's room on this worker at once (its lease may end later). */
    async removeLocalFile(input: RemoveLocalFileInputV1): Promise<void> {
      await rm(fileDir(input.fileId), { recursive: true, force: true });
      deps.onFileReleased?.(input.fileId);
    },
  };
}

export type FileActivities = ReturnType<typeof createFileActivities>;
