import { createHash, randomBytes } from 'node:crypto';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { SDK_KEYS_PREFIX, sdkKeyRecordKey } from '../domain/impressions/intakeKeys';
import { sdkKeyIdOf, SdkKeyRecord, sdkKeyRecordSchema, SdkKeyRegistration, sdkKeyRegistrationSchema } from '../domain/impressions/sdkKeys';
import { getJson, listKeys } from './s3';

/** The SHA-256 a key is stored and looked up by. */
export const hashSdkKey = (key: string): string => createHash('sha256').update(key, 'utf8').digest('hex');

/** A new key in SDK_KEY_FORMAT. */
export const generateSdkKey = (): string => `fmesdk_${randomBytes(24).toString('base64url')}`;

export class SdkKeyNotFound extends Error {}

/**
 * SDK keys in the warehouse bucket, one JSON record per key named by the key's hash. Adding
 * needs no coordination (keys are random) and revoking is idempotent, so the CLI writes the
 * records directly and every intake instance reads them.
 */
export class SdkKeyStore {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
  ) {}

  /** Registers a new key and returns it: the only time the key itself exists outside the SDK's configuration. */
  async add(registration: SdkKeyRegistration, now = new Date()): Promise<{ key: string; record: SdkKeyRecord }> {
    const reg = sdkKeyRegistrationSchema.parse(registration);
    const key = generateSdkKey();
    const sha256 = hashSdkKey(key);
    const record = sdkKeyRecordSchema.parse({ version: 1, id: sdkKeyIdOf(sha256), sha256, ...reg, createdAt: now.toISOString() });
    await this.put(record);
    return { key, record };
  }

  /** The record of a key's hash, revoked or not; undefined when no such key was ever added. */
  async lookup(sha256: string): Promise<SdkKeyRecord | undefined> {
    const raw = await getJson<unknown>(this.s3, this.bucket, sdkKeyRecordKey(sha256));
    return raw === undefined ? undefined : sdkKeyRecordSchema.parse(raw);
  }

  /** Every key's record, oldest first. */
  async list(): Promise<SdkKeyRecord[]> {
    const keys = (await listKeys(this.s3, this.bucket, SDK_KEYS_PREFIX)).filter((k) => k.endsWith('.json'));
    const records = await Promise.all(keys.map((k) => getJson<unknown>(this.s3, this.bucket, k)));
    return records
      .filter((r) => r !== undefined)
      .map((r) => sdkKeyRecordSchema.parse(r))
      .sort((a, b) => (a.createdAt < b.createdAt ? -1 : a.createdAt > b.createdAt ? 1 : a.id < b.id ? -1 : 1));
  }

  /**
   * Revokes the key with this id (or this key itself). Revoking twice keeps the first time.
   * Intake instances stop accepting it within their cache's time to live.
   */
  async revoke(idOrKey: string, now = new Date()): Promise<SdkKeyRecord> {
    const record = /^[0-9a-f]{12}$/.test(idOrKey) ? (await this.list()).find((r) => r.id === idOrKey) : await this.lookup(hashSdkKey(idOrKey));
    // A key given by mistake is not echoed back into terminals and logs.
    if (!record) throw new SdkKeyNotFound(`no SDK key ${/^[0-9a-f]{12}$/.test(idOrKey) ? idOrKey : 'with that value'}; \`intake key list\` shows their ids`);
    if (record.revokedAt) return record;
    const revoked = { ...record, revokedAt: now.toISOString() };
    await this.put(revoked);
    return revoked;
  }

  private async put(record: SdkKeyRecord): Promise<void> {
    await this.s3.send(
      new PutObjectCommand({ Bucket: this.bucket, Key: sdkKeyRecordKey(record.sha256), Body: JSON.stringify(record, null, 2), ContentType: 'application/json' }),
    );
  }
}
