import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3';
import type { Settings } from '../config/settings';

export function createS3Client(settings: Pick<Settings, 'AWS_REGION' | 'S3_ENDPOINT' | 'S3_FORCE_PATH_STYLE'>): S3Client {
  // The SDK warns on every Node 20 start that releases from January 2027 need Node 22. The
  // version is pinned in package.json, so the warning is noise in every log (set it to "false" to see it).
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  return new S3Client({
    region: settings.AWS_REGION,
    endpoint: settings.S3_ENDPOINT,
    forcePathStyle: settings.S3_FORCE_PATH_STYLE,
    // Checksums only where S3 requires them: S3-compatible stores (moto among them)
    // rebuild streamed, checksummed uploads slowly.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
}

/** A JSON object, or undefined when the key does not exist or is empty (generation markers written before runs were recorded are). */
export async function getJson<T>(s3: S3Client, bucket: string, key: string, abortSignal?: AbortSignal): Promise<T | undefined> {
  try {
    const res = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: key }), { abortSignal });
    return (JSON.parse((await res.Body!.transformToString()) || 'null') as T | null) ?? undefined;
  } catch (err) {
    if (isS3Error(err, 'NoSuchKey', '404')) return undefined;
    throw err;
  }
}

/** Every key under a prefix, page by page, in S3's (lexicographic) order. */
export async function listKeys(s3: S3Client, bucket: string, prefix: string): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix, ContinuationToken: token }));
    keys.push(...(page.Contents ?? []).map((o) => o.Key!));
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token);
  return keys;
}

/** Picks the client for a bucket in `region`: the pool's when there is one and a region is named, else the deployment's own. */
export function clientIn(s3: S3Client, pool: S3ForRegion | undefined, region: string | undefined): S3Client {
  return pool && region ? pool(region) : s3;
}

/** An S3 client for a customer's bucket in `region` (the deployment's own region when absent). */
export type S3ForRegion = (region?: string) => S3Client;

/**
 * One client per region, made on first use: each integration's bucket is addressed in its own
 * region, so S3 never answers 301 for a correctly configured integration. Clients of one
 * deployment share its endpoint and addressing (one moto or MinIO serves every region).
 */
export function s3ClientPool(settings: Pick<Settings, 'AWS_REGION' | 'S3_ENDPOINT' | 'S3_FORCE_PATH_STYLE'>, home?: S3Client): S3ForRegion {
  const clients = new Map<string, S3Client>();
  if (home) clients.set(settings.AWS_REGION, home);
  return (region = settings.AWS_REGION) => {
    let client = clients.get(region);
    if (!client) clients.set(region, (client = createS3Client({ ...settings, AWS_REGION: region })));
    return client;
  };
}

export function isS3Error(err: unknown, ...names: string[]): boolean {
  if (!(err instanceof Error)) return false;
  const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
  return names.some((n) => err.name === n || String(status) === n);
}

/** DeleteObjects answered 200 but could not delete some keys; the caller's retry deletes them. */
export class KeysNotDeletedError extends Error {}

/**
 * Deletes keys in batches of 1,000 (DeleteObjects' limit); missing keys are fine. DeleteObjects
 * reports per-key failures in a 200 answer: they are thrown, so a retry deletes them instead of
 * the keys being forgotten.
 */
export async function deleteKeys(s3: S3Client, bucket: string, keys: readonly string[], abortSignal?: AbortSignal): Promise<void> {
  for (let i = 0; i < keys.length; i += 1000) {
    const res = await s3.send(new DeleteObjectsCommand({ Bucket: bucket, Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })), Quiet: true } }), { abortSignal });
    const failed = res.Errors ?? [];
    if (failed.length > 0) {
      const sample = failed.slice(0, 3).map((e) => `${e.Key} (${e.Code}: ${e.Message})`).join(', ');
      throw new KeysNotDeletedError(`s3://${bucket}: ${failed.length} of ${Math.min(1000, keys.length - i)} keys not deleted, e.g. ${sample}`);
    }
  }
}
