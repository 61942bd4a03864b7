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
import type { FileProgressV1 } from '../src/workflows/messages';
import type { Moto } from '../src/dev/moto';
import { localTemporal } from './support/temporal';
import { PROJECT_ROOT } from './support/paths';
import { deploymentEnv, newBucket, putFile, readReports, RunningWorker, s3For, sharedMoto, startWorker, waitFor } from './support/harness';
import { writeEventFile } from './support/eventFiles';

describe('CLI process / progress / reprocess against a running deployment', function () {
  let env: TestWorkflowEnvironment;
  let moto: Moto;
  let s3: S3Client;
  let worker: RunningWorker;
  let bucket: string;
  const taskQueue = `cli-op-${process.pid}`;

  before(async function () {
    this.timeout(180_000);
    env = await localTemporal();
    moto = await sharedMoto();
    s3 = s3For(moto);
    bucket = await newBucket(s3, 'cli-op');
    worker = await startWorker(env, s3, { taskQueue, warehouseBucket: await newBucket(s3, 'cli-wh') });
  });

  after(async () => worker?.stop());

  async function cli(...args: string[]): Promise<{ stdout: string; code: number }> {
    try {
      const { stdout } = await promisify(execFile)('node', ['lib/src/cli.js', ...args], {
        cwd: PROJECT_ROOT,
        env: deploymentEnv(env, moto, taskQueue, { STATUS_FLUSH_DELAY: '300ms' }),
      });
      return { stdout, code: 0 };
    } catch (err) {
      const e = err as { stdout: string; code: number };
      return { stdout: e.stdout, code: e.code };
    }
  }

  it('starts a file that no notification announced, is a no-op the second time, and reprocesses on request', async function () {
    const dir = await mkdtemp(join(tmpdir(), 'fme-cli-op-'));
    const db = await openDuckDb({ memoryLimit: '128MB', threads: 1, tempDirectory: dir });
    const path = join(dir, 'f.parquet');
    await writeEventFile(db, path, 500);
    db.closeSync();
    const key = 'in/unannounced.parquet';
    await putFile(s3, bucket, key, path);
    const object = ['--bucket', bucket, '--key', key];

    const first = await cli('process', ...object, '--environments', 'env-a,env-b', '--status-prefix', 'st-cli');
    assert.equal(first.code, 0);
    assert.match(first.stdout, /^started: file\/.*in\/unannounced\.parquet@/);
    const second = await cli('process', ...object, '--environments', 'env-a,env-b', '--status-prefix', 'st-cli');
    assert.match(second.stdout, /^already known \(no-op\): /);

    await waitFor('the pass to finish', async () => {
      const p = JSON.parse((await cli('progress', ...object)).stdout) as FileProgressV1;
      return p.phase === 'waiting-for-reprocess' ? p : undefined;
    });
    const re = await cli('reprocess', ...object, '--reason', 'test');
    assert.match(re.stdout, /^reprocess signalled: /);
    const entries = await waitFor('both generations reported', async () => {
      const all = (await readReports(s3, bucket, 'st-cli')).flatMap((r) => r.doc[key] ?? []);
      return rowsIn(all) === 1000 ? all : undefined;
    });
    assert.equal(rowsIn(entries.filter((e) => e.warnings.includes('REPROCESSED'))), 500);
  });
});
