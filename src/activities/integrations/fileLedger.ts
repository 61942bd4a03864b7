import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ContentGroup } from '../../domain/integration/integrationEntries';
import type { ObjectVersion } from '../../domain/keys';
import { contentLedgerKey, generationMarkerKey, generationMarkersPrefix, highestGenerationMarked } from '../../domain/ledgerKeys';
import { isS3Error } from '../../s3/s3';
import type { ContentCheckV1, ContentRecordV1 } from '../../messages';

/** The first committed ingestion of some content under one integration configuration. */
export interface ContentLedgerEntryV1 {
  version: 1;
  sha256: string;
  integrationId: string;
  configVersion: number;
  object: ObjectVersion;
  fileId: string;
  generation: number;
  groups: ContentGroup[];
}

async function readJson<T>(s3: S3Client, bucket: string, key: string, abortSignal?: AbortSignal): Promise<T | undefined> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal });
    return JSON.parse(await res.Body!.transformToString()) as T;
  } catch (err) {
    if (isS3Error(err, 'NoSuchKey', '404')) return undefined;
    throw err;
  }
}

/**
 * Records in the warehouse bucket what outlives a file workflow's history: the generations its
 * passes used, and the content each integration already ingested.
 */
export class FileLedger {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  /** Written before a pass reports anything, so a later generation never reuses its entry ids, even after retention. */
  async reserveGeneration(fileId: string, generation: number, abortSignal?: AbortSignal): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: generationMarkerKey(fileId, generation), Body: '' }), { abortSignal });
  }

  /** The highest generation any pass of the file version reserved, or -1. */
  async highestReservedGeneration(fileId: string): Promise<number> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: generationMarkersPrefix(fileId), ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((o) => o.Key!));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return highestGenerationMarked(keys);
  }

  /** The earlier ingestion of this content under the same configuration version, by another file version. */
  async findDuplicate(check: ContentCheckV1, sha256: string, fileId: string, abortSignal?: AbortSignal): Promise<ContentLedgerEntryV1 | undefined> {
    const entry = await readJson<ContentLedgerEntryV1>(this.s3, this.bucket, contentLedgerKey(check.integrationId, sha256), abortSignal);
    return entry && entry.configVersion === check.configVersion && entry.fileId !== fileId ? entry : undefined;
  }

  /**
   * The first file version to commit some content under a configuration version keeps the
   * record; a later configuration version, or the same file version's reprocess, replaces it.
   */
  async recordContent(record: ContentRecordV1, object: ObjectVersion, fileId: string, generation: number): Promise<void> {
    const key = contentLedgerKey(record.integrationId, record.sha256);
    const existing = await readJson<ContentLedgerEntryV1>(this.s3, this.bucket, key);
    if (existing && existing.configVersion === record.configVersion && existing.fileId !== fileId) return;
    const entry: ContentLedgerEntryV1 = { version: 1, ...record, object, fileId, generation };
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: JSON.stringify(entry), ContentType: 'application/json' }));
  }
}
