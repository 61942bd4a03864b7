/**
 * (e) sustained status entries per second through one status workflow: concurrent senders hand
 * entries over exactly as file workflows do (the `reportEntries` activity, with its back-pressure
 * retried after the activity's own 1 s initial retry interval), each file's pass in chunk-sized
 * signals with the last one ending the pass; timed from the first hand-over until reports
 * covering every entry can be listed.
 */
import { performance } from 'node:perf_hooks';
import { ListObjectsV2Command, GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ApplicationFailure } from '@temporalio/common';
import { Client } from '@temporalio/client';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createStatusActivities } from '../src/activities/statusActivities';
import type { FileStatusEntry, StatusDocument } from '../src/domain/statusEntry';
import { FailureType } from '../src/messages';
import { log, sleep } from './format';
import { DEFAULTS } from './params';

export const STATUS_SENDERS = 8;
export const STATUS_PASSES = 500;
export const SIGNALS_PER_PASS = 4;
/** A chunk's entries: at most one per code combination (16 masks). */
export const ENTRIES_PER_SIGNAL = 16;
const BACKPRESSURE_RETRY_MS = 1_000;

export interface StatusThroughput {
  entries: number;
  seconds: number;
  entriesPerSec: number;
  reports: number;
  backPressureRetries: number;
}

function passEntries(pass: number): FileStatusEntry[] {
  return Array.from({ length: SIGNALS_PER_PASS * ENTRIES_PER_SIGNAL }, (_, i) => ({
    fileName: `incoming/status-bench/file-${pass}.parquet`,
    entry: { originalCreationTime: 1_700_000_000_000, entryId: i, valid: true, numberOfRows: 1, errors: [], errorsDetails: [], warnings: [] },
  }));
}

async function rowsReported(s3: S3Client, bucket: string, prefix: string, seen: Map<string, number>): Promise<number> {
  let token: string | undefined;
  do {
    const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    for (const o of res.Contents ?? []) {
      if (seen.has(o.Key!)) continue;
      const body = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: o.Key! }));
      const doc = JSON.parse(await body.Body!.transformToString()) as StatusDocument;
      seen.set(o.Key!, Object.values(doc).flat().reduce((n, e) => n + e.numberOfRows, 0));
    }
    token = res.NextContinuationToken;
  } while (token);
  return [...seen.values()].reduce((a, b) => a + b, 0);
}

export async function benchStatusThroughput(s3: S3Client, client: Client, bucket: string, taskQueue: string): Promise<StatusThroughput> {
  const statusPrefix = 'status/throughput';
  const total = STATUS_PASSES * SIGNALS_PER_PASS * ENTRIES_PER_SIGNAL;
  log(`(e) ${total} status entries from ${STATUS_SENDERS} senders into one status workflow`);
  const { reportEntries } = createStatusActivities({ s3, client, taskQueue });
  // Refusals are expected here (they are the back-pressure being measured): keep them out of the log.
  const quiet = { log: () => undefined, trace: () => undefined, debug: () => undefined, info: () => undefined, warn: () => undefined, error: console.error };
  const env = new MockActivityEnvironment(undefined, { logger: quiet });
  let backPressureRetries = 0;
  async function handOver(entries: FileStatusEntry[], passEnded: boolean): Promise<void> {
    for (;;) {
      try {
        return await env.run(reportEntries, { bucket, statusPrefix, flushDelayMs: DEFAULTS.STATUS_FLUSH_DELAY, entries, passEnded, passWaitMs: DEFAULTS.STATUS_PASS_WAIT });
      } catch (err) {
        if (!(err instanceof ApplicationFailure && err.type === FailureType.STATUS_BACKPRESSURE)) throw err;
        backPressureRetries++;
        await sleep(BACKPRESSURE_RETRY_MS);
      }
    }
  }
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: STATUS_SENDERS }, async () => {
      for (let pass = next++; pass < STATUS_PASSES; pass = next++) {
        const entries = passEntries(pass);
        for (let s = 0; s < SIGNALS_PER_PASS; s++) {
          await handOver(entries.slice(s * ENTRIES_PER_SIGNAL, (s + 1) * ENTRIES_PER_SIGNAL), s === SIGNALS_PER_PASS - 1);
        }
      }
    }),
  );
  const seen = new Map<string, number>();
  for (;;) {
    const covered = await rowsReported(s3, bucket, `${statusPrefix}/`, seen);
    if (covered > total) throw new Error(`reports cover ${covered} entries, more than the ${total} sent`);
    if (covered === total) break;
    await sleep(100);
  }
  const seconds = (performance.now() - started) / 1000;
  log(`(e) ${total} entries reported in ${seconds.toFixed(2)} s over ${seen.size} reports (${backPressureRetries} back-pressure retries)`);
  return { entries: total, seconds, entriesPerSec: Math.round(total / seconds), reports: seen.size, backPressureRetries };
}
