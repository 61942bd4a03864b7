/** Limits of the status path that workflows and activities agree on (see index.ts for the versioning rule). */
/** Triplets remembered for deduplication: ~21 bytes each, well under the payload limit. */
export const DEDUP_CAPACITY = 20_000;
/**
 * Entries per report file; more wait for the next report (the contract allows a file's status to
 * span reports). 500 entries of at most ~1.5 KB (3 details with 64-character samples) keep the
 * activity input well under Temporal's 2 MB payload limit.
 */
export const MAX_ENTRIES_PER_REPORT = 500;
/**
 * A run continues as new only with at most this many entries pending (~150 KB at ~1.5 KB each),
 * beside the duplicate filter (~0.5 MB): far below Temporal's 2 MB payload limit whatever the
 * inflow. With more pending it writes reports first; `reportEntries` holds back new entries while
 * `BACKPRESSURE_ENTRIES` are pending, so that moment comes.
 */
export const MAX_CARRIED_ENTRIES = 100;
/** Unwritten entries from which `reportEntries` waits (retries) before handing over more. */
export const BACKPRESSURE_ENTRIES = 1_000;
/** ...until they fall below this (hysteresis, so the flag does not flip on every report). */
export const BACKPRESSURE_RELEASE_ENTRIES = 500;
/**
 * The status workflow's memo key saying it holds too much: `reportEntries` reads it with a
 * describe call, which the server answers alone. A query per hand-over would go through the
 * workflow, whose query buffer fills under a burst of hand-overs.
 */
export const BACKPRESSURE_MEMO_KEY = 'backPressure';
export const MAX_HISTORY_EVENTS = 5_000;
