import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { intakeObjectKey, minuteOf } from '../src/domain/impressions/intakeKeys';
import { openDuckDb, type DuckDBInstance } from '../src/parquet/duckdb';
import type { Moto } from '../src/dev/moto';
import { runCli } from './support/cli';
import { downloadObjects, listKeys, newBucket, s3For, sharedMoto } from './support/harness';
import { byKey, EVERY_COLUMN, expectedStored, jsonText, readBack, writeJsonl, writeParquetWithPyarrow } from './support/impressionFiles';

/** `cli intake load` as a user runs it (the built CLI, a child process without a terminal) against moto's S3. */
describe('cli intake load: impression files into the warehouse bucket (moto S3)', function () {
  let m: Moto;
  let s3: S3Client;
  let dir: string;
  let db: DuckDBInstance;

  before(async function () {
    this.timeout(60_000);
    m = await sharedMoto();
    s3 = s3For(m);
    dir = await mkdtemp(join(tmpdir(), 'fme-intake-load-'));
    db = await openDuckDb({ memoryLimit: '512MB', threads: 2, tempDirectory: join(dir, 'duckdb') });
  });
  after(async () => {
    db?.closeSync();
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const workDir = () => join(dir, 'work');
  const envFor = (bucket: string) => ({
    S3_ENDPOINT: m.endpoint,
    S3_FORCE_PATH_STYLE: 'true',
    AWS_REGION: 'us-east-1',
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    WAREHOUSE_BUCKET: bucket,
    WORK_DIR: workDir(),
  });
  const objectName = async (file: string) => `load-${createHash('sha256').update(await readFile(file)).digest('hex').slice(0, 16)}`;
  /** The keys a load of EVERY_COLUMN (with its reception times) must store. */
  const expectedKeys = async (file: string) => {
    const name = await objectName(file);
    return [...new Set(EVERY_COLUMN.map((r) => intakeObjectKey('batches', String(r.environmentId), minuteOf(Number(r.receptionTimestamp)), name)))].sort();
  };
  const storedRows = async (bucket: string) => readBack(db, await downloadObjects(s3, bucket, await listKeys(s3, bucket, 'impressions/')));

  it('stores one object per environment and reception minute under impressions/batches/env=/minute=, named from the file\'s hash, every field as in the file', async () => {
    const bucket = await newBucket(s3, 'load');
    const file = await writeJsonl(join(dir, 'every.jsonl'), EVERY_COLUMN);
    const run = await runCli(['intake', 'load', file, '--json'], envFor(bucket));
    assert.equal(run.code, 0, run.stderr);
    const keys = await expectedKeys(file);
    assert.ok(keys.some((k) => k.includes('/env=env%2Fb%3D2%20weird/minute=20260102T1006Z/')), 'an environment id with / and = is encoded in its folder');
    assert.deepEqual(await listKeys(s3, bucket, ''), keys);
    assert.deepEqual(await storedRows(bucket), byKey(EVERY_COLUMN).map((r) => expectedStored(r)));
    const summary = JSON.parse(run.stdout) as Record<string, unknown>;
    assert.deepEqual(
      { ...summary, keys: [...(summary.keys as string[])].sort() },
      {
        file,
        format: 'jsonl',
        sha256: createHash('sha256').update(await readFile(file)).digest('hex'),
        loadTime: summary.loadTime,
        impressions: 3,
        stampedImpressions: 0,
        partitions: 2,
        environments: ['env-a', 'env/b=2 weird'],
        receptionMinutes: { first: '2026-01-02T10:05Z', last: '2026-01-02T10:06Z' },
        ignoredColumns: ['note'],
        bucket,
        prefix: 'impressions/batches/',
        objectName: await objectName(file),
        keys,
      },
    );
  });

  it('loading the same file again overwrites the same objects: the same keys, the same rows, no work files left', async () => {
    const bucket = await newBucket(s3, 'load');
    const file = writeParquetWithPyarrow(join(dir, 'every.parquet'), EVERY_COLUMN);
    const keys = await expectedKeys(file);
    for (let i = 0; i < 2; i++) {
      const run = await runCli(['intake', 'load', file], envFor(bucket));
      assert.equal(run.code, 0, run.stderr);
      assert.match(run.stdout, /^loaded 3 impressions from .*every\.parquet \(parquet, sha256 [0-9a-f]{16}\.\.\.\)$/m);
      assert.match(run.stdout, /^ {2}partitions: +2 /m);
      assert.match(run.stdout, /^ {2}reception: +2026-01-02T10:05Z to 2026-01-02T10:06Z/m);
      assert.deepEqual(await listKeys(s3, bucket, ''), keys, `after load ${i + 1}`);
      assert.deepEqual(await storedRows(bucket), byKey(EVERY_COLUMN).map((r) => expectedStored(r)), `after load ${i + 1}`);
    }
    assert.deepEqual(await readdir(workDir()), [], 'the work files are removed');
  });

  it('without a terminal, progress is plain lines on stderr (read, then uploaded i/P) and stdout holds only the summary', async () => {
    const bucket = await newBucket(s3, 'load');
    const run = await runCli(['intake', 'load', await writeJsonl(join(dir, 'progress.jsonl'), EVERY_COLUMN)], envFor(bucket));
    assert.equal(run.code, 0, run.stderr);
    const lines = run.stderr.trimEnd().split('\n');
    assert.match(lines[0]!, /^reading .*progress\.jsonl \(jsonl\)$/);
    assert.equal(lines[1], 'read 3 impressions in 2 partitions');
    assert.match(lines.at(-1)!, /^uploaded 2\/2 partitions \(3\/3 impressions\): impressions\/batches\/env=.*\.parquet$/);
    assert.ok(lines.slice(2).every((l) => /^uploaded \d\/2 partitions/.test(l)), run.stderr);
    assert.doesNotMatch(run.stderr, /[\r\u001b]/, 'no bar redraws or escape sequences');
    assert.match(run.stdout, /^loaded 3 impressions/);
    assert.doesNotMatch(run.stdout, /uploaded/);
  });

  it('a refused file stores nothing and exits 2, naming each problem', async () => {
    const bucket = await newBucket(s3, 'load');
    const rows = [EVERY_COLUMN[0]!, { ...EVERY_COLUMN[1]!, key: null }, { ...EVERY_COLUMN[2]!, timestamp: 1.5 }];
    const file = await writeJsonl(join(dir, 'refused.jsonl'), rows);
    const run = await runCli(['intake', 'load', file], envFor(bucket));
    assert.equal(run.code, 2, run.stderr);
    assert.match(run.stderr, /refused\.jsonl is refused; nothing was stored:/);
    assert.match(run.stderr, /^ {2}- "key" is missing or null on 1 row \(first: row 2\); it is required$/m);
    assert.match(run.stderr, /^ {2}- "timestamp" is not a whole number in the Long range on 1 row \(first: row 3, 1\.5\)$/m);
    assert.doesNotMatch(run.stderr, /^uploaded/m);
    assert.deepEqual(await listKeys(s3, bucket, ''), []);
    const json = await runCli(['intake', 'load', file, '--json'], envFor(bucket));
    assert.equal(json.code, 2);
    assert.deepEqual((JSON.parse(json.stdout) as { loaded: boolean; problems: string[] }).problems.length, 2);
    assert.deepEqual(await readdir(workDir()), [], 'the work files are removed');
  });

  it('a file without receptionTimestamp takes the load time: one value for all its impressions, said in the summary', async () => {
    const bucket = await newBucket(s3, 'load');
    const file = await writeJsonl(join(dir, 'unstamped.jsonl'), EVERY_COLUMN.map(({ receptionTimestamp: _r, ...rest }) => rest));
    const before = Date.now();
    const run = await runCli(['intake', 'load', file, '--json'], envFor(bucket));
    const after = Date.now();
    assert.equal(run.code, 0, run.stderr);
    const summary = JSON.parse(run.stdout) as { stampedImpressions: number; loadTime: string };
    assert.equal(summary.stampedImpressions, 3);
    const stamps = new Set((await storedRows(bucket)).map((r) => Number(r.receptionTimestamp)));
    assert.deepEqual([...stamps], [Date.parse(summary.loadTime)]);
    assert.ok(before <= Date.parse(summary.loadTime) && Date.parse(summary.loadTime) <= after);
  });

  it('usage errors exit 2 before anything is read: no such file, a name that does not tell the format, a name DuckDB would take as a pattern', async () => {
    const missing = await runCli(['intake', 'load', join(dir, 'nope.jsonl')], envFor('unused-bucket'));
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /error: no such file: .*nope\.jsonl/);
    const txt = join(dir, 'impressions.txt');
    await writeFile(txt, EVERY_COLUMN.map(jsonText).join('\n'));
    const unknown = await runCli(['intake', 'load', txt], envFor('unused-bucket'));
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /give --format parquet or --format jsonl/);
    const pattern = await writeJsonl(join(dir, 'day[1].jsonl'), EVERY_COLUMN);
    const globbed = await runCli(['intake', 'load', pattern], envFor('unused-bucket'));
    assert.equal(globbed.code, 2);
    assert.match(globbed.stderr, /is taken as a pattern; rename or copy the file/);
    const bucket = await newBucket(s3, 'load');
    const given = await runCli(['intake', 'load', txt, '--format', 'jsonl'], envFor(bucket));
    assert.equal(given.code, 0, given.stderr);
    assert.equal((await listKeys(s3, bucket, '')).length, 2);
  });

  it('an S3 failure (no such bucket) exits 3, and no work files are left', async () => {
    const run = await runCli(['intake', 'load', await writeJsonl(join(dir, 'no-bucket.jsonl'), EVERY_COLUMN)], envFor(`no-such-bucket-${process.pid}`));
    assert.equal(run.code, 3, run.stderr);
    assert.match(run.stderr, /NoSuchBucket/);
    assert.deepEqual(await readdir(workDir()), []);
  });

  it('cli intake load --help shows its options, what it refuses and the exit codes', async () => {
    const r = await runCli(['intake', 'load', '--help']);
    assert.equal(r.code, 0, r.stderr);
    assert.match(r.stdout, /^Usage: cli intake load \[options\] <file>/);
    assert.match(r.stdout, /--format <format>/);
    assert.match(r.stdout, /--json +print the result as JSON/);
    assert.match(r.stdout, /refuses it\s+\(exit 2, every problem\s+named, nothing stored\)/);
    assert.match(r.stdout, /loading the same file again overwrites the same objects/);
    assert.match(r.stdout, /Exit codes:/);
  });
});
