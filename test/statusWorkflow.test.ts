import assert from 'node:assert/strict';
import { S3Client } from '@aws-sdk/client-s3';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { createSharedActivities } from '../src/activities/sharedActivities';
import { statusWorkflowIdOf } from '../src/domain/keys';
import { FileStatusEntry, StatusEntry } from '../src/domain/statusEntry';
import { MAX_ENTRIES_PER_REPORT, StatusEntriesV1, statusEntriesSignal, statusStateQuery, StatusWorkflowInputV1 } from '../src/messages';
import type { statusWorkflow } from '../src/workflows/statusWorkflow';
import { timeSkippingTemporal, workflowBundle } from './support/temporal';
import { newBucket, readReports, s3For, sharedMoto } from './support/harness';
import { maybeRecordHistory } from './support/histories';

function entry(fileName: string, entryId: number, rows = 10, valid = true): FileStatusEntry {
  const e: StatusEntry = {
    originalCreationTime: 1_700_000_000_000,
    entryId,
    valid,
    numberOfRows: rows,
    errors: valid ? [] : ['INVALID_TIMESTAMP'],
    errorsDetails: valid ? [] : ['INVALID_TIMESTAMP: column timestamp, ...'],
    warnings: [],
  };
  return { fileName, entry: e };
}

