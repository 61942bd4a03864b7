import assert from 'node:assert/strict';
import { GetObjectAclCommand, PutObjectCommand, S3Client, S3ServiceException } from '@aws-sdk/client-s3';
import { MockActivityEnvironment, TestWorkflowEnvironment } from '@temporalio/testing';
import { ApplicationFailure } from '@temporalio/common';
import { createStatusActivities } from '../src/activities/statusActivities';
import { statusWorkflowIdOf } from '../src/domain/keys';
import type { StatusDocument } from '../src/domain/statusEntry';
import { BACKPRESSURE_ENTRIES, BACKPRESSURE_MEMO_KEY, FailureType } from '../src/messages';
import { timeSkippingTemporal, workflowBundle } from './support/temporal';
import { newBucket, readReports, s3For, sharedMoto, waitFor } from './support/harness';
import { Worker } from '@temporalio/worker';
import { maybeRecordHistory } from './support/histories';
import type { Moto } from '../src/dev/moto';

const DOC: StatusDocument = {
  'in/a.parquet': [{ originalCreationTime: 1, entryId: 0, valid: true, numberOfRows: 3, errors: [], errorsDetails: [], warnings: [] }],
};

/**
 * The seed's inbound bucket policy grants only PutObject and PutObjectAcl under the status
 * prefix (and List on the bucket); moto does not enforce policies, so this client refuses Get
 * and Head there the way S3 would, and counts what it was asked.
 */
function seedPolicyClient(moto: Moto, statusPrefix: string, asked: string[]): S3Client {
  const s3 = s3For(moto);
  s3.middlewareStack.add(
    (next, context) => async (args) => {
      const input = args.input as { Key?: string };
      asked.push(context.commandName ?? '?');
      if ((context.commandName === 'GetObjectCommand' || context.commandName === 'HeadObjectCommand') && input.Key?.startsWith(statusPrefix)) {
        throw new S3ServiceException({ name: 'AccessDenied', $fault: 'client', $metadata: { httpStatusCode: 403 }, message: 'Access Denied' });
      }
      return next(args);
    },
    { step: 'initialize', name: 'seedPolicy' },
  );
  return s3;
}

describe('status activities under the seed bucket policy (moto)', function () {
  let moto: Moto;
  let plain: S3Client;
  let bucket: string;

  before(async () => {
    moto = await sharedMoto();
    plain = s3For(moto);
    bucket = await newBucket(plain, 'status-acts');
  });

  function activities(asked: string[]) {
    return createStatusActivities({ s3: seedPolicyClient(moto, 'st/', asked), client: undefined as never, taskQueue: 'unused' });
  }

  it('writes a report with the bucket-owner-full-control ACL', async () => {
    const acts = activities([]);
    const key = 'st/2026-01-01/00-00-00.000.UTC_report.status';
    assert.deepEqual(await new MockActivityEnvironment().run(acts.writeStatusReport, { bucket, key, document: DOC }), { outcome: 'written' });
    const acl = await plain.send(new GetObjectAclCommand({ Bucket: bucket, Key: key }));
    assert.ok(acl.Grants?.some((g) => g.Permission === 'FULL_CONTROL'), JSON.stringify(acl.Grants));
  });

  it('recognises its own retried write from the listed ETag, without reading the status prefix', async () => {
    const asked: string[] = [];
    const acts = activities(asked);
    const key = 'st/2026-01-01/00-00-00.001.UTC_report.status';
    await new MockActivityEnvironment().run(acts.writeStatusReport, { bucket, key, document: DOC });
    const again = await new MockActivityEnvironment().run(acts.writeStatusReport, { bucket, key, document: DOC });
    assert.deepEqual(again, { outcome: 'already-written' });
    assert.deepEqual(asked, ['PutObjectCommand', 'PutObjectCommand', 'ListObjectsV2Command']);
  });

  it('answers `taken` for a key holding other content, and never overwrites it', async () => {
    const acts = activities([]);
    const key = 'st/2026-01-01/00-00-00.002.UTC_report.status';
    await plain.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: '{"someone":"else"}' }));
    assert.deepEqual(await new MockActivityEnvironment().run(acts.writeStatusReport, { bucket, key, document: DOC }), { outcome: 'taken' });
    const other = { ...DOC, 'in/b.parquet': DOC['in/a.parquet']! };
    const key2 = 'st/2026-01-01/00-00-00.003.UTC_report.status';
    await new MockActivityEnvironment().run(acts.writeStatusReport, { bucket, key: key2, document: DOC });
    assert.deepEqual(await new MockActivityEnvironment().run(acts.writeStatusReport, { bucket, key: key2, document: other }), { outcome: 'taken' });
  });

  it('keeps a file literally named __proto__ in the report', async () => {
    const acts = activities([]);
    const doc: StatusDocument = {};
    Object.defineProperty(doc, '__proto__', { value: DOC['in/a.parquet'], enumerable: true });
    const key = 'st/2026-01-01/00-00-00.004.UTC_report.status';
    await new MockActivityEnvironment().run(acts.writeStatusReport, { bucket, key, document: doc });
    const report = (await readReports(plain, bucket, 'st')).find((r) => r.key === key)!;
    assert.deepEqual(Object.keys(report.doc), ['__proto__']);
  });
});

