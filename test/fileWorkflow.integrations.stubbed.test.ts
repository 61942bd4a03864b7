import assert from 'node:assert/strict';
import { Context } from '@temporalio/activity';
import { WorkflowHandle } from '@temporalio/client';
import { ApplicationFailure } from '@temporalio/common';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { AdmissionActivities } from '../src/activities/admission/admissionActivities';
import type { FileActivities } from '../src/activities/fileActivities';
import type { SharedActivities } from '../src/activities/sharedActivities';
import type { SmallFileActivities } from '../src/activities/smallFileActivities';
import { startFileWorkflow } from '../src/client';
import type { Chunk } from '../src/domain/chunkPlan';
import { contentGroupsOf, duplicateContentEntries } from '../src/domain/integration/integrationEntries';
import { fileIdOf, ObjectVersion, objectVersionOf } from '../src/domain/keys';
import type { StatusEntry } from '../src/domain/statusEntry';
import {
  admissionQueueOf,
  CommitGenerationInputV1,
  DEFAULT_FILE_TUNING_V1,
  DownloadFileInputV1,
  FailureType,
  FileWorkflowTuning,
  leaseQueueOf,
  ProcessChunkInputV1,
  ProcessSmallFileInputV1,
  ProcessSmallFileResultV1,
  progressQuery,
  ReportEntriesInputV1,
  ReportIntegrationGoneInputV1,
  reprocessSignal,
  ResolvedIntegrationV1,
  smallFileQueueOf,
} from '../src/messages';
import type { fileWorkflow } from '../src/workflows/fileWorkflow';
import { waitFor } from './support/harness';
import { maybeRecordHistory } from './support/histories';
import { timeSkippingTemporal, workflowBundle } from './support/temporal';

const CHUNKS: Chunk[] = [0, 1].map((index) => ({ index, firstRow: index * 100, rowCount: 100 }));
const VERDICT = { valid: true, problems: [], warnings: [], presentColumns: [], timestampEncoding: 'INT64', unknownColumns: [] };
const SHA256 = 'c0ffee'.padEnd(64, '0');
const LARGE = 64 * 1024 * 1024;
const SMALL = 30_000;

function validEntry(chunk: number, generation: number): StatusEntry {
  return { originalCreationTime: 1, entryId: generation * 2 ** 20 + chunk * 16, valid: true, numberOfRows: 100, errors: [], errorsDetails: [], warnings: [] };
}

const live = (integrationId: string, configVersion: number, environments: string[], statusPrefix: string, region = 'us-east-1'): ResolvedIntegrationV1 => ({
  kind: 'live',
  integrationId,
  configVersion,
  environments,
  statusPrefix,
  region,
});
const deleted = (integrationId: string, configVersion: number, statusPrefix: string): ResolvedIntegrationV1 => ({
  kind: 'deleted',
  integrationId,
  configVersion,
  statusPrefix,
  region: 'us-east-1',
});

/** What the fake activities were asked, and what they answer. */
class Script {
  /** What resolveIntegration answers now (a test changes it between passes). */
  integration: ResolvedIntegrationV1 | undefined;
  resolves: string[] = [];
  downloads: DownloadFileInputV1[] = [];
  /** downloadFile answers `processed-before` (an earlier run no longer retained by Temporal reserved generation 0). */
  processedBefore = false;
  chunks: ProcessChunkInputV1[] = [];
  /** processChunk of this chunk throws LOCAL_FILE_MISSING (the worker holding the file is lost) this many times. */
  loseWorkerAt = new Map<number, number>();
  reports: ReportEntriesInputV1[] = [];
  commits: CommitGenerationInputV1[] = [];
  gone: ReportIntegrationGoneInputV1[] = [];
  removals = 0;
  claims = 0;
  /** Worker queues claimFile answers in turn (the last repeats; the live worker when empty). */
  queues: string[] = [];
  /** The size each claimFile asked admission to weigh. */
  claimedBytes: number[] = [];
  /** downloadFile finds the content already ingested by this object version. */
  duplicateOf: ObjectVersion | undefined;
  smallFiles: ProcessSmallFileInputV1[] = [];
  smallResult: ProcessSmallFileResultV1 = { outcome: 'processed', rowsValid: 90, rowsInvalid: 10, fileRows: 100, chunks: 1 };
}

