import { knownInboundOf } from '../activities/integrations/integrationStore';
import type { KnownIntegration } from '../domain/integration/conflicts';
import type { IntegrationState } from '../messages';

/** What the endpoint needs of the integrations' published records. */
export interface IntegrationRecords {
  list(): Promise<IntegrationState[]>;
}

export interface IntegrationView {
  integration?: IntegrationState;
  /** Every integration (tombstones included), for the loop rules. */
  all: KnownIntegration[];
}

/** An id unknown to the cache refreshes it, at most this often: a just-created integration works within a second. */
const MISS_REFRESH_MS = 1_000;

/**
 * The integrations as their entities published them, read at most once per TTL (never a
 * Temporal query per request). One refresh is shared by every request that arrives meanwhile;
 * a failed refresh fails those requests (the endpoint answers 5xx, SNS retries) and the next
 * request tries again.
 */
export class IntegrationCache {
  private snapshot?: { at: number; byId: Map<string, IntegrationState>; all: KnownIntegration[] };
  private loading?: Promise<NonNullable<IntegrationCache['snapshot']>>;

  constructor(
    private readonly records: IntegrationRecords,
    private readonly ttlMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  async lookup(id: string): Promise<IntegrationView> {
    let snap = this.snapshot && this.now() - this.snapshot.at < this.ttlMs ? this.snapshot : await this.refresh();
    if (!snap.byId.has(id) && this.now() - snap.at >= MISS_REFRESH_MS) snap = await this.refresh();
    return { integration: snap.byId.get(id), all: snap.all };
  }

  private refresh(): Promise<NonNullable<IntegrationCache['snapshot']>> {
    this.loading ??= this.records
      .list()
      .then((states) => {
        this.snapshot = { at: this.now(), byId: new Map(states.map((s) => [s.id, s])), all: knownInboundOf(states) };
        return this.snapshot;
      })
      .finally(() => (this.loading = undefined));
    return this.loading;
  }
}
