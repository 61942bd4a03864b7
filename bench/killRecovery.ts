/**
 * Kill recovery: the 10M-row file is uploaded and its workflow started with the deployment's
 * default tuning; once its progress shows KILL_AFTER_CHUNKS chunks done, the worker process is
 * killed with SIGKILL and a new worker process is started. Timed from the kill until the file's
 * pass is over (`progress.phase` is 'waiting-for-reprocess') or its reports cover every row,
 * whichever is seen first. The history says when the lost worker's lease (`holdFile`) timed out,
 * which is what restarted the file.
 */
import { performance } from 'node:perf_hooks';
import { Client, WorkflowHandle } from '@temporalio/client';
import { decodeTimeoutType } from '@temporalio/common';
import { fileWorkflowSettings, startFileWorkflow } from '../src/client';
import { objectVersionOf } from '../src/domain/keys';
import { rowsIn, StatusEntry } from '../src/domain/statusEntry';
import { FileProgressV1, progressQuery } from '../src/messages';
import { Cleanup } from './cleanup';
import { assertSameCounts, ComboCounts, combosOfEntries } from './combos';
import { childPidMatching, cpuBetween, markCpu } from './cpuAccounting';
import { uploadMultipart } from './endToEnd';
import { EventFile } from './eventFile';
import { BenchFailure } from './failure';
import { fmtMiB, fmtSec, log, seconds, sleep } from './format';
import { DEFAULTS, ENVIRONMENTS, KILL_AFTER_CHUNKS, REPORT_POLL_MS } from './params';
import { ReportWatcher } from './reportWatcher';
import { Services, startWorkerProcess } from './services';
import { eventMs, History, toNumber } from './workflowHistory';

const STATUS_PREFIX = 'status/kill';
const QUERY_DEADLINE_MS = 3_000;
const STATUS_CHECK_MS = 5_000;

export interface KillRecoveryResult {
  rows: number;
  fileBytes: number;
  uploadSeconds: number;
  chunksTotal: number;
  /** `progress.chunksDone` when the worker was killed. */
  chunksDoneAtKill: number;
  /** Workflow started → kill. */
  secondsBeforeKill: number;
  /** Kill → the new worker process printed "worker ready". */
  newWorkerReadySeconds: number;
  /** Kill → recovered: the earlier of the two below. */
  seconds: number;
  /** Kill → `progress.phase` 'waiting-for-reprocess' first seen (null if not seen). */
  phaseSeconds: number | null;
  /** Kill → reports covering every row first listed (null if not seen). */
  coveredSeconds: number | null;
  workerRestarts: number;
  /** Kill → the lost worker's `holdFile` timed out, from the history (null: no such event). */
  leaseTimedOutSeconds: number | null;
  /** HEARTBEAT when the lease's heartbeats stopped, SCHEDULE_TO_START when it was never picked up. */
  leaseTimeoutType: string | null;
  /** Kill → the next `claimFile` scheduled (the file started again), from the history. */
  claimedAgainSeconds: number | null;
  /** Activities that timed out after the kill, other than the lease: name and timeout type. */
  otherTimeouts: string[];
  reportObjects: number;
  counts: { valid: number; invalid: number };
  /** CPU seconds from the kill until recovered, per process ('worker' is the new one). */
  cpu: Record<string, number>;
}

