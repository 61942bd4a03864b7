import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { LogEntry } from '@temporalio/worker';
import { createFileActivities, FileActivityDeps } from '../src/activities/fileActivities';
import { EntryContext } from '../src/domain/entries';
import { objectVersionOf } from '../src/domain/keys';
import { DownloadFileResultV1, ProcessChunkInputV1 } from '../src/messages';
import { analyzeFile } from '../src/parquet/analyzeFile';
import { DuckDBConnection, DuckDBInstance, openDuckDb, withConnection } from '../src/parquet/duckdb';
import { GOOD_ENVIRONMENTS, writeEventFile } from './support/eventFiles';
import { activityEnvironment, fakeS3 } from './support/fileActivities';

const CTX: EntryContext = { fileName: 'in/events.parquet', originalCreationTime: 1_700_000_000_000, generation: 0, environments: GOOD_ENVIRONMENTS, warnings: [] };
const FILE_ID = 'fedcba9876543210fedcba9876543210';
const LIMITS = { maxBytes: 2 ** 40, maxRatio: 1000 };

/**
 * A DuckDB whose connections fail `method` with `message`, as DuckDB itself does when this
 * machine runs out of memory, disk or file handles; everything else is the real DuckDB.
 */
function failingDb(db: DuckDBInstance, method: 'run' | 'runAndReadAll', message: string): DuckDBInstance {
  return {
    connect: async () => {
      const conn = await db.connect();
      return new Proxy(conn, {
        get(target, prop) {
          if (prop === method) return async () => Promise.reject(new Error(message));
          const value = Reflect.get(target, prop, target) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        },
      }) as DuckDBConnection;
    },
  } as unknown as DuckDBInstance;
}

/** The activity's warning that this attempt failed for want of a machine resource. */
const machineFaultLogged = (logs: LogEntry[], cause: RegExp) =>
  logs.some((l) => l.level === 'WARN' && /machine fault/.test(l.message) && cause.test(String(l.meta?.error)));

/**
 * Faults of this machine while validating or staging a chunk fail the attempt with a warning
 * in the log, so Temporal retries it; they never become INVALID_SCHEMA entries. And the
 * worker's decompression limits reach downloadFile.
 */
describe('file activities: machine faults are retried with a log line; limits come from the worker', function () {
  let dir: string;
  let db: DuckDBInstance;
  let input: ProcessChunkInputV1;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fme-activity-faults-'));
    db = await openDuckDb({ memoryLimit: '256MB', threads: 2, tempDirectory: dir });
    const path = join(dir, 'events.parquet');
    await writeEventFile(db, path, 2000);
    const analysis = await withConnection(db, (c) => analyzeFile(c, path, CTX, 1_000_000));
    if (analysis.kind !== 'ok') throw new Error('the event file must be readable');
    input = { fileId: FILE_ID, readPath: analysis.readPath, verdict: analysis.verdict, chunk: analysis.chunks[0]!, ctx: CTX };
  });

  after(async () => {
    db?.closeSync();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  async function deps(database: DuckDBInstance, s3 = fakeS3()): Promise<FileActivityDeps> {
    const workDir = await mkdtemp(join(dir, 'work-'));
    await mkdir(join(workDir, 'files', FILE_ID), { recursive: true });
    return { s3: s3.s3, db: database, workDir, warehouse: { bucket: 'wh', prefix: 'events' }, decompressionLimits: LIMITS };
  }

  it('too many open files while staging valid rows: thrown and logged, not an INVALID_SCHEMA entry', async () => {
    const message = 'IO Error: Cannot open file "/w/stage/data_0.parquet": Too many open files';
    const { env, logs } = activityEnvironment();
    const activities = createFileActivities(await deps(failingDb(db, 'run', message)));
    await assert.rejects(env.run(activities.processChunk, input), (err: Error) => err.message === message);
    assert.ok(machineFaultLogged(logs, /Too many open files/), JSON.stringify(logs.map((l) => [l.level, l.message, l.meta])));
  });

  it('out of memory while validating a chunk: thrown and logged', async () => {
    const message = 'Out of Memory Error: failed to allocate data of size 64.0 MiB (256.0 MiB/256.0 MiB used)';
    const { env, logs } = activityEnvironment();
    const activities = createFileActivities(await deps(failingDb(db, 'runAndReadAll', message)));
    await assert.rejects(env.run(activities.processChunk, input), (err: Error) => err.message === message);
    assert.ok(machineFaultLogged(logs, /Out of Memory/), JSON.stringify(logs.map((l) => [l.level, l.message, l.meta])));
  });

  it("downloadFile applies the worker's decompression limits: a gzip bomb gets the file-level entry", async () => {
    const member = gzipSync(Buffer.alloc(8 * 1024 * 1024));
    const bomb = Buffer.concat(Array.from({ length: 64 }, () => member));
    const { env } = activityEnvironment();
    const activities = createFileActivities({ ...(await deps(db, fakeS3({ getBody: () => bomb }))), decompressionLimits: { maxBytes: 1024 * 1024, maxRatio: 1e9 } });
    const object = objectVersionOf('customer', 'in/bomb.parquet.gz', undefined, 'etag-1');
    const result = (await env.run(activities.downloadFile, { object, fileId: FILE_ID, ctx: { ...CTX, fileName: object.key } })) as DownloadFileResultV1;
    assert.equal(result.kind, 'undecodable');
    assert.deepEqual(result.kind === 'undecodable' && result.entries.map((e) => [e.numberOfRows, e.errors, e.errorsDetails]), [
      [0, ['INVALID_SCHEMA'], ['INVALID_SCHEMA: in/bomb.parquet.gz: not a readable Parquet file: gzip output exceeds DECOMPRESSED_MAX_BYTES (1048576 bytes)']],
    ]);
  });
});
