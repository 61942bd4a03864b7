/**
 * (c) seconds from "upload completed" to "reports covering every row can be listed", through moto,
 * a Temporal dev server and the worker as a separate process (100k rows and 10M rows), and
 * (d) the worker process's peak RSS.
 */
import { createReadStream } from 'node:fs';
import { performance } from 'node:perf_hooks';
import { GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Client } from '@temporalio/client';
import { startFileWorkflow } from '../src/client';
import { objectVersionOf } from '../src/domain/keys';
import { rowsIn, StatusDocument, StatusEntry } from '../src/domain/statusEntry';
import { Cleanup } from './cleanup';
import { assertSameCounts, ComboCounts, combosOfEntries } from './combos';
import { childPidMatching, cpuBetween, loadAverage, markCpu } from './cpuAccounting';
import { EventFile } from './eventFile';
import { BenchFailure } from './failure';
import { fmtMiB, fmtSec, log, seconds, sleep } from './format';
import { BIG_ROWS, ENVIRONMENTS, REPORT_POLL_MS, SMALL_ROWS, STATUS_FLUSH_DELAY_MS, UPLOAD_PART_BYTES } from './params';
import { procStatusBytes, RssSampler } from './processMemory';
import { startServices, WorkerProcess } from './services';
import { benchStatusThroughput, StatusThroughput } from './statusThroughput';
import { ActivityStat, activityStats, historyAfterPass, timelineOf } from './workflowHistory';

interface E2eContext {
  s3: S3Client;
  client: Client;
  bucket: string;
  taskQueue: string;
  /** Processes whose CPU time each run accounts for. */
  pids: Record<string, number | undefined>;
  worker: WorkerProcess;
}

export interface E2eResult {
  label: string;
  rows: number;
  fileBytes: number;
  uploadSeconds: number;
  /** Upload completed → report(s) covering every row listed. */
  seconds: number;
  rowsPerSec: number;
  reportObjects: number;
  counts: { valid: number; invalid: number };
  timeline: Record<string, number>;
  activities: ActivityStat[];
  /** CPU seconds used from upload completed to reports listed, per process (see cpuBetween). */
  cpu: Record<string, number>;
  loadAverageAfter: string;
}

export async function uploadMultipart(s3: S3Client, bucket: string, key: string, path: string): Promise<string> {
  const upload = new Upload({
    client: s3,
    params: { Bucket: bucket, Key: key, Body: createReadStream(path) },
    partSize: UPLOAD_PART_BYTES,
    queueSize: 4,
  });
  const res = await upload.done();
  if (!res.ETag) throw new Error(`upload of ${key} returned no ETag`);
  return res.ETag;
}

/** The report keys under `prefix`, sorted; only those after `startAfter` when it is given. */
export async function listReportKeys(s3: S3Client, bucket: string, prefix: string, startAfter?: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token, ...(token ? {} : { StartAfter: startAfter }) }));
    keys.push(...(res.Contents ?? []).map((o) => o.Key!).filter((k) => k.endsWith('_report.status')));
    token = res.NextContinuationToken;
  } while (token);
  return keys.sort();
}

export async function readReport(s3: S3Client, bucket: string, key: string): Promise<StatusDocument> {
  const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }));
  return JSON.parse(await res.Body!.transformToString()) as StatusDocument;
}

interface Coverage {
  /** performance.now() when the listing that completed the coverage returned. */
  listedAt: number;
  entries: StatusEntry[];
  reportObjects: number;
}

/** Polls the status prefix until the reports listed there cover `rows` rows of `fileKey`. */
async function waitForCoverage(ctx: E2eContext, statusPrefix: string, fileKey: string, rows: number, timeoutMs: number): Promise<Coverage> {
  const seen = new Map<string, StatusEntry[]>();
  const deadline = performance.now() + timeoutMs;
  for (;;) {
    ctx.worker.assertRunning();
    const keys = await listReportKeys(ctx.s3, ctx.bucket, `${statusPrefix}/`);
    const listedAt = performance.now();
    for (const key of keys.filter((k) => !seen.has(k))) seen.set(key, (await readReport(ctx.s3, ctx.bucket, key))[fileKey] ?? []);
    const entries = [...seen.values()].flat();
    const covered = rowsIn(entries);
    if (covered > rows) throw new BenchFailure(`reports cover ${covered} rows of ${fileKey}, more than its ${rows}: an entry was reported twice`);
    if (covered === rows) return { listedAt, entries, reportObjects: seen.size };
    if (performance.now() > deadline) throw new Error(`after ${timeoutMs / 1000} s the reports cover ${covered} of ${rows} rows of ${fileKey}`);
    await sleep(REPORT_POLL_MS);
  }
}

