import { createReadStream, createWriteStream } from 'node:fs';
import { mkdir, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { Readable, Transform } from 'node:stream';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Context, ApplicationFailure } from '@temporalio/activity';
import { DuckDBInstance, withConnection } from '../parquet/duckdb';
import { analyzeFile } from '../parquet/analyzeFile';
import { DecompressionError, unwrapFile } from '../parquet/unwrap';
import { firstLine, isResourceFault, validateChunk } from '../parquet/validateChunk';
import { StagedFile, stageValidRows } from './stageValidRows';
import { whileHeartbeating } from './heartbeat';
import { unreadableEntry, unreadableFileEntry } from '../domain/entries';
import { warehouseChunkPrefix, warehouseObjectKey } from '../domain/keys';
import { deleteKeys, isS3Error } from '../s3/s3';
import {
  ChunkResultV1,
  DownloadFileInputV1,
  DownloadFileResultV1,
  FailureType,
  InspectFileInputV1,
  InspectFileResultV1,
  ProcessChunkInputV1,
  RemoveLocalFileInputV1,
} from '../messages';

export interface FileActivityDeps {
  s3: S3Client;
  db: DuckDBInstance;
  /** This worker's own scratch directory. */
  workDir: string;
  warehouse: { bucket: string; prefix: string };
}


/** Activities that need the file on this worker's disk; they run on the worker-specific task queue. */
export function createFileActivities(deps: FileActivityDeps) {
  const fileDir = (fileId: string) => join(deps.workDir, 'files', fileId);

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
      );
      await deleteKeys(deps.s3, deps.warehouse.bucket, (res.Contents ?? []).map((o) => o.Key!).filter((k) => !keep.has(k)));
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
    /** Streams the object version to local disk, then undoes whole-file gzip/bzip2. */
    async downloadFile(input: DownloadFileInputV1): Promise<DownloadFileResultV1> {
      const { object } = input;
      const dir = fileDir(input.fileId);
      await rm(dir, { recursive: true, force: true });
      await mkdir(dir, { recursive: true });
      const raw = join(dir, 'raw');
      let response;
      try {
        response = await deps.s3.send(
          new GetObjectCommand({
            Bucket: object.bucket,
            Key: object.key,
            ...(object.versioned ? { VersionId: object.version } : { IfMatch: `"${object.version}"` }),
          }),
          { abortSignal: Context.current().cancellationSignal },
        );
      } catch (err) {
        if (isS3Error(err, 'NoSuchKey', 'NoSuchVersion', 'PreconditionFailed', '412', '404')) {
          throw ApplicationFailure.nonRetryable(`s3://${object.bucket}/${object.key} version ${object.version} no longer exists`, FailureType.OBJECT_VERSION_GONE);
        }
        throw err;
      }
      let bytes = 0;
      const meter = new Transform({
        transform(chunk: Buffer, _e, cb) {
          bytes += chunk.length;
          cb(null, chunk);
        },
      });
      const localPath = join(dir, 'file.parquet');
      try {
        const compression = await whileHeartbeating(
          () => ({ phase: 'downloading', bytes }),
          async () => {
            await pipeline(response.Body as Readable, meter, createWriteStream(raw));
            return unwrapFile(raw, localPath);
          },
        );
        Context.current().log.info('file downloaded', { bytes, compression });
        return { kind: 'downloaded', localPath, compression, bytes };
      } catch (err) {
        if (!(err instanceof DecompressionError)) throw err;
        return { kind: 'undecodable', entries: [unreadableFileEntry(input.ctx, err.message)] };
      } finally {
        await rm(raw, { force: true });
      }
    },

    async inspectFile(input: InspectFileInputV1): Promise<InspectFileResultV1> {
      await assertLocal(input.localPath);
      return whileHeartbeating(
        () => ({ phase: 'inspecting' }),
        () => withConnection(deps.db, (conn) => analyzeFile(conn, input.localPath, input.ctx, input.targetChunkRows)),
      );
    },

    /** Validates one chunk and stores its valid rows under deterministic keys (a retry overwrites). */
    async processChunk(input: ProcessChunkInputV1): Promise<ChunkResultV1> {
      await assertLocal(input.readPath);
      const { chunk, ctx, verdict } = input;
      const storedKeys: string[] = [];
      let phase = 'validating';
      return whileHeartbeating(() => ({ chunk: chunk.index, phase, stored: storedKeys.length }), () => withConnection(deps.db, async (conn) => {
        const validation = await validateChunk(conn, input.readPath, verdict, chunk, ctx);
        phase = 'storing';
        if (validation.decoded && validation.validRows > 0) {
          const stageDir = join(fileDir(input.fileId), `stage-${chunk.index}`);
          let staged: StagedFile[];
          try {
            staged = await stageValidRows(conn, input.readPath, verdict, chunk, ctx.environments, stageDir);
          } catch (err) {
            // Validation decoded every column, so this is rare; bad data must still become an entry,
            // not a retry loop. Resource faults (disk, memory) are retried instead.
            if (isResourceFault(err)) throw err;
            const entry = unreadableEntry(ctx, chunk, `could not be decoded while storing (chunk ${chunk.index}): ${firstLine(err, input.readPath, ctx.fileName)}`);
            return { entries: [entry], validRows: 0, invalidRows: chunk.rowCount, storedKeys: [] };
          }
          const parts = new Map<string, number>();
          for (const file of staged) {
            const part = parts.get(file.partitionPath) ?? 0;
            parts.set(file.partitionPath, part + 1);
            const key = warehouseObjectKey(deps.warehouse.prefix, file.partitionPath, input.fileId, chunk.index, part);
            const body = createReadStream(file.localPath);
            const size = (await stat(file.localPath)).size;
            await deps.s3.send(new PutObjectCommand({ Bucket: deps.warehouse.bucket, Key: key, Body: body, ContentLength: size }));
            storedKeys.push(key);
          }
          await removeStaleParts(input.fileId, chunk.index, [...parts.keys()], storedKeys);
          await rm(stageDir, { recursive: true, force: true });
        }
        Context.current().log.info('chunk processed', {
          chunk: chunk.index,
          validRows: validation.validRows,
          invalidRows: validation.invalidRows,
          storedObjects: storedKeys.length,
        });
        return { entries: validation.entries, validRows: validation.validRows, invalidRows: validation.invalidRows, storedKeys };
      }));
    },

    async removeLocalFile(input: RemoveLocalFileInputV1): Promise<void> {
      await rm(fileDir(input.fileId), { recursive: true, force: true });
    },
  };
}

export type FileActivities = ReturnType<typeof createFileActivities>;
