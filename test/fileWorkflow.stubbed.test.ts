import assert from 'node:assert/strict';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import { WorkflowFailedError } from '@temporalio/client';
import type { FileActivities } from '../src/activities/fileActivities';
import type { SharedActivities } from '../src/activities/sharedActivities';
import type { AdmissionActivities } from '../src/activities/admission/admissionActivities';
import type { SmallFileActivities } from '../src/activities/smallFileActivities';
import { Context } from '@temporalio/activity';
import { temporal } from '@temporalio/proto';
import { requestReprocessOrNextGeneration, startFileWorkflow } from '../src/client';
import { Chunk } from '../src/domain/chunkPlan';
import { MAX_GENERATION } from '../src/domain/entryId';
import { objectVersionOf } from '../src/domain/keys';
import type { StatusEntry } from '../src/domain/statusEntry';
import {
  CommitGenerationInputV1,
  DEFAULT_FILE_TUNING_V1,
  FailureType,
  FileWorkflowInputV1,
  progressQuery,
  ReportEntriesInputV1,
  reprocessSignal,
  statusStateQuery,
  admissionQueueOf,
  leaseQueueOf,
  smallFileQueueOf,
} from '../src/messages';
import { statusWorkflowIdOf } from '../src/domain/keys';
import { timeSkippingTemporal, workflowBundle } from './support/temporal';
import { waitFor } from './support/harness';
import { maybeRecordHistory } from './support/histories';

const CHUNKS: Chunk[] = [0, 1, 2].map((index) => ({ index, firstRow: index * 100, rowCount: 100 }));
const VERDICT = { valid: true, problems: [], warnings: [], presentColumns: [], timestampEncoding: 'INT64', unknownColumns: [] };

function validEntry(chunk: number, generation = 0): StatusEntry {
  return { originalCreationTime: 1, entryId: generation * 2 ** 20 + chunk * 16, valid: true, numberOfRows: 100, errors: [], errorsDetails: [], warnings: [] };
}

/** An activity these inputs never call: a stray call fails at once, without retries. */
function unused(name: string) {
  return async (): Promise<never> => {
    throw ApplicationFailure.nonRetryable(`${name} is not used by V1/V2 inputs`, 'UnexpectedActivity');
  };
}

/** What the fake activities were asked to do, and how they should misbehave. */
class Script {
  claims = 0;
  processed: number[] = [];
  reports: ReportEntriesInputV1[] = [];
  commits: CommitGenerationInputV1[] = [];
  /** Queues claimWorker answers in turn (the last repeats). */
  queues: string[] = [];
  /** processChunk of this chunk throws LOCAL_FILE_MISSING this many times. */
  loseWorkerAt = new Map<number, number>();
  objectGone = false;
  rejected = false;
  written: string[] = [];
  /** writeStatusReport answers `taken` this many times before writing. */
  takenKeys = 0;
  leases = 0;
  /** downloadFile takes this long (heartbeating): a busy worker. */
  downloadMs = 0;
  /** downloadFile refuses this many times with 403. */
  refusals = 0;
  smallFiles: string[] = [];
}

/**
 * The file and status workflows against fake activities on the time-skipping server: every
 * branch of the orchestration (lost workers, budgets, gone objects, rejected passes, report
 * conflicts) in milliseconds, without S3 or DuckDB.
 */
