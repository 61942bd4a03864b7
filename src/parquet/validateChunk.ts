import { DuckDBConnection, queryObjects } from './duckdb';
import { flaggedRowsSql, groupAggregatesSql } from './rowRulesSql';
import { isResourceFault } from './resourceFault';
import { GroupAggregate, EntryContext, chunkEntries, unreadableEntry } from '../domain/entries';
import { REQUIRED_COLUMNS } from '../domain/eventSchema';
import { SchemaVerdict } from '../domain/schemaCheck';
import { Chunk } from '../domain/chunkPlan';
import { StatusEntry, rowsIn } from '../domain/statusEntry';

export interface ChunkValidation {
  entries: StatusEntry[];
  validRows: number;
  invalidRows: number;
  /** False when the chunk's pages could not be decoded; its rows are then all invalid. */
  decoded: boolean;
}

function toGroup(r: Record<string, unknown>): GroupAggregate {
  const nullCounts: Record<string, number> = {};
  for (const c of REQUIRED_COLUMNS) nullCounts[c] = Number(r['null_' + c] ?? 0);
  return {
    mask: Number(r.mask),
    rows: Number(r.rows),
    firstRow: Number(r.first_row),
    lastRow: Number(r.last_row),
    nullCounts,
    environmentSamples: ((r.env_samples as unknown[] | null) ?? []).map(String),
    timestampSamples: ((r.ts_samples as unknown[] | null) ?? []).map(String),
  };
}

/** Validates one chunk of a schema-valid local Parquet file, in one set-based DuckDB query. */
export async function validateChunk(
  conn: DuckDBConnection,
  path: string,
  verdict: SchemaVerdict,
  chunk: Chunk,
  ctx: EntryContext,
): Promise<ChunkValidation> {
  let groups: GroupAggregate[];
  try {
    const rows = await queryObjects(conn, groupAggregatesSql(flaggedRowsSql(path, verdict, chunk, ctx.environments)));
    groups = rows.map(toGroup);
  } catch (err) {
    if (isResourceFault(err)) throw err;
    const entry = unreadableEntry(ctx, chunk, `could not be decoded (chunk ${chunk.index}): ${firstLine(err, path, ctx.fileName)}`);
    return { entries: [entry], validRows: 0, invalidRows: chunk.rowCount, decoded: false };
  }
  const counted = groups.reduce((n, g) => n + g.rows, 0);
  if (counted !== chunk.rowCount) {
    const entry = unreadableEntry(ctx, chunk, `chunk ${chunk.index} yielded ${counted} rows where the footer promises ${chunk.rowCount}`);
    return { entries: [entry], validRows: 0, invalidRows: chunk.rowCount, decoded: false };
  }
  const entries = chunkEntries(chunk, groups, ctx);
  return { entries, validRows: rowsIn(entries, true), invalidRows: rowsIn(entries, false), decoded: true };
}

/**
 * The first line of an error message for a status detail. DuckDB names the file it read; that
 * local path is replaced by the file's name, so details do not reveal or depend on where this
 * machine keeps its copy (a retry elsewhere must reproduce the same entry).
 */
export function firstLine(err: unknown, localPath?: string, fileName?: string): string {
  let msg = err instanceof Error ? err.message : String(err);
  if (localPath && fileName !== undefined) msg = msg.split(localPath).join(fileName);
  return msg.split('\n')[0]!.slice(0, 500);
}
