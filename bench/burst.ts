/**
 * Burst: N files of 1,000 rows uploaded to the customer's bucket (BURST_UPLOAD_CONCURRENCY at a
 * time), each file's workflow started as soon as its upload completed, with the deployment's
 * default tuning, the way an S3 notification endpoint would. Timed from the first upload
 * completed until the reports cover every row of every file; per file, from its upload
 * completed until its rows were first covered. Then every workflow's `progress` (worker
 * restarts) and status (failures).
 */
import { readFile } from 'node:fs/promises';
import { performance } from 'node:perf_hooks';
import { PutObjectCommand } from '@aws-sdk/client-s3';
import { WorkflowHandle } from '@temporalio/client';
import { fileWorkflowSettings, startFileWorkflow } from '../src/client';
import { objectVersionOf } from '../src/domain/keys';
import { rowsIn, StatusEntry } from '../src/domain/statusEntry';
import { progressQuery } from '../src/messages';
import { assertSameCounts, ComboCounts, combosOfEntries } from './combos';
import { childPidMatching, cpuBetween, loadAverage, markCpu } from './cpuAccounting';
import { EventFile } from './eventFile';
import { BenchFailure } from './failure';
import { log, seconds, sleep } from './format';
import { BURST_QUERY_CONCURRENCY, BURST_UPLOAD_CONCURRENCY, DEFAULTS, ENVIRONMENTS, REPORT_POLL_MS } from './params';
import { forEachLimit, percentile } from './pool';
import { ReportWatcher } from './reportWatcher';
import { Services } from './services';

/** Closed states that mean the file was not processed. */
const FAILED_STATUSES = new Set(['FAILED', 'TERMINATED', 'TIMED_OUT', 'CANCELLED']);
const STATUS_PREFIX = 'status/burst';
const PROGRESS_LOG_MS = 5_000;
const CLOSED_CHECK_MS = 5_000;

export interface BurstResult {
  files: number;
  rowsPerFile: number;
  fileBytes: number;
  uploadConcurrency: number;
  /** First upload started → last upload completed (and its workflow started). */
  uploadSeconds: number;
  /** First upload completed → last file's rows covered by reports. */
  seconds: number;
  filesPerSec: number;
  /** Upload completed → the file's rows first covered, per file, seconds. */
  latencySeconds: { min: number; p50: number; p90: number; p99: number; max: number };
  /** Sum of `progress.workerRestarts` over the workflows. */
  workerRestarts: number;
  filesRestarted: number;
  /** Workflows that closed FAILED, TERMINATED, TIMED_OUT or CANCELLED. */
  failures: number;
  /** The first 20 of them, by key. */
  failed: { key: string; status: string }[];
  /** Files whose `progress` says they took the small-file path. */
  smallFilePath: number;
  /** Workflows whose `progress` query did not answer (not counted in the restarts). */
  unqueried: number;
  reportObjects: number;
  /** Reports only a full listing found (their files' latency is late by up to a few polls). */
  lateReports: number;
  /** CPU seconds from the first upload started to the last file covered, per process. */
  cpu: Record<string, number>;
  loadAverageAfter: string;
}

interface BurstFile {
  key: string;
  uploadedAt?: number;
  workflowId?: string;
  handle?: WorkflowHandle;
  entries: StatusEntry[];
  covered: number;
  coveredAt?: number;
  /** Its workflow closed without processing it (seen in visibility while polling). */
  closedAs?: string;
}

