import { ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import type { ContentGroup } from '../../domain/integration/integrationEntries';
import type { ObjectVersion } from '../../domain/keys';
import { contentDecisionKey, contentLedgerKey, generationMarkerKey, generationMarkersPrefix, highestGenerationMarked } from '../../domain/ledgerKeys';
import { getJson, isS3Error } from '../../s3/s3';
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

/** What a pass decided about its content, pinned so every retry and restart of the pass decides the same. */
export type ContentDecisionV1 = { version: 1; duplicateOf?: { object: ObjectVersion; groups: ContentGroup[] } };

/** Who reserved a generation: the workflow run whose pass it is. */
interface GenerationMarkerV1 {
  version: 1;
  runId: string;
}

/**
 * Records in the warehouse bucket what outlives a file workflow's history: the generations its
 * passes used, what each pass decided about its content, and the content each integration
 * already ingested. Writes that decide something are conditional (`If-None-Match: *`): the
 * first writer wins and everyone else reads what it wrote.
 */
export class FileLedger {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  /** Writes `value` unless the key exists; true when this call wrote it. */
  private async createOnce(key: string, value: unknown, abortSignal?: AbortSignal): Promise<boolean> {
    try {
      await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: JSON.stringify(value), ContentType: 'application/json', IfNoneMatch: '*' }), { abortSignal });
      return true;
    } catch (err) {
      if (isS3Error(err, 'PreconditionFailed', '412', 'ConditionalRequestConflict', '409')) return false;
      throw err;
    }
  }

  /**
   * Reserves a generation for a pass of `runId`, before the pass reports anything, so a later
   * generation never reuses its entry ids, even after Temporal's retention. `taken`: another
   * run reserved it first (the file version was processed by a run Temporal no longer knows).
   */
  async reserveGeneration(fileId: string, generation: number, runId: string, abortSignal?: AbortSignal): Promise<'reserved' | 'taken'> {
    const key = generationMarkerKey(fileId, generation);
    if (await this.createOnce(key, { version: 1, runId } satisfies GenerationMarkerV1, abortSignal)) return 'reserved';
    const marker = await getJson<GenerationMarkerV1>(this.s3, this.bucket, key, abortSignal);
    // Markers from before runs were recorded are empty: they cannot be told apart, so they are taken as this run's.
    return !marker?.runId || marker.runId === runId ? 'reserved' : 'taken';
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

  /**
   * Whether this pass's content was already ingested under the same configuration version by
   * another file version: decided once per (file version, generation) and pinned, so a retried
   * or restarted pass never reports a duplicate on top of entries it already reported, or the
   * other way round, when another copy commits in between.
   */
  async decideContent(fileId: string, generation: number, check: ContentCheckV1, sha256: string, abortSignal?: AbortSignal): Promise<ContentDecisionV1> {
    const key = contentDecisionKey(fileId, generation);
    const pinned = await getJson<ContentDecisionV1>(this.s3, this.bucket, key, abortSignal);
    if (pinned) return pinned;
    const entry = await getJson<ContentLedgerEntryV1>(this.s3, this.bucket, contentLedgerKey(check.integrationId, sha256), abortSignal);
    const first = entry && entry.configVersion === check.configVersion && entry.fileId !== fileId ? entry : undefined;
    const decision: ContentDecisionV1 = { version: 1, ...(first ? { duplicateOf: { object: first.object, groups: first.groups } } : {}) };
    if (await this.createOnce(key, decision, abortSignal)) return decision;
    return (await getJson<ContentDecisionV1>(this.s3, this.bucket, key, abortSignal)) ?? decision;
  }

  /**
   * The first file version to commit some content under a configuration version keeps the record
   * (`If-None-Match`); a later configuration version, or the same file version's reprocess,
   * replaces it; an older configuration version never replaces a newer one. Two first passes of
   * the same content that run at once both ingest it: the check happens at download, the record
   * at commit.
   */
  async recordContent(record: ContentRecordV1, object: ObjectVersion, fileId: string, generation: number): Promise<void> {
    const key = contentLedgerKey(record.integrationId, record.sha256);
    const entry: ContentLedgerEntryV1 = { version: 1, ...record, object, fileId, generation };
    if (await this.createOnce(key, entry)) return;
    const existing = await getJson<ContentLedgerEntryV1>(this.s3, this.bucket, key);
    const replaces = !existing || existing.configVersion < record.configVersion || (existing.fileId === fileId && existing.configVersion <= record.configVersion);
    if (!replaces) return;
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: JSON.stringify(entry), ContentType: 'application/json' }));
  }
}
