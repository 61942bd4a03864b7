import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, symlink } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { analyzeFile } from '../src/parquet/analyzeFile';
import { DuckDBConnection, DuckDBInstance, openDuckDb, withConnection } from '../src/parquet/duckdb';
import { EntryContext } from '../src/domain/entries';
import { FIXTURES } from './support/paths';

const CTX: EntryContext = { fileName: 'in/events.parquet', originalCreationTime: 1_700_000_000_000, generation: 0, environments: ['env-a'], warnings: [] };
const LZO_FILE = join(FIXTURES, 'lzo', 'events-hadoop-lzo.parquet');

/**
 * Reading the footer and transcoding LZO pages can fail because this machine is out of memory or
 * disk. Those failures must be thrown (the activity is retried, elsewhere if need be), never be
 * turned into the file's INVALID_SCHEMA entry: only the file's own bytes may reject it.
 */
describe('analyzeFile: machine faults are thrown, not verdicts', function () {
  let dir: string;
  let db: DuckDBInstance;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fme-analyze-faults-'));
    db = await openDuckDb({ memoryLimit: '256MB', threads: 1, tempDirectory: dir });
  });

  after(async () => {
    db?.closeSync();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  it('DuckDB out of memory while reading the footer is thrown', async () => {
    const oom = 'Out of Memory Error: failed to allocate data of size 16.0 MiB (512.0 MiB/512.0 MiB used)';
    // A connection whose every query fails the way DuckDB does at its memory limit.
    const conn = { runAndReadAll: async () => Promise.reject(new Error(oom)) } as unknown as DuckDBConnection;
    await assert.rejects(analyzeFile(conn, LZO_FILE, CTX, 1_000_000, dir), (err: Error) => err.message === oom);
  });

  it('a full disk while transcoding LZO pages is thrown', async function () {
    if (!existsSync('/dev/full')) this.skip();
    // The transcoded copy's path in the scratch directory leads to /dev/full: every write fails with ENOSPC.
    const scratch = await mkdtemp(join(dir, 'scratch-'));
    await symlink('/dev/full', join(scratch, `${basename(LZO_FILE)}.nolzo.parquet`));
    await assert.rejects(
      withConnection(db, (conn) => analyzeFile(conn, LZO_FILE, CTX, 1_000_000, scratch)),
      (err: NodeJS.ErrnoException) => err.code === 'ENOSPC',
    );
  });

  it('a damaged file is still a verdict: one INVALID_SCHEMA entry', async () => {
    const analysis = await withConnection(db, (conn) => analyzeFile(conn, join(FIXTURES, 'lzo', 'README.md'), CTX, 1_000_000, dir));
    assert.equal(analysis.kind, 'rejected');
    assert.match(analysis.kind === 'rejected' ? analysis.entries[0]!.errorsDetails[0]! : '', /^INVALID_SCHEMA: in\/events\.parquet: not a readable Parquet file: /);
  });
});
