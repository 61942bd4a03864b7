import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { sqlString, withConnection, type DuckDBInstance } from '../parquet/duckdb';
import { rowsIn, type StatusDocument } from '../domain/statusEntry';
import { eventsSql } from './sampleEvents';

/** The demo's customer side: one bucket, files under events/, reports under status/. */
export const DEMO_BUCKET = 'fme-demo-customer';
export const DEMO_PREFIX = 'events';
export const STATUS_PREFIX = 'status';
export const INTEGRATION_ID = 'demo';

/** What `npm start` leaves in its directory for `npm run demo:upload`. */
export interface DemoInfo {
  env: Record<string, string>;
  bucket: string;
  prefix: string;
  statusPrefix: string;
  integrationId: string;
}

/**
 * Writes a sample file of `rows` rows (some invalid on purpose) whose keys carry the upload
 * time, so each upload is new content, and uploads it under events/: S3 notifies the topic.
 */
export async function uploadSample(db: DuckDBInstance, s3: S3Client, dir: string, rows: number): Promise<{ key: string; path: string }> {
  const stamp = new Date().toISOString().replace(/[:.]/g, '-');
  const path = join(dir, `sample-${stamp}.parquet`);
  await withConnection(db, (c) => c.run(`COPY (${eventsSql(rows, stamp)}) TO ${sqlString(path)} (FORMAT parquet, COMPRESSION snappy)`));
  const key = `${DEMO_PREFIX}/sample-${stamp}.snappy.parquet`;
  await s3.send(new PutObjectCommand({ Bucket: DEMO_BUCKET, Key: key, Body: await readFile(path) }));
  return { key, path };
}

/** Waits until a report under the status folder holds `key`'s entries; returns it and the row counts. */
export async function waitForReport(s3: S3Client, bucket: string, statusPrefix: string, key: string, timeoutMs = 120_000): Promise<{ reportKey: string; valid: number; invalid: number }> {
  const deadline = Date.now() + timeoutMs;
  const read = new Set<string>();
  for (;;) {
    const res = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${statusPrefix}/` }));
    for (const reportKey of (res.Contents ?? []).map((o) => o.Key!).filter((k) => k.endsWith('_report.status') && !read.has(k))) {
      read.add(reportKey);
      const doc = JSON.parse(await (await s3.send(new GetObjectCommand({ Bucket: bucket, Key: reportKey }))).Body!.transformToString()) as StatusDocument;
      const entries = doc[key];
      if (!entries) continue;
      return { reportKey, valid: rowsIn(entries, true), invalid: rowsIn(entries, false) };
    }
    if (Date.now() > deadline) throw new Error(`no report for ${key} within ${timeoutMs / 1000} s`);
    await new Promise((r) => setTimeout(r, 300));
  }
}