export async function benchBurst(services: Services, n: number, file: EventFile, expected: ComboCounts): Promise<BurstResult> {
  const { s3, bucket, taskQueue, temporal, worker } = services;
  const client = temporal.client;
  const body = await readFile(file.path);
  const files: BurstFile[] = Array.from({ length: n }, (_, i) => ({ key: `incoming/burst/file-${String(i).padStart(6, '0')}.snappy.parquet`, entries: [], covered: 0 }));
  const byKey = new Map(files.map((f) => [f.key, f]));
  const byWorkflowId = new Map<string, BurstFile>();
  const tuning = fileWorkflowSettings(DEFAULTS).tuning;
  const pids = { worker: worker.pid, moto: childPidMatching('moto_server'), temporal: temporal.pid };

  log(`(burst) ${n} files of ${file.rows} rows (${body.length} bytes each), uploaded ${BURST_UPLOAD_CONCURRENCY} at a time, each workflow started when its upload completes`);
  const cpuAtStart = markCpu(pids);
  const uploadsStarted = performance.now();
  let uploadsEnded: number | undefined;
  let stopPolling: unknown;

  async function uploadAndStart(f: BurstFile): Promise<void> {
    const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: f.key, Body: body }));
    f.uploadedAt = performance.now();
    const started = await startFileWorkflow(client, {
      object: objectVersionOf(bucket, f.key, put.VersionId, put.ETag),
      originalCreationTime: Date.now(),
      integration: { integrationId: 'burst', environments: ENVIRONMENTS, statusPrefix: STATUS_PREFIX },
      reprocessWindowMs: 10 * 60_000,
      taskQueue,
      objectBytes: body.length,
      tuning,
    });
    if (!started.started) throw new Error(`a workflow for ${f.key} already existed`);
    f.workflowId = started.workflowId;
    f.handle = started.handle;
    byWorkflowId.set(started.workflowId, f);
  }

  const uploads = forEachLimit(files, BURST_UPLOAD_CONCURRENCY, uploadAndStart).then(
    () => {
      uploadsEnded = performance.now();
      log(`(burst) all ${n} uploaded and started in ${seconds(uploadsEnded - uploadsStarted).toFixed(2)} s`);
    },
    (err: unknown) => {
      stopPolling = err;
      throw err;
    },
  );

  const watcher = new ReportWatcher(s3, bucket, STATUS_PREFIX);
  // Generous: at the 4.3 files/s measured before admission, 2,000 files took about 8 minutes.
  const deadline = performance.now() + 5 * 60_000 + n * 1_000;
  async function pollUntilCovered(): Promise<void> {
    let covered = 0;
    let closed = 0;
    let nextLog = performance.now() + PROGRESS_LOG_MS;
    let nextClosedCheck = performance.now() + CLOSED_CHECK_MS;
    while (covered + closed < n) {
      if (stopPolling !== undefined) return;
      worker.assertRunning();
      const { listedAt, reports } = await watcher.poll();
      for (const { key, doc } of reports) {
        for (const [fileName, entries] of Object.entries(doc)) {
          const f = byKey.get(fileName);
          if (!f) throw new BenchFailure(`report ${key} names ${fileName}, which the burst did not upload`);
          f.entries.push(...entries);
          f.covered = rowsIn(f.entries);
          if (f.covered > file.rows) throw new BenchFailure(`reports cover ${f.covered} rows of ${fileName}, more than its ${file.rows}: an entry was reported twice`);
          if (f.covered === file.rows && f.coveredAt === undefined) {
            f.coveredAt = listedAt;
            covered++;
            assertSameCounts(`(burst) ${fileName}: reported counts and the generator's expected counts`, expected, combosOfEntries(f.entries));
          }
        }
      }
      const now = performance.now();
      if (now >= nextClosedCheck) {
        closed = await countClosedUnprocessed();
        nextClosedCheck = now + CLOSED_CHECK_MS;
      }
      if (now >= nextLog) {
        const uploaded = files.filter((f) => f.uploadedAt !== undefined).length;
        log(`(burst) uploaded ${uploaded}/${n}, covered ${covered}/${n}${closed > 0 ? `, ${closed} closed unprocessed` : ''}, ${watcher.reportObjects} reports`);
        nextLog = now + PROGRESS_LOG_MS;
      }
      if (now > deadline) throw new Error(`(burst) after ${seconds(now - uploadsStarted)} s the reports cover ${covered} of ${n} files`);
      if (covered + closed < n) await sleep(REPORT_POLL_MS);
    }
  }

  /** Files not covered whose workflows closed (failed, terminated...): nothing more will report them. */
  let visibilityWarned = false;
  async function countClosedUnprocessed(): Promise<number> {
    try {
      for await (const w of client.workflow.list({ query: `WorkflowType = 'fileWorkflow' AND ExecutionStatus != 'Running'` })) {
        const f = byWorkflowId.get(w.workflowId);
        if (f && FAILED_STATUSES.has(w.status.name)) f.closedAs = w.status.name;
      }
    } catch (err) {
      if (!visibilityWarned) log(`(burst) cannot list closed workflows (${String(err)}); waiting for every file's reports`);
      visibilityWarned = true;
    }
    return files.filter((f) => f.closedAs !== undefined && f.coveredAt === undefined).length;
  }

  await Promise.all([uploads, pollUntilCovered()]);
  const cpu = cpuBetween(cpuAtStart, markCpu(pids));

  const coveredFiles = files.filter((f) => f.coveredAt !== undefined);
  if (coveredFiles.length === 0) throw new BenchFailure(`(burst) no file was reported: every one of the ${n} workflows closed unprocessed`);
  const firstUploaded = Math.min(...files.map((f) => f.uploadedAt!));
  const lastCovered = Math.max(...coveredFiles.map((f) => f.coveredAt!));
  const elapsedMs = lastCovered - firstUploaded;
  const latencies = coveredFiles.map((f) => (f.coveredAt! - f.uploadedAt!) / 1000);
  log(`(burst) ${coveredFiles.length} of ${n} files covered ${seconds(elapsedMs).toFixed(2)} s after the first upload completed; reading every workflow's progress and status`);

  const outcome = await inspectWorkflows(files);
  return {
    files: n,
    rowsPerFile: file.rows,
    fileBytes: body.length,
    uploadConcurrency: BURST_UPLOAD_CONCURRENCY,
    uploadSeconds: seconds(uploadsEnded! - uploadsStarted),
    seconds: seconds(elapsedMs),
    filesPerSec: Math.round((coveredFiles.length / (elapsedMs / 1000)) * 100) / 100,
    latencySeconds: {
      min: round3(Math.min(...latencies)),
      p50: round3(percentile(latencies, 0.5)),
      p90: round3(percentile(latencies, 0.9)),
      p99: round3(percentile(latencies, 0.99)),
      max: round3(Math.max(...latencies)),
    },
    ...outcome,
    reportObjects: watcher.reportObjects,
    lateReports: watcher.lateReports,
    cpu,
    loadAverageAfter: loadAverage(),
  };
}

