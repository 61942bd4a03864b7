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

/** Waits for a free slot among `limit`; the slot is released by the function it returns. */
class Slots {
  private used = 0;
  private readonly waiting: (() => void)[] = [];
  constructor(private readonly limit: number) {}
  async take(): Promise<() => void> {
    if (this.used >= this.limit) await new Promise<void>((r) => this.waiting.push(r));
    else this.used++;
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

  constructor(
    private readonly db: DuckDBInstance,
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly workDir: string,
    concurrency: number,
  ) {
    this.slots = new Slots(concurrency);
  }

  async store(kind: IntakeKind, body: Buffer, ctx: BatchContext, abortSignal?: AbortSignal): Promise<StoredBatch> {
    const release = await this.slots.take();
    const name = randomUUID();
    const bodyFile = join(this.workDir, `${name}.json`);
    const parquetFile = join(this.workDir, `${name}.parquet`);
    try {
      abortSignal?.throwIfAborted();
      await mkdir(this.workDir, { recursive: true });
      await writeFile(bodyFile, body);
      const write = kind === 'batches' ? writeSdkBatchParquet : writeSdkCountsParquet;
      const rows = await withConnection(this.db, (conn) => write(conn, bodyFile, parquetFile, ctx));
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