describe('reportEntries back-pressure (time-skipping server)', function () {
  let env: TestWorkflowEnvironment;
  let worker: Worker;
  let running: Promise<void>;
  const taskQueue = `backpressure-${process.pid}`;

  before(async () => {
    env = await timeSkippingTemporal();
    // A worker with no activities: the first report's write never completes, so the entries stay unwritten.
    worker = await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: await workflowBundle() });
    running = worker.run();
  });

  after(async () => {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  it('refuses (retryable) while the status workflow holds too many entries, so its carried state stays bounded', async () => {
    const acts = createStatusActivities({ s3: undefined as never, client: env.client, taskQueue });
    const entries = Array.from({ length: BACKPRESSURE_ENTRIES }, (_, i) => ({
      fileName: `f${i % 3}`,
      entry: { originalCreationTime: 1, entryId: i * 16, valid: true, numberOfRows: 1, errors: [], errorsDetails: [], warnings: [] },
    }));
    const base = { bucket: 'b', statusPrefix: 'bp', flushDelayMs: 86_400_000, passWaitMs: 86_400_000 };
    const mock = new MockActivityEnvironment();
    await mock.run(acts.reportEntries, { ...base, entries: entries.slice(0, BACKPRESSURE_ENTRIES / 2) });
    await mock.run(acts.reportEntries, { ...base, entries: entries.slice(BACKPRESSURE_ENTRIES / 2) });
    const handle = env.client.workflow.getHandle(statusWorkflowIdOf('b', 'bp'));
    // The flag follows the workflow's state as soon as it has taken the entries in.
    await waitFor('the back-pressure flag', async () => ((await handle.describe()).memo?.[BACKPRESSURE_MEMO_KEY] === true ? true : undefined));
    // Each worker reads the flag at most once a second: a worker that has not read it yet (a fresh instance here) sees it.
    const another = createStatusActivities({ s3: undefined as never, client: env.client, taskQueue });
    const refused = await mock.run(another.reportEntries, { ...base, entries: entries.slice(0, 1) }).then(
      () => undefined,
      (err: unknown) => err,
    );
    assert.ok(refused instanceof ApplicationFailure, String(refused));
    assert.equal(refused.type, FailureType.STATUS_BACKPRESSURE);
    assert.equal(refused.nonRetryable, false);
    await maybeRecordHistory(env.address, handle, 'statusWorkflow-whole-file-reports-back-pressure');

    // An operator terminates the stuck run: its memo still says hold back, but a closed run
    // holds nothing, so the next hand-over starts a fresh run instead of waiting forever.
    await handle.terminate('operator');
    const third = createStatusActivities({ s3: undefined as never, client: env.client, taskQueue });
    await mock.run(third.reportEntries, { ...base, entries: entries.slice(0, 1) });
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    await handle.terminate();
  });
});
