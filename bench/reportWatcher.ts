/**
 * Reads the reports under a status prefix as they appear, each one once. Report keys are
 * timestamps that only grow for one status prefix (src/domain/keys.ts), so most polls list only
 * the keys after the last one seen; every `fullListingEvery`-th poll lists the whole prefix, and
 * a report that only such a listing found is counted (`lateReports`): its rows were seen late.
 */
import { performance } from 'node:perf_hooks';
import { S3Client } from '@aws-sdk/client-s3';
import { StatusDocument } from '../src/domain/statusEntry';
import { listReportKeys, readReport } from './endToEnd';
import { forEachLimit } from './pool';

export interface NewReports {
  /** performance.now() when the listing that found them returned. */
  listedAt: number;
  reports: { key: string; doc: StatusDocument }[];
}

export class ReportWatcher {
  private readonly seen = new Set<string>();
  private lastKey: string | undefined;
  private polls = 0;
  /** Reports found by a full listing that the incremental listings before it missed. */
  lateReports = 0;

  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly statusPrefix: string,
    private readonly fullListingEvery = 20,
  ) {}

  get reportObjects(): number {
    return this.seen.size;
  }

  async poll(): Promise<NewReports> {
    const full = this.polls++ % this.fullListingEvery === 0;
    const keys = await listReportKeys(this.s3, this.bucket, `${this.statusPrefix}/`, full ? undefined : this.lastKey);
    const listedAt = performance.now();
    const fresh = keys.filter((k) => !this.seen.has(k));
    const reports: NewReports['reports'] = [];
    await forEachLimit(fresh, 8, async (key) => {
      reports.push({ key, doc: await readReport(this.s3, this.bucket, key) });
    });
    for (const key of fresh) {
      if (this.lastKey !== undefined && key < this.lastKey) this.lateReports++;
      this.seen.add(key);
    }
    const newest = keys.at(-1);
    if (newest !== undefined && (this.lastKey === undefined || newest > this.lastKey)) this.lastKey = newest;
    return { listedAt, reports };
  }
}