async function runEndToEnd(ctx: E2eContext, label: string, file: EventFile, expected: ComboCounts): Promise<E2eResult> {
  const key = `incoming/${label}.snappy.parquet`;
  const statusPrefix = `status/${label}`;
  log(`(c) ${label}: uploading ${fmtMiB(file.bytes)} to moto (multipart)`);
  const uploadStarted = performance.now();
  const etag = await uploadMultipart(ctx.s3, ctx.bucket, key, file.path);
  const uploadedAt = performance.now();
  const uploadedAtWallMs = Date.now();
  const cpuAtUpload = markCpu(ctx.pids);
  log(`(c) ${label}: uploaded in ${fmtSec(uploadedAt - uploadStarted)}; starting the file workflow`);
  const started = await startFileWorkflow(ctx.client, {
    object: objectVersionOf(ctx.bucket, key, undefined, etag),
    originalCreationTime: uploadedAtWallMs,
    integration: { integrationId: 'bench', environments: ENVIRONMENTS, statusPrefix },
    reprocessWindowMs: 10 * 60_000,
    taskQueue: ctx.taskQueue,
    tuning: { statusFlushDelayMs: STATUS_FLUSH_DELAY_MS },
  });
  const coverage = await waitForCoverage(ctx, statusPrefix, key, file.rows, 30 * 60_000);
  const cpu = cpuBetween(cpuAtUpload, markCpu(ctx.pids));
  const elapsedMs = coverage.listedAt - uploadedAt;
  log(`(c) ${label}: reports cover all ${file.rows} rows after ${fmtSec(elapsedMs)}`);
  assertSameCounts(`(c) ${label} reported counts and the generator's expected counts`, expected, combosOfEntries(coverage.entries));
  const history = await historyAfterPass(started.handle);
  return {
    label,
    rows: file.rows,
    fileBytes: file.bytes,
    uploadSeconds: seconds(uploadedAt - uploadStarted),
    seconds: seconds(elapsedMs),
    rowsPerSec: Math.round(file.rows / (elapsedMs / 1000)),
    reportObjects: coverage.reportObjects,
    counts: { valid: rowsIn(coverage.entries, true), invalid: rowsIn(coverage.entries, false) },
    timeline: timelineOf(history, uploadedAtWallMs, uploadedAtWallMs + elapsedMs),
    activities: activityStats(history),
    cpu,
    loadAverageAfter: loadAverage(),
  };
}

export interface ServiceResults {
  small: E2eResult;
  big: E2eResult;
  status: StatusThroughput;
  worker: { rssAtReadyBytes: number; vmHwmBytes: number; maxSampledRssBytes: number; samples: number; env: Record<string, string> };
}

export async function benchServices(cleanup: Cleanup, small: EventFile, big: EventFile, expected: { small: ComboCounts; big: ComboCounts }): Promise<ServiceResults> {
  const { temporal, s3, bucket, taskQueue, worker } = await startServices(cleanup);
  const rssAtReadyBytes = procStatusBytes(worker.pid, 'VmRSS') ?? 0;
  const sampler = new RssSampler(worker.pid);
  try {
    const pids = { worker: worker.pid, moto: childPidMatching('moto_server'), temporal: temporal.pid };
    const ctx: E2eContext = { s3, client: temporal.client, bucket, taskQueue, pids, worker };
    const smallResult = await runEndToEnd(ctx, `rows-${SMALL_ROWS}`, small, expected.small);
    const bigResult = await runEndToEnd(ctx, `rows-${BIG_ROWS}`, big, expected.big);
    const status = await benchStatusThroughput(s3, temporal.client, bucket, taskQueue);
    const vmHwmBytes = procStatusBytes(worker.pid, 'VmHWM');
    if (vmHwmBytes === undefined) throw new Error(`could not read VmHWM of worker ${worker.pid}: did it exit?`);
    return {
      small: smallResult,
      big: bigResult,
      status,
      worker: { rssAtReadyBytes, vmHwmBytes, maxSampledRssBytes: sampler.maxRssBytes, samples: sampler.samples, env: worker.env },
    };
  } finally {
    sampler.stop();
  }
}
