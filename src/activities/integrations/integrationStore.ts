import { GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { INTEGRATION_RECORDS_PREFIX, integrationAuditKey, integrationRecordKey } from '../../domain/ledgerKeys';
import { isS3Error } from '../../s3/s3';
import type { IntegrationState } from '../../messages';

/** An audit record: one per change, written before the current record. */
export interface IntegrationAuditRecordV1 {
  version: 1;
  change: 'created' | 'updated' | 'deleted';
  at: string;
  actor?: string;
  state: IntegrationState;
}

/**
 * What integration entities publish in the warehouse bucket: each integration's current record
 * (read by file passes, the HTTP service and `integration list`) and an audit record per change.
 */
export class IntegrationStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  async read(id: string): Promise<IntegrationState | undefined> {
    return this.readJson<IntegrationState>(integrationRecordKey(id));
  }

  /** Every integration's record, tombstones included, in id order. */
  async list(): Promise<IntegrationState[]> {
    const keys: string[] = [];
    let token: string | undefined;
    do {
      const page = await this.s3.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: INTEGRATION_RECORDS_PREFIX, ContinuationToken: token }));
      keys.push(...(page.Contents ?? []).map((o) => o.Key!).filter((k) => k.endsWith('.json')));
      token = page.IsTruncated ? page.NextContinuationToken : undefined;
    } while (token);
    const states = await Promise.all(keys.map((k) => this.readJson<IntegrationState>(k)));
    return states.filter((s): s is IntegrationState => s !== undefined).sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  /** The audit record first: a change whose current record failed to land is still on record, and a retry writes the same keys. */
  async publish(record: IntegrationAuditRecordV1): Promise<void> {
    const { state } = record;
    await this.putJson(integrationAuditKey(state.id, state.configVersion), record);
    await this.putJson(integrationRecordKey(state.id), state);
  }

  private async readJson<T>(key: string): Promise<T | undefined> {
    try {
      const res = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
      return JSON.parse(await res.Body!.transformToString()) as T;
    } catch (err) {
      if (isS3Error(err, 'NoSuchKey', '404')) return undefined;
      throw err;
    }
  }

  private async putJson(key: string, value: unknown): Promise<void> {
    await this.s3.send(new PutObjectCommand({ Bucket: this.bucket, Key: key, Body: JSON.stringify(value, null, 2), ContentType: 'application/json' }));
  }
}
