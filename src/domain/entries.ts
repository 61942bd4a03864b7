import { ErrorCode, UNREADABLE_BIT, WarningCode, codesOfMask } from './codes';
import { TIMESTAMP_MAX_MS, TIMESTAMP_MIN_MS } from './eventSchema';
import { entryIdOf } from './entryId';
import { StatusEntry } from './statusEntry';
import { Chunk } from './chunkPlan';

/** What one file pass knows about the file while it builds entries. */
export interface EntryContext {
  fileName: string;
  originalCreationTime: number;
  generation: number;
  environments: readonly string[];
  /** Warnings that hold for every row of this pass (schema warnings). */
  warnings: readonly string[];
}

/** The aggregate of one group of rows (one mask) within one chunk, as the SQL returns it. */
export interface GroupAggregate {
  mask: number;
  rows: number;
  firstRow: number;
  lastRow: number;
  /** Required column → rows of this group where it is null (only for groups with REQUIRED_FIELDS_NULL). */
  nullCounts: Record<string, number>;
  environmentSamples: string[];
  timestampSamples: string[];
}

export const SAMPLE_COUNT = 3;

export function passWarnings(schemaWarnings: readonly string[], generation: number): string[] {
  const w = new Set(schemaWarnings);
  if (generation > 0) w.add(WarningCode.REPROCESSED);
  return [...w].sort();
}

export const SAMPLE_MAX_CHARS = 64;
/** A sample value as it appears in a detail: quoted, and cut so one odd value cannot bloat a report. */
const quote = (s: string) => JSON.stringify(s.length > SAMPLE_MAX_CHARS ? s.slice(0, SAMPLE_MAX_CHARS) + '…' : s);
const rowsPhrase = (ctx: EntryContext, g: GroupAggregate) =>
  `${g.rows} row${g.rows === 1 ? '' : 's'} (rows ${g.firstRow}-${g.lastRow} of ${ctx.fileName})`;

function detailFor(code: ErrorCode, g: GroupAggregate, ctx: EntryContext): string {
  switch (code) {
    case ErrorCode.REQUIRED_FIELDS_NULL: {
      const cols = Object.entries(g.nullCounts)
        .filter(([, n]) => n > 0)
        .map(([c, n]) => `${c} (${n} row${n === 1 ? '' : 's'})`)
        .join(', ');
      return `REQUIRED_FIELDS_NULL: ${rowsPhrase(ctx, g)} have null in required columns: ${cols}`;
    }
    case ErrorCode.INVALID_ENVIRONMENT_ID:
      return (
        `INVALID_ENVIRONMENT_ID: column environmentId, ${rowsPhrase(ctx, g)}: not among the integration's environments ` +
        `[${ctx.environments.join(', ')}]; samples: ${g.environmentSamples.slice(0, SAMPLE_COUNT).map(quote).join(', ')}`
      );
    case ErrorCode.INVALID_TIMESTAMP:
      return (
        `INVALID_TIMESTAMP: column timestamp, ${rowsPhrase(ctx, g)}: not epoch milliseconds in ` +
        `[${TIMESTAMP_MIN_MS}, ${TIMESTAMP_MAX_MS}) (2000-01-01 to 2100-01-01 UTC); samples: ${g.timestampSamples.slice(0, SAMPLE_COUNT).join(', ')}`
      );
    default:
      throw new Error(`no row-level detail for ${code}`);
  }
}

/** One StatusEntry per group of a chunk: the unique (valid, errors, errorsDetails, warnings) combinations. */
export function chunkEntries(chunk: Chunk, groups: readonly GroupAggregate[], ctx: EntryContext): StatusEntry[] {
  const warnings = passWarnings(ctx.warnings, ctx.generation);
  if (groups.length === 0) {
    return [
      {
        originalCreationTime: ctx.originalCreationTime,
        entryId: entryIdOf(ctx.generation, chunk.index, 0),
        valid: true,
        numberOfRows: 0,
        errors: [],
        errorsDetails: [],
        warnings,
      },
    ];
  }
  return [...groups]
    .sort((a, b) => a.mask - b.mask)
    .map((g) => {
      const errors = codesOfMask(g.mask);
      return {
        originalCreationTime: ctx.originalCreationTime,
        entryId: entryIdOf(ctx.generation, chunk.index, g.mask),
        valid: errors.length === 0,
        numberOfRows: g.rows,
        errors,
        errorsDetails: errors.map((code) => detailFor(code, g, ctx)),
        warnings,
      };
    });
}

/** The entry for rows that could not be decoded: a whole unreadable file, or one chunk of a readable one. */
export function unreadableEntry(ctx: EntryContext, chunk: Chunk, what: string): StatusEntry {
  const range = chunk.rowCount > 0 ? ` rows ${chunk.firstRow}-${chunk.firstRow + chunk.rowCount - 1}` : '';
  return {
    originalCreationTime: ctx.originalCreationTime,
    entryId: entryIdOf(ctx.generation, chunk.index, UNREADABLE_BIT),
    valid: false,
    numberOfRows: chunk.rowCount,
    errors: [ErrorCode.INVALID_SCHEMA],
    errorsDetails: [`INVALID_SCHEMA: ${ctx.fileName}${range}: ${what}`],
    warnings: passWarnings(ctx.warnings, ctx.generation),
  };
}

/** The single entry of a file that cannot be read at all; numberOfRows is the footer's count where it could be read. */
export function unreadableFileEntry(ctx: EntryContext, what: string, footerRows = 0): StatusEntry {
  return unreadableEntry(ctx, { index: 0, firstRow: 0, rowCount: footerRows }, what);
}

/** The single entry of a file whose schema breaks the contract; numberOfRows is the footer's count. */
export function schemaInvalidEntry(ctx: EntryContext, footerRows: number, problems: readonly string[]): StatusEntry {
  return {
    originalCreationTime: ctx.originalCreationTime,
    entryId: entryIdOf(ctx.generation, 0, UNREADABLE_BIT),
    valid: false,
    numberOfRows: footerRows,
    errors: [ErrorCode.INVALID_SCHEMA],
    errorsDetails: [`INVALID_SCHEMA: ${ctx.fileName}: ${problems.join('; ')}`],
    warnings: passWarnings(ctx.warnings, ctx.generation),
  };
}

