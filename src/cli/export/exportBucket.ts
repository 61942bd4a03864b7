import { HeadObjectCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';
import { manifestKey, successKey, SUCCESS_NAME, windowStartOfFolder } from '../../domain/export/exportKeys';
import { exportManifestSchema, type ExportManifest } from '../../domain/export/manifest';
import type { OutboundConfig } from '../../domain/integration/outboundConfig';
import { getJson, isS3Error } from '../../s3/s3';

/**
 * What the CLI reads of an outbound integration's files in the customer's bucket: which
 * windows are complete (their folder holds `_SUCCESS`) and their manifests.
 */
export class ExportBucket {
  private readonly manifests = new Map<number, ExportManifest | undefined>();

  constructor(
    private readonly s3: S3Client,
    private readonly target: Pick<OutboundConfig, 'bucket' | 'writePrefix'>,
  ) {}

  get location(): string {
    return `s3://${this.target.bucket}/${this.target.writePrefix ? `${this.target.writePrefix}/` : ''}`;
  }

  /**
   * The starts of the window folders directly under the write prefix that hold `_SUCCESS`, in
   * order: one listing of the `window_start=` folders' keys (parts, manifests, markers).
   */
  async completeStarts(): Promise<number[]> {
    const root = this.target.writePrefix ? `${this.target.writePrefix}/` : '';
    const starts: number[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.target.bucket, Prefix: `${root}window_start=`, ContinuationToken: token }));
      for (const o of page.Contents ?? []) {
        const key = o.Key ?? '';
        if (!key.endsWith(`/${SUCCESS_NAME}`)) continue;
        const folder = key.slice(0, -SUCCESS_NAME.length);
        const start = windowStartOfFolder(folder);
        // Only folders directly under the prefix are ours.
        if (start !== undefined && !folder.slice(root.length).slice(0, -1).includes('/')) starts.push(start);
      }
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    return starts.sort((a, b) => a - b);
  }

  /** The window's manifest, if there is one of ours for that very window. */
  async manifest(start: number, fresh = false): Promise<ExportManifest | undefined> {
    if (!fresh && this.manifests.has(start)) return this.manifests.get(start);
    const raw = await getJson<unknown>(this.s3, this.target.bucket, manifestKey(this.target.writePrefix, { start }));
    const parsed = raw === undefined ? undefined : exportManifestSchema.safeParse(raw);
    const manifest = parsed?.success && parsed.data.window.startMs === start ? parsed.data : undefined;
    this.manifests.set(start, manifest);
    return manifest;
  }

  /** Whether the window's folder holds `_SUCCESS` now. */
  async isComplete(start: number): Promise<boolean> {
    try {
      await this.s3.send(new HeadObjectCommand({ Bucket: this.target.bucket, Key: successKey(this.target.writePrefix, { start }) }));
      return true;
    } catch (err) {
      if (isS3Error(err, 'NoSuchKey', 'NotFound', '404')) return false;
      throw err;
    }
  }

  /**
   * The end of the latest complete window ending before `before`, as an export run finds it
   * (newest folder first, by its manifest): where the next run's window may have to start.
   */
  async lastEndBefore(before: number, completeStarts: readonly number[]): Promise<number | undefined> {
    for (const start of [...completeStarts].filter((s) => s < before).sort((a, b) => b - a)) {
      const m = await this.manifest(start);
      if (m && m.window.endMs < before) return m.window.endMs;
    }
    return undefined;
  }
}