export async function benchKillRecovery(cleanup: Cleanup, services: Services, file: EventFile, expected: ComboCounts): Promise<KillRecoveryResult> {
  const { s3, bucket, taskQueue, temporal } = services;
  const client = temporal.client;
  const key = `incoming/kill/rows-${file.rows}.snappy.parquet`;
  log(`(kill) uploading the ${file.rows}-row file, ${fmtMiB(file.bytes)} (multipart)`);
  const uploadStarted = performance.now();
  const etag = await uploadMultipart(s3, bucket, key, file.path);
  const uploadedAt = performance.now();
  const started = await startFileWorkflow(client, {
    object: objectVersionOf(bucket, key, undefined, etag),
    originalCreationTime: Date.now(),
    integration: { integrationId: 'kill-recovery', environments: ENVIRONMENTS, statusPrefix: STATUS_PREFIX },
    reprocessWindowMs: 10 * 60_000,
    taskQueue,
    objectBytes: file.bytes,
    tuning: fileWorkflowSettings(DEFAULTS).tuning,
  });
  if (!started.started) throw new Error(`a workflow for ${key} already existed`);
  const handle = started.handle;
  log(`(kill) uploaded in ${fmtSec(uploadedAt - uploadStarted)}; workflow started, waiting for ${KILL_AFTER_CHUNKS} chunks done`);

  const before = await waitForChunks(client, handle, services);
  const pids = { moto: childPidMatching('moto_server'), temporal: temporal.pid };
  const cpuAtKill = markCpu(pids);
  const killedAtWall = Date.now();
  const killedAt = performance.now();
  await services.worker.kill('SIGKILL');
  log(`(kill) SIGKILL sent to worker ${services.worker.pid} at ${before.chunksDone}/${before.chunksTotal} chunks; starting a new worker process`);
  const worker = await startWorkerProcess(cleanup, services.worker.env, 'worker-2.log');
  services.worker = worker;
  const readyAt = performance.now();
  log(`(kill) new worker ${worker.pid} ready ${fmtSec(readyAt - killedAt)} after the kill`);

  const watcher = new ReportWatcher(s3, bucket, STATUS_PREFIX);
  const entries: StatusEntry[] = [];
  let phaseAt: number | undefined;
  let coveredAt: number | undefined;
  const deadline = killedAt + 10 * 60_000;
  let nextStatusCheck = performance.now() + STATUS_CHECK_MS;
  // Both are recorded; once one is seen the other gets 30 s more.
  while (phaseAt === undefined || coveredAt === undefined) {
    worker.assertRunning();
    const progress = await queryProgress(client, handle);
    const queriedAt = performance.now();
    if (phaseAt === undefined && (progress?.phase === 'waiting-for-reprocess' || progress?.phase === 'done')) phaseAt = queriedAt;
    const { listedAt, reports } = await watcher.poll();
    for (const { key: reportKey, doc } of reports) {
      for (const [fileName, fileEntries] of Object.entries(doc)) {
        if (fileName !== key) throw new BenchFailure(`report ${reportKey} names ${fileName}, which this figure did not upload`);
        entries.push(...fileEntries);
      }
    }
    const covered = rowsIn(entries);
    if (covered > file.rows) throw new BenchFailure(`reports cover ${covered} rows of ${key}, more than its ${file.rows}: an entry was reported twice after the kill`);
    if (covered === file.rows && coveredAt === undefined) coveredAt = listedAt;
    const now = performance.now();
    const firstSeen = Math.min(phaseAt ?? Infinity, coveredAt ?? Infinity);
    if (now - firstSeen > 30_000) break;
    if (now > deadline) throw new Error(`(kill) 10 minutes after the kill the file has not recovered: phase ${progress?.phase ?? '?'}, ${covered} of ${file.rows} rows reported`);
    if (now >= nextStatusCheck) {
      const { status } = await handle.describe();
      if (status.name !== 'RUNNING') throw new BenchFailure(`(kill) the file workflow closed ${status.name} after the kill`);
      nextStatusCheck = now + STATUS_CHECK_MS;
    }
    if (phaseAt === undefined || coveredAt === undefined) await sleep(REPORT_POLL_MS);
  }
  // The new worker's CPU counts from its start, which is after the kill.
  const cpu = cpuBetween(cpuAtKill, markCpu({ ...pids, worker: worker.pid }));
  const recoveredAt = Math.min(phaseAt ?? Infinity, coveredAt ?? Infinity);
  log(`(kill) recovered ${fmtSec(recoveredAt - killedAt)} after the kill (pass over: ${phaseAt ? fmtSec(phaseAt - killedAt) : 'not seen'}, every row reported: ${coveredAt ? fmtSec(coveredAt - killedAt) : 'not seen'})`);
  if (coveredAt !== undefined) assertSameCounts(`(kill) reported counts and the generator's expected counts`, expected, combosOfEntries(entries));

  const after = await client.withDeadline(Date.now() + 30_000, () => handle.query(progressQuery));
  const history = await handle.fetchHistory();
  const fromHistory = restartFromHistory(history, killedAtWall);
  const sinceKill = (at: number | undefined) => (at === undefined ? null : seconds(at - killedAt));
  return {
    rows: file.rows,
    fileBytes: file.bytes,
    uploadSeconds: seconds(uploadedAt - uploadStarted),
    chunksTotal: before.chunksTotal,
    chunksDoneAtKill: before.chunksDone,
    secondsBeforeKill: seconds(killedAt - uploadedAt),
    newWorkerReadySeconds: seconds(readyAt - killedAt),
    seconds: seconds(recoveredAt - killedAt),
    phaseSeconds: sinceKill(phaseAt),
    coveredSeconds: sinceKill(coveredAt),
    workerRestarts: after.workerRestarts,
    ...fromHistory,
    reportObjects: watcher.reportObjects,
    counts: { valid: rowsIn(entries, true), invalid: rowsIn(entries, false) },
    cpu,
  };
}