describe('file and status workflows with stubbed activities (time-skipping)', function () {
  let env: TestWorkflowEnvironment;
  let script: Script;
  const taskQueue = `stubbed-${process.pid}`;
  const liveQueue = `${taskQueue}/worker/live`;
  const deadQueue = `${taskQueue}/worker/dead`;
  let workers: Worker[] = [];
  let running: Promise<void>[] = [];

  before(async function () {
    env = await timeSkippingTemporal();
    const shared: SharedActivities = {
      async claimWorker() {
        return script.queues[Math.min(script.claims++, script.queues.length - 1)] ?? liveQueue;
      },
      async commitGeneration(input) {
        script.commits.push(input);
        return { deleted: 0 };
      },
      async reportEntries(input) {
        script.reports.push(input);
      },
      async writeStatusReport(input) {
        if (script.takenKeys > 0) {
          script.takenKeys--;
          script.written.push(`taken:${input.key}`);
          return { outcome: 'taken' };
        }
        script.written.push(input.key);
        return { outcome: 'written' };
      },
      // Integration activities: V1/V2 inputs carry their integration, so none of these runs here
      // (test/fileWorkflow.integrations.stubbed.test.ts covers V3 inputs).
      reportIntegrationGone: unused('reportIntegrationGone'),
      checkIntegrationChange: unused('checkIntegrationChange'),
      publishIntegration: unused('publishIntegration'),
      resolveIntegration: unused('resolveIntegration'),
    };
    const admission: AdmissionActivities = {
      async claimFile() {
        const queue = script.queues[Math.min(script.claims++, script.queues.length - 1)] ?? liveQueue;
        return { workerTaskQueue: queue, leaseTaskQueue: leaseQueueOf(queue) };
      },
      async holdFile() {
        script.leases++;
        const ctx = Context.current();
        for (;;) {
          ctx.heartbeat();
          await ctx.sleep(200);
        }
      },
    };
    const small: SmallFileActivities = {
      async processSmallFile(input) {
        script.smallFiles.push(input.object.key);
        return { outcome: 'processed', rowsValid: 90, rowsInvalid: 10, fileRows: 100, chunks: 1 };
      },
    };
    const local: FileActivities = {
      async downloadFile() {
        if (script.objectGone) throw ApplicationFailure.nonRetryable('gone', FailureType.OBJECT_VERSION_GONE);
        if (script.refusals > 0) {
          script.refusals--;
          throw ApplicationFailure.nonRetryable('Access Denied', FailureType.OBJECT_ACCESS_REFUSED);
        }
        for (let waited = 0; waited < script.downloadMs; waited += 200) {
          Context.current().heartbeat();
          await Context.current().sleep(200);
        }
        return { kind: 'downloaded', localPath: '/fake', compression: 'none', bytes: 1 };
      },
      async inspectFile(input) {
        if (script.rejected) return { kind: 'rejected', footerRows: 300, entries: [{ ...validEntry(0), valid: false, numberOfRows: 300, errors: ['INVALID_SCHEMA'] }] };
        return { kind: 'ok', footerRows: 300, verdict: VERDICT as never, chunks: CHUNKS, readPath: input.localPath };
      },
      async processChunk(input) {
        const left = script.loseWorkerAt.get(input.chunk.index) ?? 0;
        if (left > 0) {
          script.loseWorkerAt.set(input.chunk.index, left - 1);
          throw ApplicationFailure.nonRetryable('local copy gone', FailureType.LOCAL_FILE_MISSING);
        }
        script.processed.push(input.chunk.index);
        return { entries: [validEntry(input.chunk.index, input.ctx.generation)], validRows: 100, invalidRows: 0, storedKeys: [`k${input.chunk.index}`] };
      },
      async removeLocalFile() {},
    };
    const bundle = await workflowBundle();
    workers = [
      await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: shared }),
      await Worker.create({ connection: env.nativeConnection, taskQueue: liveQueue, activities: local }),
      await Worker.create({ connection: env.nativeConnection, taskQueue: admissionQueueOf(taskQueue), activities: { claimFile: admission.claimFile } }),
      // Cancellation reaches an activity with its next heartbeat: send them often, or leases of
      // finished files outlive them and the test server stops skipping time meanwhile.
      await Worker.create({ connection: env.nativeConnection, taskQueue: leaseQueueOf(liveQueue), activities: { holdFile: admission.holdFile }, maxHeartbeatThrottleInterval: '200ms' }),
      await Worker.create({ connection: env.nativeConnection, taskQueue: smallFileQueueOf(taskQueue), activities: small }),
      // The dead worker: it admitted the file, then stopped (its lease heartbeats no more, its queue is not served).
      await Worker.create({
        connection: env.nativeConnection,
        taskQueue: leaseQueueOf(deadQueue),
        activities: { holdFile: () => Context.current().sleep(3_000) },
      }),
    ];
    running = workers.map((w) => w.run());
  });

  after(async () => {
    for (const w of workers) w.shutdown();
    await Promise.all(running);
    await env?.teardown();
  });

  beforeEach(() => {
    script = new Script();
  });

  let seq = 0;
  async function startFile(tuning: Partial<FileWorkflowInputV1['tuning']> = {}, objectBytes?: number) {
    const object = objectVersionOf('bucket', `in/file-${process.pid}-${seq++}.parquet`, undefined, 'etag');
    const { handle } = await startFileWorkflow(env.client, {
      object,
      originalCreationTime: 1,
      integration: { integrationId: 'it', environments: ['env-a'], statusPrefix: 'st' },
      reprocessWindowMs: 60_000,
      taskQueue,
      tuning,
      objectBytes,
    });
    return handle;
  }

  it('writes every tuning value into the workflow input, so later defaults never change a running file', async () => {
    const handle = await startFile({ targetChunkRows: 5 });
    await handle.result();
    const history = await handle.fetchHistory();
    const payload = history.events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    const input = JSON.parse(Buffer.from(payload.data!).toString()) as FileWorkflowInputV1;
    assert.deepEqual(input.tuning, { ...DEFAULT_FILE_TUNING_V1, targetChunkRows: 5 });
  });

  it('a lost worker restarts the file elsewhere, skipping chunks already reported; the last report ends the pass', async () => {
    script.loseWorkerAt.set(1, 1);
    const handle = await startFile();
    const result = await handle.result();
    assert.deepEqual(script.processed, [0, 1, 2], 'chunk 0 is not processed again');
    assert.equal(result.last.workerRestarts, 1);
    assert.deepEqual(script.reports.map((r) => r.entries.map((e) => e.entry.entryId)), [[0], [16], [32]], 'each chunk reported once');
    assert.deepEqual(script.reports.map((r) => r.passEnded ?? false), [false, false, true]);
    assert.deepEqual(script.commits.map((c) => c.keys), [['k0', 'k1', 'k2']]);
  });

  it('a busy worker is not a lost one: work that outlasts the lease timeout does not restart the file', async () => {
    script.downloadMs = 3_000;
    const handle = await startFile({ leaseTimeoutMs: 1_000, workerScheduleToStartMs: 1_000 });
    const result = await handle.result();
    assert.equal(result.last.workerRestarts, 0);
    assert.equal(script.claims, 1);
    assert.equal(script.leases, 1);
  });

  it('takes a small file in one activity, without admission', async () => {
    const handle = await startFile({}, 30_000);
    const result = await handle.result();
    assert.deepEqual(script.smallFiles, [handle.workflowId.replace(/^file\/bucket\//, '').replace(/@etag$/, '')]);
    assert.equal(script.claims, 0);
    assert.equal(result.last.smallFile, true);
    assert.equal(result.last.rowsValid + result.last.rowsInvalid, 100);
  });

  it('parks a file S3 refuses (403), reports nothing for it, and resumes after the back-off', async () => {
    script.refusals = 2;
    const handle = await startFile({ parkFirstBackoffMs: 10_000 });
    const result = await handle.result();
    assert.equal(result.last.timesParked, 2);
    assert.equal(result.generations, 1);
    assert.deepEqual(script.reports.map((r) => r.entries.length), [1, 1, 1], 'only the pass that could read the file reported');
  });

  it('a rejected pass reports once, ends its pass and commits an empty generation', async () => {
    script.rejected = true;
    const handle = await startFile();
    await handle.result();
    assert.equal(script.reports.length, 1);
    assert.equal(script.reports[0]!.passEnded, true);
    assert.deepEqual(script.commits.map((c) => c.keys), [[]]);
  });

  it('refuses a reprocess past the last generation an entry id can hold', async () => {
    const object = objectVersionOf('bucket', `in/last-gen-${process.pid}.parquet`, undefined, 'etag');
    const input: FileWorkflowInputV1 = {
      version: 1,
      object,
      originalCreationTime: 1,
      integration: { integrationId: 'it', environments: ['env-a'], statusPrefix: 'st' },
      generation: MAX_GENERATION,
      reprocessWindowMs: 60_000,
    };
    const handle = await env.client.workflow.start('fileWorkflow', { workflowId: `last-gen-${process.pid}`, taskQueue, args: [input] });
    await waitFor('the pass', async () => ((await handle.query(progressQuery)).phase === 'waiting-for-reprocess' ? true : undefined));
    await handle.signal(reprocessSignal, { reason: 'one too many' });
    const result = await handle.result();
    assert.equal(result.generations, 1, 'no second pass');
    assert.equal(result.last.generation, MAX_GENERATION);
  });

  it('after a terminated run, the next generation comes after every generation that run reported', async () => {
    const handle = await startFile();
    await waitFor('the first pass', async () => ((await handle.query(progressQuery)).phase === 'waiting-for-reprocess' ? true : undefined));
    await handle.signal(reprocessSignal, { reason: 'again' });
    await waitFor('the second pass', async () => {
      const p = await handle.query(progressQuery);
      return p.generation === 1 && p.phase === 'waiting-for-reprocess' ? true : undefined;
    });
    await handle.terminate('operator');
    const object = (await handle.fetchHistory()).events![0]!.workflowExecutionStartedEventAttributes!.input!.payloads![0]!;
    const { object: version } = JSON.parse(Buffer.from(object.data!).toString()) as FileWorkflowInputV1;
    const outcome = await requestReprocessOrNextGeneration(env.client, version, taskQueue, 'after terminate');
    assert.deepEqual(outcome, { kind: 'next-generation', workflowId: handle.workflowId, generation: 2 });
    await env.client.workflow.getHandle(handle.workflowId).terminate();
  });

  it('the status workflow moves a report to the next key when its key is taken, and keeps running', async () => {
    script.takenKeys = 2;
    const workflowId = statusWorkflowIdOf('bucket', `taken-${process.pid}`);
    const handle = await env.client.workflow.signalWithStart('statusWorkflow', {
      workflowId,
      taskQueue,
      args: [{ version: 1, bucket: 'bucket', statusPrefix: `taken-${process.pid}`, flushDelayMs: 5_000 }],
      signal: 'statusEntries',
      signalArgs: [{ entries: [{ fileName: 'f', entry: validEntry(0) }], passEnded: true }],
    });
    const state = await waitFor('the report', async () => {
      const s = await handle.query(statusStateQuery);
      return s.reportsWritten === 1 ? s : undefined;
    });
    assert.equal(state.keysSkipped, 2);
    assert.equal(script.written.length, 3);
    const keys = script.written.map((k) => k.replace(/^taken:/, ''));
    assert.equal(new Set(keys).size, 3, 'three different keys, each later than the one before');
    assert.deepEqual([...keys].sort(), keys);
    assert.equal((await handle.describe()).status.name, 'RUNNING');
    await maybeRecordHistory(env.address, handle, 'statusWorkflow-whole-file-reports-taken-keys');
    await handle.terminate();
  });
  // These end their workflow while its lease is being cancelled: the time-skipping server then
  // stops skipping time for the rest of the file, so they come last.
  it('fails the file once its restart budget is spent', async () => {
    script.loseWorkerAt.set(0, 100);
    const handle = await startFile({ maxWorkerRestarts: 2 });
    await assert.rejects(handle.result(), WorkflowFailedError);
    assert.deepEqual(script.processed, []);
    assert.equal(script.claims, 3, 'the first claim and two restarts');
  });

  it('an object version deleted before download ends the workflow with nothing reported', async () => {
    script.objectGone = true;
    const handle = await startFile();
    const result = await handle.result();
    assert.equal(result.generations, 0);
    assert.equal(result.last.phase, 'done');
    assert.deepEqual(script.reports, []);
  });

  it('a worker that dies after admitting the file is found lost by its lease, and the file restarts on a worker with room', async () => {
    script.queues = [deadQueue, liveQueue];
    // The dead worker's lease stops heartbeating; it only returns (long after its timeout) so
    // that the test server, which does not skip time while an activity runs, goes on skipping.
    const handle = await startFile({ leaseTimeoutMs: 1_000 });
    const progress = await waitFor('the pass on the live worker', async () => {
      const p = await handle.query(progressQuery);
      return p.phase === 'waiting-for-reprocess' ? p : undefined;
    });
    assert.equal(progress.workerRestarts, 1);
    assert.deepEqual(script.processed, [0, 1, 2]);
    const history = await handle.fetchHistory();
    const timeouts = history.events!.filter((e) => e.activityTaskTimedOutEventAttributes);
    assert.equal(timeouts.length, 1, 'one timeout: the lease on the dead worker');
    assert.equal(timeouts[0]!.activityTaskTimedOutEventAttributes!.failure?.timeoutFailureInfo?.timeoutType, temporal.api.enums.v1.TimeoutType.TIMEOUT_TYPE_HEARTBEAT, 'its heartbeat stopped, no schedule-to-start ran out');
    await handle.terminate();
  });
});
