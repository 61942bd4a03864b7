import assert from 'node:assert/strict';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CancelledFailure } from '@temporalio/common';
import { createFileActivities, FileActivityDeps } from '../src/activities/fileActivities';
import { EntryContext } from '../src/domain/entries';
import { ChunkResultV1, ProcessChunkInputV1 } from '../src/messages';
import { analyzeFile } from '../src/parquet/analyzeFile';
import { DuckDBInstance, openDuckDb, queryObjects, sqlString, withConnection } from '../src/parquet/duckdb';
import { GOOD_ENVIRONMENTS, writeEventFile } from './support/eventFiles';
import { activityEnvironment, fakeS3, FakeS3 } from './support/fileActivities';

const CTX: EntryContext = { fileName: 'in/events.parquet', originalCreationTime: 1_700_000_000_000, generation: 0, environments: GOOD_ENVIRONMENTS, warnings: [] };
const FILE_ID = '0123456789abcdef0123456789abcdef';
const LIMITS = { maxBytes: 2 ** 40, maxRatio: 1000 };

/**
 * processChunk as Temporal runs it, attempt by attempt: a cancelled (or timed-out) attempt stops
 * writing, and two attempts of one chunk that overlap (a timed-out attempt still running on this
 * worker while its retry starts) never share staged files.
 */
describe('processChunk attempts: cancellation stops writing, each attempt stages alone', function () {
  let dir: string;
  let db: DuckDBInstance;
  let input: ProcessChunkInputV1;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fme-attempts-'));
    db = await openDuckDb({ memoryLimit: '256MB', threads: 2, tempDirectory: dir });
    // 3000 rows in env-a and env-b on one date: two partitions, so two staged files to upload.
    const path = join(dir, 'events.parquet');
    await writeEventFile(db, path, 3000);
    const analysis = await withConnection(db, (c) => analyzeFile(c, path, CTX, 1_000_000));
    assert.equal(analysis.kind, 'ok');
    if (analysis.kind !== 'ok') return;
    input = { fileId: FILE_ID, readPath: analysis.readPath, verdict: analysis.verdict, chunk: analysis.chunks[0]!, ctx: { ...CTX, warnings: analysis.verdict.warnings } };
  });

  after(async () => {
    db?.closeSync();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  /** A worker's scratch directory holding the file's directory, as downloadFile leaves it. */
  async function workDir(): Promise<string> {
    const work = await mkdtemp(join(dir, 'work-'));
    await mkdir(join(work, 'files', FILE_ID), { recursive: true });
    return work;
  }

  const deps = (s3: FakeS3, work: string): FileActivityDeps => ({ s3: s3.s3, db, workDir: work, warehouse: { bucket: 'wh', prefix: 'events' }, decompressionLimits: LIMITS });

  /** Whatever is left in the file's local directory (staging directories must be gone). */
  async function leftovers(work: string): Promise<string[]> {
    return readdir(join(work, 'files', FILE_ID)).catch(() => []);
  }

  it('a cancelled attempt uploads nothing more, fails as cancelled, and removes its staging directory', async () => {
    const work = await workDir();
    const { env } = activityEnvironment();
    // The first upload is where the server's cancellation (or a timeout) arrives.
    const s3 = fakeS3({ beforePut: () => env.cancel('TIMED_OUT') });
    await assert.rejects(env.run(createFileActivities(deps(s3, work)).processChunk, input), (err: unknown) => err instanceof CancelledFailure);
    assert.equal(s3.puts.length, 1, `no upload after the cancellation; got ${s3.puts.map((p) => p.key).join(', ')}`);
    assert.deepEqual(await leftovers(work), []);
  });

  it('passes the cancellation signal to every S3 call', async () => {
    const work = await workDir();
    const { env } = activityEnvironment();
    const s3 = fakeS3();
    const result = (await env.run(createFileActivities(deps(s3, work)).processChunk, input)) as ChunkResultV1;
    assert.equal(result.storedKeys.length, 2, JSON.stringify(result.entries));
    assert.ok(s3.signals.length >= 3, 'two uploads and a listing at least');
    for (const signal of s3.signals) assert.equal(signal, env.context.cancellationSignal);
  });

  it('two overlapping attempts of one chunk both store the same, complete parts', async () => {
    const work = await workDir();
    const second = fakeS3();
    let interleaved = false;
    // Attempt 1 is at its first upload when attempt 2 (its retry) runs from start to end.
    const first = fakeS3({
      beforePut: async () => {
        if (interleaved) return;
        interleaved = true;
        await activityEnvironment(2).env.run(createFileActivities(deps(second, work)).processChunk, input);
      },
    });
    const result = (await activityEnvironment(1).env.run(createFileActivities(deps(first, work)).processChunk, input)) as ChunkResultV1;
    assert.equal(result.storedKeys.length, 2);
    assert.deepEqual(first.puts.map((p) => p.key), second.puts.map((p) => p.key));
    for (const [i, put] of first.puts.entries()) {
      assert.ok(put.body.equals(second.puts[i]!.body), `attempt 1 and 2 uploaded the same ${put.key}`);
      const local = join(dir, `check-${i}.parquet`);
      await writeFile(local, put.body);
      const [row] = await withConnection(db, (c) => queryObjects(c, `SELECT count(*)::INT AS n FROM read_parquet(${sqlString(local)})`));
      assert.ok(Number(row!.n) > 1000, `${put.key} holds its partition's rows`);
    }
    assert.deepEqual(await leftovers(work), []);
  });
});