async function queryProgress(client: Client, handle: WorkflowHandle): Promise<FileProgressV1 | undefined> {
  try {
    return await client.withDeadline(Date.now() + QUERY_DEADLINE_MS, () => handle.query(progressQuery));
  } catch {
    // No worker has the workflow yet (the killed one held it), or the query timed out.
    return undefined;
  }
}

/** Polls `progress` until KILL_AFTER_CHUNKS chunks are done, still mid-file. */
async function waitForChunks(client: Client, handle: WorkflowHandle, services: Services): Promise<FileProgressV1> {
  const deadline = performance.now() + 5 * 60_000;
  for (;;) {
    services.worker.assertRunning();
    const p = await queryProgress(client, handle);
    if (p && p.chunksDone >= KILL_AFTER_CHUNKS) {
      if (p.phase !== 'validating' || p.chunksDone >= p.chunksTotal) {
        throw new Error(`(kill) the file was past its chunks (phase ${p.phase}, ${p.chunksDone}/${p.chunksTotal}) before the worker could be killed`);
      }
      return { ...p };
    }
    if (performance.now() > deadline) throw new Error(`(kill) after 5 minutes the file has ${p?.chunksDone ?? '?'} chunks done (phase ${p?.phase ?? '?'})`);
    await sleep(REPORT_POLL_MS);
  }
}

type FromHistory = Pick<KillRecoveryResult, 'leaseTimedOutSeconds' | 'leaseTimeoutType' | 'claimedAgainSeconds' | 'otherTimeouts'>;

/** What restarted the file: the first `holdFile` timeout after the kill, and the `claimFile` scheduled after it. */
function restartFromHistory(history: History, killedAtWall: number): FromHistory {
  const scheduled = new Map<number, string>();
  const out: FromHistory = { leaseTimedOutSeconds: null, leaseTimeoutType: null, claimedAgainSeconds: null, otherTimeouts: [] };
  let leaseTimedOutAt: number | undefined;
  for (const e of history.events ?? []) {
    const s = e.activityTaskScheduledEventAttributes;
    if (s) {
      const name = s.activityType?.name ?? '?';
      scheduled.set(toNumber(e.eventId), name);
      if (name === 'claimFile' && leaseTimedOutAt !== undefined && out.claimedAgainSeconds === null) out.claimedAgainSeconds = seconds(eventMs(e) - killedAtWall);
    }
    const t = e.activityTaskTimedOutEventAttributes;
    if (!t || eventMs(e) < killedAtWall) continue;
    const name = scheduled.get(toNumber(t.scheduledEventId)) ?? '?';
    const type = decodeTimeoutType(t.failure?.timeoutFailureInfo?.timeoutType) ?? '?';
    if (name === 'holdFile' && leaseTimedOutAt === undefined) {
      leaseTimedOutAt = eventMs(e);
      out.leaseTimedOutSeconds = seconds(leaseTimedOutAt - killedAtWall);
      out.leaseTimeoutType = type;
    } else {
      out.otherTimeouts.push(`${name} ${type} at +${seconds(eventMs(e) - killedAtWall).toFixed(1)} s`);
    }
  }
  return out;
}