const round3 = (v: number) => Math.round(v * 1000) / 1000;

type WorkflowOutcome = Pick<BurstResult, 'workerRestarts' | 'filesRestarted' | 'failures' | 'failed' | 'smallFilePath' | 'unqueried'>;

/** Each workflow's status (describe) and `progress` query, BURST_QUERY_CONCURRENCY at a time. */
async function inspectWorkflows(files: BurstFile[]): Promise<WorkflowOutcome> {
  const out: WorkflowOutcome = { workerRestarts: 0, filesRestarted: 0, failures: 0, failed: [], smallFilePath: 0, unqueried: 0 };
  await forEachLimit(files, BURST_QUERY_CONCURRENCY, async (f) => {
    const handle = f.handle!;
    const { status } = await handle.describe();
    if (FAILED_STATUSES.has(status.name)) {
      out.failures++;
      out.failed.push({ key: f.key, status: status.name });
    }
    try {
      const progress = await handle.client.withDeadline(Date.now() + 30_000, () => handle.query(progressQuery));
      out.workerRestarts += progress.workerRestarts;
      if (progress.workerRestarts > 0) out.filesRestarted++;
      if (progress.smallFile) out.smallFilePath++;
    } catch {
      out.unqueried++;
    }
  });
  // The first few are enough to look them up; the count is in `failures`.
  out.failed = out.failed.sort((a, b) => a.key.localeCompare(b.key)).slice(0, 20);
  return out;
}