describe('status workflow (time-skipping test server + moto)', function () {
  let env: TestWorkflowEnvironment;
  let s3: S3Client;
  let worker: Worker;
  let running: Promise<void>;
  let bucket: string;
  const taskQueue = `status-${process.pid}`;

  before(async function () {
    this.timeout(120_000);
    env = await timeSkippingTemporal();
    s3 = s3For(await sharedMoto());
    bucket = await newBucket(s3, 'status');
    worker = await Worker.create({
      connection: env.nativeConnection,
      taskQueue,
      workflowBundle: await workflowBundle(),
      activities: createSharedActivities({ s3, client: env.client, taskQueue, workerTaskQueue: 'unused', warehouse: { bucket, prefix: 'wh' } }),
    });
    running = worker.run();
  });

  after(async function () {
    worker?.shutdown();
    await running;
    await env?.teardown();
  });

  async function signal(prefix: string, entries: FileStatusEntry[], opts: { passEnded?: boolean } & Partial<StatusWorkflowInputV1> = {}) {
    const { passEnded, ...extra } = opts;
    const input: StatusWorkflowInputV1 = { version: 1, bucket, statusPrefix: prefix, flushDelayMs: 30_000, passWaitMs: 60_000, ...extra };
    return env.client.workflow.signalWithStart<typeof statusWorkflow, [StatusEntriesV1]>('statusWorkflow', {
      workflowId: statusWorkflowIdOf(bucket, prefix),
      taskQueue,
      args: [input],
      signal: statusEntriesSignal,
      signalArgs: [{ entries, ...(passEnded ? { passEnded } : {}) }],
    });
  }

  async function reportsSettled(prefix: string, count: number) {
    const deadline = Date.now() + 30_000;
    for (;;) {
      const reports = await readReports(s3, bucket, prefix);
      if (reports.length >= count) return reports;
      if (Date.now() > deadline) throw new Error(`expected ${count} reports under ${prefix}, found ${reports.length}`);
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  const filesOf = (r: { doc: Record<string, unknown> }) => Object.keys(r.doc).sort();

  it('writes a finished pass at once, at the contract path, with the contract fields in order', async function () {
    const handle = await signal('flush/st', [entry('a.parquet', 0), entry('a.parquet', 2, 5, false)], { passEnded: true });
    const [report] = await reportsSettled('flush/st', 1);
    assert.match(report!.key, /^flush\/st\/\d{4}-\d{2}-\d{2}\/\d{2}-\d{2}-\d{2}\.\d{3}\.UTC_report\.status$/);
    assert.deepEqual(report!.doc['a.parquet'], [entry('a.parquet', 0).entry, entry('a.parquet', 2, 5, false).entry]);
    assert.deepEqual(Object.keys(report!.doc['a.parquet']![0]!), [
      'originalCreationTime', 'entryId', 'valid', 'numberOfRows', 'errors', 'errorsDetails', 'warnings',
    ]);
    const state = await handle.query(statusStateQuery);
    assert.equal(state.reportsWritten, 1);
    assert.equal(state.pendingEntries, 0);
  });

  it('holds a running pass until it ends, or until the pass wait and the flush delay have passed', async function () {
    await signal('long', [entry('slow.parquet', 0)]);
    await env.sleep(80_000);
    assert.equal((await readReports(s3, bucket, 'long')).length, 0, 'nothing before passWait (60 s) + flushDelay (30 s)');
    await env.sleep(15_000);
    const [report] = await reportsSettled('long', 1);
    assert.deepEqual(filesOf(report!), ['slow.parquet']);
  });

  it('puts whole passes in a report: an ended pass waits the flush delay for a running one, then goes alone', async function () {
    await signal('whole', [entry('running.parquet', 0)]);
    await signal('whole', [entry('done.parquet', 0), entry('done.parquet', 16)], { passEnded: true });
    await env.sleep(20_000);
    assert.equal((await readReports(s3, bucket, 'whole')).length, 0, 'the ended pass waits up to the flush delay');
    await env.sleep(15_000);
    const [first] = await reportsSettled('whole', 1);
    assert.deepEqual(filesOf(first!), ['done.parquet'], 'the running pass is not split into it');
    await signal('whole', [entry('running.parquet', 16)], { passEnded: true });
    const reports = await reportsSettled('whole', 2);
    const second = reports.find((r) => r.key !== first!.key)!;
    assert.deepEqual(second.doc['running.parquet']!.map((e) => e.entryId), [0, 16], 'the whole pass in one report');
  });

  it('drops redelivered entries and writes nothing when nothing is new', async function () {
    await signal('dedup', [entry('f.parquet', 0), entry('f.parquet', 16)]);
    await signal('dedup', [entry('f.parquet', 0)], { passEnded: true }); // redelivered before the report
    const first = await reportsSettled('dedup', 1);
    assert.equal(first[0]!.doc['f.parquet']!.length, 2);

    const handle = await signal('dedup', [entry('f.parquet', 16), entry('f.parquet', 0)], { passEnded: true }); // redelivered after
    await env.sleep(120_000);
    assert.equal((await readReports(s3, bucket, 'dedup')).length, 1, 'no report for redelivered entries only');
    assert.equal((await handle.query(statusStateQuery)).reportsWritten, 1);

    await signal('dedup', [entry('f.parquet', 32), entry('f.parquet', 0)], { passEnded: true });
    const reports = await reportsSettled('dedup', 2);
    const second = reports.find((r) => r.key !== first[0]!.key)!;
    assert.deepEqual(second.doc['f.parquet']!.map((e) => e.entryId), [32]);
  });

  it('continues as new carrying its duplicate filter, and never reuses a report key', async function () {
    const prefix = 'can';
    const handle = await signal(prefix, [entry('g.parquet', 0)], { reportsPerRun: 1, passEnded: true });
    const firstRun = (await handle.describe()).runId;
    await reportsSettled(prefix, 1);
    await signal(prefix, [entry('g.parquet', 0), entry('g.parquet', 16)], { passEnded: true });
    const reports = await reportsSettled(prefix, 2);
    assert.notEqual((await handle.describe()).runId, firstRun, 'a new run after continue-as-new');
    const all = reports.flatMap((r) => r.doc['g.parquet']!.map((e) => e.entryId)).sort((a, b) => a - b);
    assert.deepEqual(all, [0, 16], 'entry 0 was not reported twice across runs');
    assert.equal(new Set(reports.map((r) => r.key)).size, reports.length);
    assert.equal((await handle.query(statusStateQuery)).reportsWritten, 2);
    await maybeRecordHistory(env.address, handle, 'statusWorkflow-whole-file-reports-continued-as-new', firstRun);
    await maybeRecordHistory(env.address, handle, 'statusWorkflow-whole-file-reports-after-continue-as-new');
  });

  it('a run continued from the loop before whole-file reports writes the bare entries it carried at once', async function () {
    const carried = { pending: [entry('old.parquet', 0), entry('old.parquet', 16)], seen: [], reportsWritten: 3 };
    const handle = await env.client.workflow.start('statusWorkflow', {
      workflowId: statusWorkflowIdOf(bucket, 'carried'),
      taskQueue,
      args: [{ version: 1, bucket, statusPrefix: 'carried', flushDelayMs: 30_000, carried } satisfies StatusWorkflowInputV1],
    });
    const [report] = await reportsSettled('carried', 1);
    assert.deepEqual(report!.doc['old.parquet']!.map((e) => e.entryId), [0, 16]);
    assert.equal((await handle.query(statusStateQuery)).reportsWritten, 4);
  });

  it('writes at once when a full report is pending, and splits a pass bigger than a report', async function () {
    const many = Array.from({ length: MAX_ENTRIES_PER_REPORT + 200 }, (_, i) => entry('big.parquet', i * 16));
    const handle = await signal('split', many.slice(0, -50));
    const reports = await reportsSettled('split', 1);
    assert.equal(Object.values(reports[0]!.doc).flat().length, MAX_ENTRIES_PER_REPORT, 'at once, without the delay');
    await signal('split', many.slice(-50), { passEnded: true });
    const both = await reportsSettled('split', 2);
    const sizes = both.map((r) => Object.values(r.doc).flat().length).sort((a, b) => b - a);
    assert.deepEqual(sizes, [MAX_ENTRIES_PER_REPORT, 200]);
    const all = both.flatMap((r) => Object.entries(r.doc).flatMap(([f, es]) => es.map((e) => `${f}|${e.entryId}`)));
    assert.equal(new Set(all).size, MAX_ENTRIES_PER_REPORT + 200, 'every entry exactly once');
    await maybeRecordHistory(env.address, handle, 'statusWorkflow-whole-file-reports-split');
  });
});
