import { ListObjectsV2Command, ListObjectVersionsCommand, S3Client } from '@aws-sdk/client-s3';

/** One object version as a listing shows it. */
export interface ListedObject {
  key: string;
  /** Present in a versioned bucket. */
  versionId?: string;
  etag?: string;
  lastModified: number;
  size: number;
}

/**
 * Every object under `prefix`, page by page: each version (delete markers aside) in a versioned
 * bucket, where every version is a file of its own; the current objects otherwise.
 */
export async function* listObjects(s3: S3Client, bucket: string, prefix: string, versioned: boolean): AsyncGenerator<ListedObject[]> {
  if (versioned) {
    let keyMarker: string | undefined;
    let versionMarker: string | undefined;
    do {
      const page = await s3.send(new ListObjectVersionsCommand({ Bucket: bucket, Prefix: prefix || undefined, KeyMarker: keyMarker, VersionIdMarker: versionMarker }));
      yield (page.Versions ?? []).map((v) => ({
        key: v.Key!,
        versionId: v.VersionId,
        etag: v.ETag?.replace(/"/g, ''),
        lastModified: (v.LastModified ?? new Date(0)).getTime(),
        size: v.Size ?? 0,
      }));
      keyMarker = page.IsTruncated ? page.NextKeyMarker : undefined;
      versionMarker = page.IsTruncated ? page.NextVersionIdMarker : undefined;
    } while (keyMarker);
    return;
  }
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix || undefined, ContinuationToken: token }));
    yield (page.Contents ?? []).map((o) => ({ key: o.Key!, etag: o.ETag?.replace(/"/g, ''), lastModified: (o.LastModified ?? new Date(0)).getTime(), size: o.Size ?? 0 }));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
}
