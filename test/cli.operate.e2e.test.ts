import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { S3Client } from '@aws-sdk/client-s3';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { rowsIn } from '../src/domain/statusEntry';
import { openDuckDb } from '../src/parquet/duckdb';
import type { FileProgressV1 } from '../src/messages';
import type { Moto } from '../src/dev/moto';
import { localTemporal } from './support/temporal';
import { maybeRecordHistory } from './support/histories';
import { PROJECT_ROOT } from './support/paths';
import { deploymentEnv, newBucket, putFile, readReports, RunningWorker, s3For, sharedMoto, startWorker, waitFor } from './support/harness';
import { writeEventFile } from './support/eventFiles';

describe('CLI process / progress / reprocess against a running deployment', function () {
  let env: TestWorkflowEnvironment;
  let moto: Moto;
  let s3: S3Client;
  let worker: RunningWorker;
  let bucket: string;
  let warehouse: string;
  const taskQueue = `cli-op-${process.pid}`;
  const integration = `cli-op-${process.pid}`;

  before(async function () {
    this.timeout(180_000);
    env = await localTemporal();
    moto = await sharedMoto();
    s3 = s3For(moto);
    bucket = await newBucket(s3, 'cli-op');
    warehouse = await newBucket(s3, 'cli-wh');
    worker = await startWorker(env, s3, { taskQueue, warehouseBucket: warehouse });
    const created = await cli(
      'integration', 'create', '--id', integration, '--bucket', bucket, '--topic-arn', 'arn:aws:sns:us-east-1:123456789012:t',
      '--environments', 'env-a,env-b', '--status-prefix', 'st-cli', '--prefix', 'in',
    );
    assert.equal(created.code, 0, created.stderr);
  });

  after(async () => worker?.stop());

  async function cliWith(extraEnv: Record<string, string | undefined>, ...args: string[]): Promise<{ stdout: string; stderr: string; code: number }> {
    try {
      const { stdout, stderr } = await promisify(execFile)('node', ['lib/src/cli/main.js', ...args], {
        cwd: PROJECT_ROOT,
        env: { ...deploymentEnv(env, moto, taskQueue, { STATUS_FLUSH_DELAY: '300ms', WAREHOUSE_BUCKET: warehouse }), ...extraEnv },
      });
      return { stdout, stderr, code: 0 };
    } catch (err) {
      const e = err as { stdout: string; stderr: string; code: number };
      return { stdout: e.stdout, stderr: e.stderr, code: e.code };
    }
  }
  const cli = (...args: string[]) => cliWith({}, ...args);

  async function uploadEvents(key: string, rows: number): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'fme-cli-op-'));
    const db = await openDuckDb({ memoryLimit: '128MB', threads: 1, tempDirectory: dir });
    const path = join(dir, 'f.parquet');
    await writeEventFile(db, path, rows);
    db.closeSync();
    await putFile(s3, bucket, key, path);
  }

  it('starts a file that no notification announced, is a no-op the second time, and reprocesses on request', async function () {
    const key = 'in/unannounced.parquet';
    await uploadEvents(key, 500);
    const object = ['--bucket', bucket, '--key', key];

    const first = await cli('process', ...object, '--integration', integration);
    assert.equal(first.code, 0);
    assert.match(first.stdout, /^started: file\/.*in\/unannounced\.parquet@/);
    const second = await cli('process', ...object, '--integration', integration, '--json');
    assert.equal(second.code, 0);
    assert.deepEqual(JSON.parse(second.stdout), { workflowId: first.stdout.replace(/^started: /, '').trim(), started: false });

    await waitFor('the pass to finish', async () => {
      const p = JSON.parse((await cli('progress', ...object, '--json')).stdout) as FileProgressV1;
      return p.phase === 'waiting-for-reprocess' ? p : undefined;
    });
    const re = await cli('reprocess', ...object, '--reason', 'test');
    assert.match(re.stdout, /^reprocess signalled: /);
    const entries = await waitFor('both generations reported', async () => {
      const all = (await readReports(s3, bucket, 'st-cli')).flatMap((r) => r.doc[key] ?? []);
      return rowsIn(all) === 1000 ? all : undefined;
    });
    assert.equal(rowsIn(entries.filter((e) => e.warnings.includes('REPROCESSED'))), 500);
    const progress = JSON.parse((await cli('progress', ...object, '--json')).stdout) as FileProgressV1;
    assert.equal(progress.smallFile, true, 'the CLI gives the object size: a small file takes the one-activity path');
    await maybeRecordHistory(env.address, env.client.workflow.getHandle(first.stdout.replace(/^started: /, '').trim()), 'fileWorkflow-small-file-reprocessed');
  });

  describe('operational failures: exit 3, one line that says what to set, a stack trace only with --verbose', () => {
    const key = 'in/failures.parquet';
    before(async () => uploadEvents(key, 10));

    it('progress of an object no workflow has processed names `cli process`', async () => {
      const r = await cli('progress', '--bucket', bucket, '--key', key);
      assert.equal(r.code, 3, r.stderr);
      assert.equal(r.stdout, '');
      assert.match(r.stderr, /^error: no file workflow for this object version \(file\/.*\): start it with `cli process`\n$/);
    });

    it('an unreachable Temporal names TEMPORAL_ADDRESS; --verbose adds the stack', async () => {
      const r = await cliWith({ TEMPORAL_ADDRESS: '127.0.0.1:1' }, 'progress', '--bucket', bucket, '--key', key);
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /^error: cannot reach Temporal at 127\.0\.0\.1:1: set TEMPORAL_ADDRESS; against the `npm start` demo, paste the environment it printed/);
      assert.doesNotMatch(r.stderr, /\n\s+at /);
      const verbose = await cliWith({ TEMPORAL_ADDRESS: '127.0.0.1:1' }, '--verbose', 'progress', '--bucket', bucket, '--key', key);
      assert.equal(verbose.code, 3);
      assert.match(verbose.stderr, /\n\s+at /);
    });

    it('missing AWS credentials name the variables and the npm start environment', async () => {
      const r = await cliWith(
        {
          AWS_ACCESS_KEY_ID: undefined,
          AWS_SECRET_ACCESS_KEY: undefined,
          AWS_PROFILE: undefined,
          AWS_SHARED_CREDENTIALS_FILE: '/nonexistent',
          AWS_CONFIG_FILE: '/nonexistent',
          AWS_EC2_METADATA_DISABLED: 'true',
        },
        'progress', '--bucket', bucket, '--key', key,
      );
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /^error: no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY \(or AWS_PROFILE\); against the `npm start` demo/);
    });

    it('an object that does not exist is named as such', async () => {
      const r = await cli('reprocess', '--bucket', bucket, '--key', 'in/never-uploaded.parquet');
      assert.equal(r.code, 3, r.stderr);
      assert.match(r.stderr, /^error: S3 has no such object or bucket/);
    });
  });
});
