/**
 * Where integrations and the per-file ledgers keep their records in the warehouse bucket: beside
 * the events prefix, never under it, so nothing that reads events ever reads them.
 */

const pad = (n: number, w: number) => String(n).padStart(w, '0');

/** Every integration's current configuration (tombstones included), one JSON object each. */
export const INTEGRATION_RECORDS_PREFIX = 'integrations/current/';
export const integrationRecordKey = (id: string) => `${INTEGRATION_RECORDS_PREFIX}${id}.json`;

/** One audit record per change, in order of configuration version. */
export const integrationAuditKey = (id: string, configVersion: number) => `integrations/audit/${id}/${pad(configVersion, 6)}.json`;

/** A marker per generation a pass of the file version started, written before the pass reports anything. */
export const generationMarkersPrefix = (fileId: string) => `ledger/generations/${fileId}/`;
export const generationMarkerKey = (fileId: string, generation: number) => `${generationMarkersPrefix(fileId)}${pad(generation, 4)}`;

/** The highest generation among marker keys of one file version, or -1. */
export function highestGenerationMarked(keys: readonly string[]): number {
  let highest = -1;
  for (const key of keys) {
    const g = Number(key.slice(key.lastIndexOf('/') + 1));
    if (Number.isInteger(g) && g > highest) highest = g;
  }
  return highest;
}

/** What the pass of one generation decided about its content (duplicate or not), pinned for its retries. */
export const contentDecisionKey = (fileId: string, generation: number) => `ledger/content-decisions/${fileId}/${pad(generation, 4)}.json`;

/** The first committed ingestion of some content under an integration, by the content's SHA-256. */
export const contentLedgerKey = (integrationId: string, sha256: string) => `ledger/content/${integrationId}/${sha256}.json`;

/** Written once a file version of a deleted integration got its INTEGRATION_CONFIG_NOT_FOUND entry. */
export const integrationNotFoundMarkerKey = (fileId: string) => `ledger/integration-not-found/${fileId}.json`;

/** The reconciliation sweep's memory and counts for one integration. */
export const sweepStateKey = (integrationId: string) => `ledger/sweep/${integrationId}.json`;
