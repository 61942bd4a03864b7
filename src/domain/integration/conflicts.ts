import { describeFilter, filtersOverlap, isUnderFolder, keyMatchesFilter, statusWritesMatchedBy } from './filters';
import type { InboundConfig } from './inboundConfig';

/**
 * Integrations on one bucket are kept apart so that a key names at most one live integration
 * (file identities carry no integration id) and no integration reads another's reports.
 */

export interface IntegrationCandidate {
  id: string;
  config: InboundConfig;
}

/** A tombstone keeps its last configuration: its status folder still receives reports. */
export interface KnownIntegration extends IntegrationCandidate {
  deleted: boolean;
  /** Epoch milliseconds; only orders tombstones that match the same key. */
  deletedAt?: number;
}

const q = (s: string) => JSON.stringify(s);

/**
 * One sentence per problem, empty when the candidate may be saved. `others` may hold the
 * candidate's own id (its current version during an update): that entry is skipped, since the
 * candidate replaces it.
 */
export function conflictsOf(candidate: IntegrationCandidate, others: readonly KnownIntegration[]): string[] {
  const { bucket, statusPrefix } = candidate.config;
  const mine = candidate.config;
  const problems: string[] = [];

  if (statusWritesMatchedBy(mine, statusPrefix)) {
    problems.push(`status folder ${q(statusPrefix)} on bucket ${bucket} would be matched by this integration's own file filters (${describeFilter(mine)})`);
  }

  for (const other of others) {
    if (other.id === candidate.id || other.config.bucket !== bucket) continue;
    const theirs = other.config;
    const label = `integration ${q(other.id)}${other.deleted ? ' (deleted)' : ''}`;

    // A tombstone no longer takes files, so only live filters can pick up our reports.
    if (!other.deleted && statusWritesMatchedBy(theirs, statusPrefix)) {
      problems.push(`status folder ${q(statusPrefix)} on bucket ${bucket} would be matched by ${label}'s file filters (${describeFilter(theirs)})`);
    }
    // A tombstone still writes INTEGRATION_CONFIG_NOT_FOUND reports. A shared status folder was
    // already reported above as our own.
    if (theirs.statusPrefix !== statusPrefix && statusWritesMatchedBy(mine, theirs.statusPrefix)) {
      problems.push(
        `file filters (${describeFilter(mine)}) would match the status folder ${q(theirs.statusPrefix)} of ${label} on bucket ${bucket}`,
      );
    }
    // A live integration may take over a tombstone's keys: the live one wins in integrationForKey.
    if (!other.deleted && filtersOverlap(mine, theirs)) {
      problems.push(`file filters (${describeFilter(mine)}) overlap ${label}'s file filters (${describeFilter(theirs)}) on bucket ${bucket}`);
    }
  }
  return problems;
}

/**
 * The integration a key belongs to. The live one is unique by the rules above; a tombstone is
 * answered only when no live integration took its keys over, so that the file gets its
 * INTEGRATION_CONFIG_NOT_FOUND report. Among tombstones, the most recent deletion wins, since
 * its configuration is the one the customer last set up for these keys.
 */
export function integrationForKey<T extends KnownIntegration>(bucket: string, key: string, integrations: readonly T[]): T | undefined {
  const matching = integrations.filter((i) => i.config.bucket === bucket && keyMatchesFilter(i.config, key));
  const live = matching.find((i) => !i.deleted);
  if (live) return live;
  const tombstones = matching.filter((i) => i.deleted);
  tombstones.sort((a, b) => (b.deletedAt ?? -Infinity) - (a.deletedAt ?? -Infinity));
  return tombstones[0];
}

/** Reports of any integration, tombstones included, are never input: this stops feedback loops. */
export function isUnderStatusPrefixOf(bucket: string, key: string, integrations: readonly KnownIntegration[]): boolean {
  return integrations.some((i) => i.config.bucket === bucket && isUnderFolder(key, i.config.statusPrefix));
}