const unused = (name: string) => async (): Promise<never> => {
  throw ApplicationFailure.nonRetryable(`${name} is not used by file passes`, 'UnexpectedActivity');
};

/**
 * V3 file workflows (the input names its integration) against fake activities on the
 * time-skipping server: each pass reads its integration with a local activity, deleted
 * integrations, duplicates, files an earlier (no longer retained) run processed, the content
 * ledger's inputs, and what the small-file path is handed.
 */
describe('file workflow with integration entities (V3 inputs), stubbed activities (time-skipping)', function () {
  let env: TestWorkflowEnvironment;
  let script: Script;
  const taskQueue = `v3-stubbed-${process.pid}`;
  const workerQueue = `${taskQueue}/worker/live`;
  const deadQueue = `${taskQueue}/worker/dead`;
  let workers: Worker[] = [];
  let running: Promise<void>[] = [];

  before(async function () {
    env = await timeSkippingTemporal();
    const shared: SharedActivities = {
      async claimWorker() {
        return workerQueue;
      },
      async commitGeneration(input) {
        script.commits.push(input);
        return { deleted: 0 };
      },
      async reportEntries(input) {
        script.reports.push(input);
      },
      async writeStatusReport() {
        return { outcome: 'written' };
      },
      async resolveIntegration(input) {
        script.resolves.push(input.integrationId);
        if (!script.integration) throw ApplicationFailure.nonRetryable('no integration scripted', 'UnexpectedActivity');
        return script.integration;
      },
      async reportIntegrationGone(input) {
        script.gone.push(input);
        return { reported: true };
      },
      checkIntegrationChange: unused('checkIntegrationChange'),
      publishIntegration: unused('publishIntegration'),
    };
    const admission: AdmissionActivities = {
      async claimFile(input) {
        const queue = script.queues[Math.min(script.claims, script.queues.length - 1)] ?? workerQueue;
        script.claims++;
        script.claimedBytes.push(input.bytes);
        return { workerTaskQueue: queue, leaseTaskQueue: leaseQueueOf(queue) };
      },
      async holdFile() {
        const ctx = Context.current();
        for (;;) {
          ctx.heartbeat();
          await ctx.sleep(200);
        }
      },
    };
    const local: FileActivities = {
      async downloadFile(input) {
        script.downloads.push(input);
        if (script.processedBefore) return { kind: 'processed-before' };
        const first = script.duplicateOf;
        if (first) {
          const groups = [{ valid: true, errors: [], warnings: [], numberOfRows: 200 }];
          return { kind: 'duplicate', entries: duplicateContentEntries(input.ctx, groups, first), firstObject: first, sha256: SHA256 };
        }
        return { kind: 'downloaded', localPath: '/fake', compression: 'none', bytes: 1, sha256: SHA256 };
      },
      async inspectFile(input) {
        return { kind: 'ok', footerRows: 200, verdict: VERDICT as never, chunks: CHUNKS, readPath: input.localPath };
      },
      async processChunk(input) {
        const left = script.loseWorkerAt.get(input.chunk.index) ?? 0;
        if (left > 0) {
          script.loseWorkerAt.set(input.chunk.index, left - 1);
          throw ApplicationFailure.nonRetryable('local copy gone', FailureType.LOCAL_FILE_MISSING);
        }
        script.chunks.push(input);
        return { entries: [validEntry(input.chunk.index, input.ctx.generation)], validRows: 100, invalidRows: 0, storedKeys: [`k${input.chunk.index}`] };
      },
      async removeLocalFile() {
        script.removals++;
      },
    };
    const small: SmallFileActivities = {
      async processSmallFile(input) {
        script.smallFiles.push(input);
        return script.smallResult;
      },
    };
    const bundle = await workflowBundle();
    workers = [
      // The workflow's own worker on the shared task queue: it runs resolveIntegration as a local activity.
      await Worker.create({ connection: env.nativeConnection, taskQueue, workflowBundle: bundle, activities: shared }),
      await Worker.create({ connection: env.nativeConnection, taskQueue: workerQueue, activities: local }),
      await Worker.create({ connection: env.nativeConnection, taskQueue: admissionQueueOf(taskQueue), activities: { claimFile: admission.claimFile } }),
      // Leases must see their cancellation soon after the pass ends (see fileWorkflow.stubbed.test.ts).
      await Worker.create({ connection: env.nativeConnection, taskQueue: leaseQueueOf(workerQueue), activities: { holdFile: admission.holdFile }, maxHeartbeatThrottleInterval: '200ms' }),
      await Worker.create({ connection: env.nativeConnection, taskQueue: smallFileQueueOf(taskQueue), activities: small }),
      // The dead worker: it admitted the file, then stopped (its lease heartbeats no more, its queue is not served).
      await Worker.create({ connection: env.nativeConnection, taskQueue: leaseQueueOf(deadQueue), activities: { holdFile: () => Context.current().sleep(3_000) } }),
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
  async function startFile(
    integrationId: string,
    objectBytes = LARGE,
    tuning: Partial<FileWorkflowTuning> = {},
  ): Promise<{ handle: WorkflowHandle<typeof fileWorkflow>; object: ObjectVersion }> {
    const object = objectVersionOf('bucket', `in/v3-${process.pid}-${seq++}.parquet`, undefined, 'etag');
    const { handle } = await startFileWorkflow(env.client, { object, originalCreationTime: 1, integration: { integrationId }, reprocessWindowMs: 60_000, taskQueue, objectBytes, tuning });
    return { handle: handle as WorkflowHandle<typeof fileWorkflow>, object };
  }

  const passDone = (handle: WorkflowHandle<typeof fileWorkflow>, generation: number) =>
    waitFor(`pass ${generation}`, async () => {
      const p = await handle.query(progressQuery);
      return p.generation === generation && p.phase === 'waiting-for-reprocess' ? p : undefined;
    });

  /** The activities the workflow scheduled through task queues, and the local activities it recorded, in order. */
  async function activitiesOf(handle: WorkflowHandle<typeof fileWorkflow>): Promise<{ scheduled: string[]; localMarkers: number }> {
    const { events } = await handle.fetchHistory();
    const scheduled = events!.flatMap((e) => (e.activityTaskScheduledEventAttributes ? [e.activityTaskScheduledEventAttributes.activityType!.name!] : []));
    const localMarkers = events!.filter((e) => e.markerRecordedEventAttributes?.markerName === 'core_local_activity').length;
    return { scheduled, localMarkers };
  }

  it('each pass of a large file reads its integration when it starts, with a local activity: a reprocess runs with the environments, status folder and region set since', async () => {
    script.integration = live('it-envs', 1, ['env-a'], 'st-1');
    const { handle } = await startFile('it-envs');
    const first = await passDone(handle, 0);
    assert.equal(first.configVersion, 1);
    assert.deepEqual(script.resolves, ['it-envs']);
    assert.deepEqual(script.downloads[0]!.ctx.environments, ['env-a']);
    assert.deepEqual(script.chunks.map((c) => c.ctx.environments), [['env-a'], ['env-a']]);
    assert.deepEqual(script.reports.map((r) => r.statusPrefix), ['st-1', 'st-1']);

    script.integration = live('it-envs', 2, ['env-b', 'env-c'], 'st-2', 'eu-west-1');
    await handle.signal(reprocessSignal, { reason: 'environments changed' });
    const result = await handle.result();
    assert.equal(result.generations, 2);
    assert.equal(result.last.configVersion, 2);
    assert.deepEqual(script.resolves, ['it-envs', 'it-envs'], 'read again at the second pass');
    assert.equal(script.downloads[1]!.ctx.generation, 1);
    assert.deepEqual(script.downloads[1]!.ctx.environments, ['env-b', 'env-c']);
    assert.deepEqual(script.chunks.slice(2).map((c) => c.ctx.environments), [['env-b', 'env-c'], ['env-b', 'env-c']]);
    assert.deepEqual(script.reports.map((r) => r.statusPrefix), ['st-1', 'st-1', 'st-2', 'st-2']);
    assert.deepEqual(script.downloads.map((d) => d.region), ['us-east-1', 'eu-west-1']);
    assert.deepEqual(script.reports.map((r) => r.region), ['us-east-1', 'us-east-1', 'eu-west-1', 'eu-west-1']);
    const { scheduled, localMarkers } = await activitiesOf(handle);
    assert.ok(!scheduled.includes('resolveIntegration'), `not scheduled on a task queue: ${scheduled.join(', ')}`);
    assert.equal(localMarkers, 2, 'one local activity per pass, recorded in the history');
    await maybeRecordHistory(env.address, handle, 'fileWorkflow-v3-integration-reprocessed');
  });

  it("admission weighs a V3 input's object size", async () => {
    script.integration = live('it-bytes', 1, ['env-a'], 'st');
    const { handle } = await startFile('it-bytes');
    await passDone(handle, 0);
    assert.deepEqual(script.claimedBytes, [LARGE]);
    await handle.result();
  });

  it('a first pass looks its content up under the configuration it read, and its commit records the content hash for the ledger; a reprocess does not look it up', async () => {
    script.integration = live('it-ledger', 7, ['env-a'], 'st');
    const { handle, object } = await startFile('it-ledger');
    await passDone(handle, 0);
    assert.deepEqual(script.downloads[0]!.contentCheck, { integrationId: 'it-ledger', configVersion: 7 });
    const groups = contentGroupsOf([validEntry(0, 0), validEntry(1, 0)]);
    assert.deepEqual(script.commits[0], {
      fileId: fileIdOf(object),
      object,
      generation: 0,
      keys: ['k0', 'k1'],
      content: { integrationId: 'it-ledger', configVersion: 7, sha256: SHA256, groups },
    });

    await handle.signal(reprocessSignal, { reason: 'again' });
    await handle.result();
    assert.equal(script.downloads.length, 2);
    assert.equal(script.downloads[1]!.contentCheck, undefined, 'a reprocess ingests the content again whatever the ledger says');
    // The ledger keeps the latest pass of the same file version (FileLedger.recordContent).
    assert.deepEqual(script.commits[1]!.content, { integrationId: 'it-ledger', configVersion: 7, sha256: SHA256, groups });
  });

  it('a worker lost after the download decided the content: the pass downloads again on another worker without looking the content up, so it cannot turn into a duplicate', async () => {
    script.integration = live('it-restart', 3, ['env-a'], 'st');
    script.loseWorkerAt.set(1, 1);
    const { handle, object } = await startFile('it-restart');
    const progress = await passDone(handle, 0);
    assert.equal(progress.workerRestarts, 1);
    assert.equal(script.claims, 2, 'claimed again after the worker was lost');
    assert.deepEqual(
      script.downloads.map((d) => [d.ctx.generation, d.contentCheck]),
      [
        [0, { integrationId: 'it-restart', configVersion: 3 }],
        [0, undefined],
      ],
    );
    assert.deepEqual(script.chunks.map((c) => c.chunk.index), [0, 1], 'chunk 0, reported before the restart, is not processed again');
    assert.deepEqual(script.reports.map((r) => r.entries.map((e) => e.entry.entryId)), [[0], [16]]);
    assert.deepEqual(script.commits.map((c) => [c.keys, c.content?.sha256]), [[['k0', 'k1'], SHA256]], 'the restarted download still gives the ledger its hash');
    assert.equal(fileIdOf(object), script.commits[0]!.fileId);
    await handle.result();
  });

  it('a first pass of a deleted integration reports INTEGRATION_CONFIG_NOT_FOUND once to the tombstone\'s status folder, downloads nothing and ends', async () => {
    script.integration = deleted('it-gone', 3, 'tomb-st');
    const { handle, object } = await startFile('it-gone');
    const result = await handle.result();
    assert.equal(result.generations, 0);
    assert.equal(result.last.integrationDeleted, true);
    assert.equal(result.last.phase, 'done');
    assert.equal(result.last.configVersion, 3);
    assert.deepEqual(script.gone, [
      {
        object,
        region: 'us-east-1',
        objectBytes: LARGE,
        fileId: fileIdOf(object),
        originalCreationTime: 1,
        integrationId: 'it-gone',
        statusPrefix: 'tomb-st',
        flushDelayMs: DEFAULT_FILE_TUNING_V1.statusFlushDelayMs,
        passWaitMs: DEFAULT_FILE_TUNING_V1.statusPassWaitMs,
      },
    ]);
    assert.deepEqual(script.downloads, []);
    assert.equal(script.claims, 0, 'not even admitted');
    assert.deepEqual(script.reports, [], 'the one entry goes through reportIntegrationGone');
    assert.deepEqual((await activitiesOf(handle)).scheduled, ['reportIntegrationGone'], 'the read was local; the report a regular activity');
    await maybeRecordHistory(env.address, handle, 'fileWorkflow-v3-integration-deleted');
  });

  it('a reprocess after the integration was deleted is refused: nothing reported, nothing downloaded, the workflow ends', async () => {
    script.integration = live('it-later-gone', 1, ['env-a'], 'st');
    const { handle } = await startFile('it-later-gone');
    await passDone(handle, 0);
    const reportsOfFirstPass = script.reports.length;
    script.integration = deleted('it-later-gone', 2, 'st');
    await handle.signal(reprocessSignal, { reason: 'after the deletion' });
    const result = await handle.result();
    assert.equal(result.generations, 1, 'only the first pass ran');
    assert.equal(result.last.generation, 1);
    assert.equal(result.last.integrationDeleted, true);
    assert.equal(result.last.phase, 'done');
    assert.deepEqual(script.gone, []);
    assert.equal(script.downloads.length, 1);
    assert.equal(script.reports.length, reportsOfFirstPass);
    assert.equal(script.commits.length, 1);
  });

  it('content already ingested is reported as its duplicate, as one ended pass; nothing is committed and the memo names the first object', async () => {
    script.integration = live('it-dup', 1, ['env-a'], 'st');
    script.duplicateOf = objectVersionOf('bucket', 'in/first.parquet', undefined, 'first-etag');
    const { handle } = await startFile('it-dup');
    const progress = await passDone(handle, 0);
    assert.equal(progress.duplicateOf, 's3://bucket/in/first.parquet@first-etag');
    assert.equal(progress.rowsValid, 200);
    assert.equal(script.reports.length, 1);
    assert.equal(script.reports[0]!.passEnded, true);
    assert.deepEqual(script.reports[0]!.entries.map((e) => e.entry.warnings), [['DUPLICATE_CONTENT']]);
    assert.deepEqual(script.chunks, [], 'not inspected or validated');
    assert.deepEqual(script.commits, [], 'nothing stored, nothing to commit');
    const { memo } = await handle.describe();
    assert.equal(memo?.duplicateOf, 's3://bucket/in/first.parquet@first-etag');
    await handle.result();
  });

  it('a small file is handed the integration the pass read (environments, status folder, region) and the ledger: checked on a first pass, not on a reprocess', async () => {
    script.integration = live('it-small', 4, ['env-a'], 'st-4');
    const { handle, object } = await startFile('it-small', SMALL);
    const first = await passDone(handle, 0);
    assert.equal(first.configVersion, 4);
    script.integration = live('it-small', 5, ['env-b', 'env-c'], 'st-5', 'eu-west-1');
    await handle.signal(reprocessSignal, { reason: 'again' });
    const result = await handle.result();
    assert.deepEqual(script.resolves, ['it-small', 'it-small'], 'the workflow reads it at the start of each pass');
    assert.deepEqual(
      script.smallFiles.map((s) => ({ fileId: s.fileId, ctx: s.ctx, statusPrefix: s.statusPrefix, region: s.region, ledger: s.ledger })),
      [
        {
          fileId: fileIdOf(object),
          ctx: { fileName: object.key, originalCreationTime: 1, generation: 0, environments: ['env-a'], warnings: [] },
          statusPrefix: 'st-4',
          region: 'us-east-1',
          ledger: { integrationId: 'it-small', configVersion: 4, check: true },
        },
        {
          fileId: fileIdOf(object),
          ctx: { fileName: object.key, originalCreationTime: 1, generation: 1, environments: ['env-b', 'env-c'], warnings: [] },
          statusPrefix: 'st-5',
          region: 'eu-west-1',
          ledger: { integrationId: 'it-small', configVersion: 5, check: false },
        },
      ],
    );
    assert.equal(script.claims, 0);
    assert.deepEqual(script.downloads, []);
    assert.equal(result.generations, 2);
    assert.equal(result.last.smallFile, true);
    assert.equal(result.last.configVersion, 5);
    assert.equal(result.last.rowsValid, 90);
  });

  it('a small file whose content was already ingested sets the memo duplicateOf', async () => {
    script.integration = live('it-small-dup', 1, ['env-a'], 'st');
    script.smallResult = { outcome: 'duplicate', duplicateOf: 's3://bucket/in/first-small.parquet@e', rowsValid: 0, rowsInvalid: 0, fileRows: null, chunks: 0 };
    const { handle } = await startFile('it-small-dup', SMALL);
    const progress = await passDone(handle, 0);
    assert.equal(progress.duplicateOf, 's3://bucket/in/first-small.parquet@e');
    assert.equal((await handle.describe()).memo?.duplicateOf, 's3://bucket/in/first-small.parquet@e');
    await handle.result();
  });

  it('a small file of a deleted integration gets reportIntegrationGone from the workflow, not processSmallFile, and the workflow ends', async () => {
    script.integration = deleted('it-small-gone', 5, 'tomb-small');
    const { handle, object } = await startFile('it-small-gone', SMALL);
    const result = await handle.result();
    assert.equal(result.generations, 0);
    assert.equal(result.last.integrationDeleted, true);
    assert.equal(result.last.phase, 'done');
    assert.equal(result.last.configVersion, 5);
    assert.deepEqual(script.smallFiles, []);
    assert.deepEqual(
      script.gone.map((g) => [g.fileId, g.objectBytes, g.statusPrefix, g.integrationId]),
      [[fileIdOf(object), SMALL, 'tomb-small', 'it-small-gone']],
    );
  });

  it('a reprocess of a small file after the integration was deleted is refused: neither processSmallFile nor reportIntegrationGone runs', async () => {
    script.integration = live('it-small-later-gone', 1, ['env-a'], 'st');
    const { handle } = await startFile('it-small-later-gone', SMALL);
    await passDone(handle, 0);
    script.integration = deleted('it-small-later-gone', 2, 'st');
    await handle.signal(reprocessSignal, { reason: 'after the deletion' });
    const result = await handle.result();
    assert.equal(result.generations, 1);
    assert.equal(result.last.integrationDeleted, true);
    assert.equal(script.smallFiles.length, 1, 'only the first pass');
    assert.deepEqual(script.gone, []);
  });

  it('a small file an earlier, no longer retained run processed (processSmallFile answers processed-before) ends the workflow with nothing reported or committed', async () => {
    script.integration = live('it-small-before', 1, ['env-a'], 'st');
    script.smallResult = { outcome: 'processed-before', rowsValid: 0, rowsInvalid: 0, fileRows: null, chunks: 0 };
    const { handle } = await startFile('it-small-before', SMALL);
    const result = await handle.result();
    assert.equal(result.generations, 0, 'the pass does not count and no reprocess window is kept open');
    assert.equal(result.last.phase, 'done');
    assert.equal(script.smallFiles.length, 1);
    assert.equal(script.smallFiles[0]!.ledger?.check, true);
    assert.deepEqual(script.reports, []);
    assert.deepEqual(script.commits, []);
    assert.deepEqual(script.gone, []);
  });

  // These end their workflow while its lease is being cancelled (or leave a dead worker's lease
  // behind): the time-skipping server then stops skipping time for the rest of the file, so they come last.
  it('a large file an earlier, no longer retained run processed (downloadFile answers processed-before) ends the workflow without reporting or committing', async () => {
    script.integration = live('it-before', 2, ['env-a'], 'st');
    script.processedBefore = true;
    const { handle } = await startFile('it-before');
    const result = await handle.result();
    assert.equal(result.generations, 0, 'the pass does not count and no reprocess window is kept open');
    assert.equal(result.last.phase, 'done');
    assert.equal(script.downloads.length, 1);
    assert.equal(script.removals, 1, 'the local directory is removed');
    assert.deepEqual(script.chunks, [], 'not inspected or validated');
    assert.deepEqual(script.reports, []);
    assert.deepEqual(script.commits, []);
    assert.deepEqual(script.gone, []);
  });

  it('a worker lost before its download decided anything (its lease stopped) leaves the content check in place for the download on the next worker', async () => {
    script.integration = live('it-dead', 6, ['env-a'], 'st');
    script.queues = [deadQueue, workerQueue];
    const { handle } = await startFile('it-dead', LARGE, { leaseTimeoutMs: 1_000 });
    const progress = await passDone(handle, 0);
    assert.equal(progress.workerRestarts, 1);
    assert.deepEqual(script.downloads.map((d) => d.contentCheck), [{ integrationId: 'it-dead', configVersion: 6 }], 'the dead worker never ran its download');
    assert.equal(script.commits.length, 1);
    await handle.terminate();
  });
});
