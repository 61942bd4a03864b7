import { SDK_KEY_FORMAT, type SdkKeyRecord } from '../domain/impressions/sdkKeys';
import { hashSdkKey } from '../s3/sdkKeyStore';

export interface SdkKeyLookup {
  lookup(sha256: string): Promise<SdkKeyRecord | undefined>;
}

export type Authentication = { ok: true; record: SdkKeyRecord } | { ok: false; reason: 'unknown' | 'revoked' };

/** An unknown key is asked for again after this: a key added a moment ago works within it. */
const UNKNOWN_TTL_MS = 2_000;

/**
 * SDK keys by hash, each record read at most once per TTL; concurrent requests with one key share
 * one read. A failed read is not cached: the request gets a 503 and the next one reads again.
 */
export class SdkKeyCache {
  private readonly entries = new Map<string, { at: number; record: SdkKeyRecord | undefined }>();
  private readonly loading = new Map<string, Promise<SdkKeyRecord | undefined>>();

  constructor(
    private readonly store: SdkKeyLookup,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async authenticate(key: string): Promise<Authentication> {
    // Not a key we ever generate: no read of the store for it.
    if (!SDK_KEY_FORMAT.test(key)) return { ok: false, reason: 'unknown' };
    const record = await this.recordOf(hashSdkKey(key));
    if (!record) return { ok: false, reason: 'unknown' };
    if (record.revokedAt) return { ok: false, reason: 'revoked' };
    return { ok: true, record };
  }

  private async recordOf(sha256: string): Promise<SdkKeyRecord | undefined> {
    const hit = this.entries.get(sha256);
    if (hit && this.now() - hit.at < (hit.record ? this.ttlMs : Math.min(this.ttlMs, UNKNOWN_TTL_MS))) return hit.record;
    let pending = this.loading.get(sha256);
    if (!pending) {
      pending = this.store
        .lookup(sha256)
        .then((record) => {
          // Unknown hashes are whatever anyone sends: keep the map bounded, forgetting them first.
          if (this.entries.size > 10_000) {
            for (const [hash, e] of this.entries) if (!e.record) this.entries.delete(hash);
            if (this.entries.size > 10_000) this.entries.clear();
          }
          this.entries.set(sha256, { at: this.now(), record });
          return record;
        })
        .finally(() => this.loading.delete(sha256));
      this.loading.set(sha256, pending);
    }
    return pending;
  }
}
