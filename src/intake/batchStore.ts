import { randomUUID } from 'node:crypto';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { intakeObjectKey, type IntakeKind } from '../domain/impressions/intakeKeys';
import { withConnection, type DuckDBInstance } from '../parquet/duckdb';
import { BatchContext, writeSdkBatchParquet, writeSdkCountsParquet } from '../parquet/impressionBatch';

export interface StoredBatch {
  /** The warehouse key of the batch's Parquet file. */
  key: string;
  rows: number;
  bytes: number;
}

/** DuckDB refused the body itself (a lone surrogate escape, a duplicate key): the SDK's data, not a fault. */
export class BodyRefused extends Error {}

/** Waits for a free slot among `limit`; the slot is released by the function it returns. */
class Slots {
  private used = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  /** A waiter whose request was answered meanwhile leaves the queue (its signal aborts). */
  async take(signal?: AbortSignal): Promise<() => void> {
    signal?.throwIfAborted();
    if (this.used >= this.limit) {
      await new Promise<void>((resolve, reject) => {
        const wake = () => {
          signal?.removeEventListener('abort', leave);
          resolve();
        };
        const leave = () => {
          const i = this.waiting.indexOf(wake);
          if (i >= 0) this.waiting.splice(i, 1);
          reject(signal!.reason);
        };
        this.waiting.push(wake);
        signal?.addEventListener('abort', leave, { once: true });
      });
    } else this.used++;
    let released = false;
    return () => {
      if (released) return;
      released = true;
      const next = this.waiting.shift();
      if (next) next();
      else this.used--;
    };
  }
}

/**
 * Makes a checked SDK body durable: DuckDB converts it to one Parquet file (on local disk, from
 * the body written beside it), which is PUT to the warehouse bucket under its environment and
 * reception minute. Only a stored object counts as accepted; on any failure nothing is referenced
 * and the local files are removed.
 */
export class BatchStore {
  private readonly slots: Slots;
  private readonly pending = new Set<Promise<unknown>>();

  constructor(
    private readonly db: DuckDBInstance,
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly workDir: string,
    concurrency: number,
  ) {
    this.slots = new Slots(concurrency);
  }

  store(kind: IntakeKind, body: Buffer, ctx: BatchContext, abortSignal?: AbortSignal): Promise<StoredBatch> {
    const run = this.run(kind, body, ctx, abortSignal);
    const settled = run.then(
      () => undefined,
      () => undefined,
    );
    this.pending.add(settled);
    void settled.then(() => this.pending.delete(settled));
    return run;
  }

  /** Waits for every store still running, answered or not (shutdown closes DuckDB after it). */
  async drain(): Promise<void> {
    await Promise.all(this.pending);
  }

  private async run(kind: IntakeKind, body: Buffer, ctx: BatchContext, abortSignal?: AbortSignal): Promise<StoredBatch> {
    const release = await this.slots.take(abortSignal);
    const name = randomUUID();
    const bodyFile = join(this.workDir, `${name}.json`);
    const parquetFile = join(this.workDir, `${name}.parquet`);
    try {
      abortSignal?.throwIfAborted();
      await mkdir(this.workDir, { recursive: true });
      await writeFile(bodyFile, body);
      const write = kind === 'batches' ? writeSdkBatchParquet : writeSdkCountsParquet;
      const rows = await withConnection(this.db, (conn) => write(conn, bodyFile, parquetFile, ctx)).catch((err: unknown) => {
        // The body passed the wire schema; what DuckDB still refuses as input is the body's fault.
        if (err instanceof Error && /^Invalid Input Error/.test(err.message)) throw new BodyRefused(err.message.split('\n')[0]!.replace(/ in file "[^"]*"/, ''));
        throw err;
      });
      const bytes = await readFile(parquetFile);
      const key = intakeObjectKey(kind, ctx.environmentId, ctx.receptionMs, name);
      // One PUT of a few MB at most: the body limit bounds it far below the single-PUT limit.
      await this.s3.send(
        new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: bytes, ContentType: 'application/vnd.apache.parquet', Metadata: { rows: String(rows), 'sdk-key-id': ctx.sdkKeyId } }),
        { abortSignal },
      );
      return { key, rows, bytes: bytes.length };
    } finally {
      release();
      await Promise.all([rm(bodyFile, { force: true }), rm(parquetFile, { force: true })]);
    }
  }
}
