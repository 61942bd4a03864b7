import { ErrorCode, maskOfCodes, WarningCode } from '../codes';
import { entryIdOf } from '../entryId';
import { passWarnings, type EntryContext } from '../entries';
import type { ObjectVersion } from '../keys';
import type { StatusEntry } from '../statusEntry';

/**
 * The single entry of a file that arrived for a deleted integration. Its id is fixed: 2^31 - 1
 * decodes to mask 15 (every row code and INVALID_SCHEMA at once), which no other entry carries,
 * so it never collides with an id of an earlier generation of the same file.
 */
export const INTEGRATION_NOT_FOUND_ENTRY_ID = 2 ** 31 - 1;

export function integrationNotFoundEntry(originalCreationTime: number, integrationId: string, footerRows: number | null): StatusEntry {
  const rows = footerRows === null ? 'the row count could not be read' : `${footerRows} rows in the footer`;
  return {
    originalCreationTime,
    entryId: INTEGRATION_NOT_FOUND_ENTRY_ID,
    valid: false,
    numberOfRows: footerRows ?? 0,
    errors: [ErrorCode.INTEGRATION_CONFIG_NOT_FOUND],
    errorsDetails: [`INTEGRATION_CONFIG_NOT_FOUND: integration "${integrationId}" was deleted; the file was not read (${rows})`],
    warnings: [],
  };
}

/** What the content ledger keeps of a pass: its entries' outcomes without ids or details. */
export interface ContentGroup {
  valid: boolean;
  errors: string[];
  warnings: string[];
  numberOfRows: number;
}

/** The pass's entries summed by (valid, errors, warnings); REPROCESSED belongs to the pass, not the content. */
export function contentGroupsOf(entries: readonly StatusEntry[]): ContentGroup[] {
  const groups = new Map<string, ContentGroup>();
  for (const e of entries) {
    const warnings = e.warnings.filter((w) => w !== WarningCode.REPROCESSED && w !== WarningCode.DUPLICATE_CONTENT);
    const id = JSON.stringify([e.valid, e.errors, warnings]);
    const group = groups.get(id);
    if (group) group.numberOfRows += e.numberOfRows;
    else groups.set(id, { valid: e.valid, errors: [...e.errors], warnings, numberOfRows: e.numberOfRows });
  }
  return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => g);
}

const describe = (o: ObjectVersion) => `s3://${o.bucket}/${o.key} (${o.versioned ? 'version' : 'ETag'} ${o.version})`;

/**
 * The entries of a file whose content was already ingested: the first ingestion's groups, each
 * with DUPLICATE_CONTENT, and ids from the group's position and codes (unique within the pass).
 */
export function duplicateContentEntries(ctx: EntryContext, groups: readonly ContentGroup[], first: ObjectVersion): StatusEntry[] {
  return groups.map((g, index) => ({
    originalCreationTime: ctx.originalCreationTime,
    entryId: entryIdOf(ctx.generation, index, maskOfCodes(g.errors)),
    valid: g.valid,
    numberOfRows: g.numberOfRows,
    errors: [...g.errors],
    errorsDetails: g.errors.map((code) => `${code}: same content as ${describe(first)}, already reported; nothing stored again`),
    warnings: passWarnings([...g.warnings, WarningCode.DUPLICATE_CONTENT], ctx.generation),
  }));
}
