import { GetBucketVersioningCommand, HeadObjectCommand } from '@aws-sdk/client-s3';
import { objectVersionOf, ObjectVersion } from '../domain/keys';
import type { S3ForRegion } from './s3';

/** What a file workflow needs to know of an object version before it starts. */
export interface ResolvedObject {
  object: ObjectVersion;
  /** The version's creation time in epoch ms. */
  createdAt: number;
  bytes: number;
}

export type VersioningStatus = 'Enabled' | 'Suspended' | 'Off';

/** What a notification or a listing says of an object; any field may be missing. */
export interface ObjectHint {
  versionId?: string;
  etag?: string;
  createdAt?: number;
  bytes?: number;
}

/**
 * Turns what a notification or listing says into a file's identity: (bucket, key, versionId) in
 * a versioned bucket, (bucket, key, ETag) otherwise. A versioned bucket's record without a
 * versionId (moto never sends one) is resolved with a HEAD of the key. Whether a bucket is
 * versioned is asked once a minute per bucket, not per object.
 */
export class ObjectIdentities {
  private readonly versioning = new Map<string, { status: Promise<VersioningStatus>; at: number }>();

  constructor(
    private readonly s3For: S3ForRegion,
    private readonly ttlMs = 60_000,
  ) {}

  /** `Suspended`: versions made while versioning was on keep their ids; new objects get the version "null". */
  async versioningStatus(bucket: string, region?: string): Promise<VersioningStatus> {
    const known = this.versioning.get(bucket);
    if (known && Date.now() - known.at < this.ttlMs) return known.status;
    const status = this.s3For(region)
      .send(new GetBucketVersioningCommand({ Bucket: bucket }))
      .then((r): VersioningStatus => (r.Status === 'Enabled' || r.Status === 'Suspended' ? r.Status : 'Off'));
    status.catch(() => this.versioning.delete(bucket));
    this.versioning.set(bucket, { status, at: Date.now() });
    return status;
  }

  /** Whether a new object gets a version id of its own (then a record without one needs a HEAD). */
  async isVersioned(bucket: string, region?: string): Promise<boolean> {
    return (await this.versioningStatus(bucket, region)) === 'Enabled';
  }

  async resolve(bucket: string, key: string, hint: ObjectHint, region?: string): Promise<ResolvedObject> {
    // The version "null" (an object of an unversioned or suspended period) is told apart by ETag, as objectVersionOf does.
    if (hint.versionId === 'null' && hint.etag && hint.createdAt !== undefined && hint.bytes !== undefined) {
      return { object: objectVersionOf(bucket, key, undefined, hint.etag), createdAt: hint.createdAt, bytes: hint.bytes };
    }
    const hasVersion = hint.versionId && hint.versionId !== 'null';
    if (hasVersion || (hint.etag && !(await this.isVersioned(bucket, region)))) {
      if (hint.createdAt !== undefined && hint.bytes !== undefined) {
        return { object: objectVersionOf(bucket, key, hasVersion ? hint.versionId : undefined, hint.etag), createdAt: hint.createdAt, bytes: hint.bytes };
      }
    }
    const head = await this.s3For(region).send(new HeadObjectCommand({ Bucket: bucket, Key: key, ...(hasVersion ? { VersionId: hint.versionId } : {}) }));
    return {
      object: objectVersionOf(bucket, key, head.VersionId ?? hint.versionId, head.ETag ?? hint.etag),
      createdAt: hint.createdAt ?? (head.LastModified ?? new Date()).getTime(),
      bytes: head.ContentLength ?? hint.bytes ?? 0,
    };
  }
}
