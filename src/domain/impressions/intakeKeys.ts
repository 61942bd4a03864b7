/**
 * Where the intake keeps impressions and SDK keys in the warehouse bucket:
 *
 *   impressions/batches/env=<environment>/minute=<yyyymmddThhmm>Z/<reception ms>-<name>.parquet
 *   impressions/counts/env=<environment>/minute=<yyyymmddThhmm>Z/<reception ms>-<name>.parquet
 *   impressions/sdk-keys/<sha256 of the key>.json
 *
 * Partitioned by environment (an outbound integration exports chosen environments) and by
 * reception minute (every export interval is a whole number of minutes, so a window is a set of
 * minute folders).
 */
export const IMPRESSIONS_ROOT = 'impressions';
export const SDK_KEYS_PREFIX = `${IMPRESSIONS_ROOT}/sdk-keys/`;

export type IntakeKind = 'batches' | 'counts';

const MINUTE_MS = 60_000;
const pad = (n: number, w = 2) => String(n).padStart(w, '0');

/** The start of the minute a millisecond falls in. */
export const minuteOf = (ms: number): number => Math.floor(ms / MINUTE_MS) * MINUTE_MS;

/** `20261202T1105Z`: sorts as time does, and holds no character S3 or a shell treats specially. */
export function minuteLabel(ms: number): string {
  const d = new Date(minuteOf(ms));
  return `${d.getUTCFullYear()}${pad(d.getUTCMonth() + 1)}${pad(d.getUTCDate())}T${pad(d.getUTCHours())}${pad(d.getUTCMinutes())}Z`;
}

/** Environment ids are checked at registration; a loaded file's are encoded, whatever they hold. */
export const environmentSegment = (environmentId: string): string => `env=${encodeURIComponent(environmentId)}`;

export function intakeMinutePrefix(kind: IntakeKind, environmentId: string, minuteMs: number): string {
  return `${IMPRESSIONS_ROOT}/${kind}/${environmentSegment(environmentId)}/minute=${minuteLabel(minuteMs)}/`;
}

/** One stored batch; `name` makes it unique (and a re-stored identical batch overwrite itself). */
export function intakeObjectKey(kind: IntakeKind, environmentId: string, receptionMs: number, name: string): string {
  return `${intakeMinutePrefix(kind, environmentId, receptionMs)}${receptionMs}-${name}.parquet`;
}

export const sdkKeyRecordKey = (sha256: string): string => `${SDK_KEYS_PREFIX}${sha256}.json`;
