import { keyMatchesFilter } from '../integration/filters';
import { isUnderStatusPrefixOf, KnownIntegration } from '../integration/conflicts';

/** Why a notified key is not a file of the integration (2xx, counted, logged at debug: never an error). */
export type IgnoredBecause = 'other-bucket' | 'status-folder' | 'outside-filters' | 'owned-by-live-integration';

/**
 * The loop rules: a key is taken only inside the integration's filters, never under any status
 * folder on the bucket (a notification rule broader than the filters would otherwise feed our
 * own reports back in), and a deleted integration's key that a live one now covers belongs to
 * the live one. The export's key layout joins these rules with the outbound half.
 */
export function routeKey(integration: KnownIntegration, bucket: string, key: string, all: readonly KnownIntegration[]): { take: true } | { take: false; because: IgnoredBecause } {
  if (bucket !== integration.config.bucket) return { take: false, because: 'other-bucket' };
  if (isUnderStatusPrefixOf(bucket, key, all)) return { take: false, because: 'status-folder' };
  if (!keyMatchesFilter(integration.config, key)) return { take: false, because: 'outside-filters' };
  if (integration.deleted && all.some((i) => !i.deleted && i.config.bucket === bucket && keyMatchesFilter(i.config, key))) {
    return { take: false, because: 'owned-by-live-integration' };
  }
  return { take: true };
}
