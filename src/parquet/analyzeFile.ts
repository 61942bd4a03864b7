import { stat } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import { DuckDBConnection } from './duckdb';
import { ParquetFooter, readFooter } from './inspect';
import { transcodeLzoToUncompressed } from './lzo/transcode';
import { firstLine } from './validateChunk';
import { isResourceFault } from './resourceFault';
import { checkEventSchema } from '../domain/schemaCheck';
import { planChunks } from '../domain/chunkPlan';
import { EntryContext, schemaInvalidEntry, unreadableFileEntry } from '../domain/entries';
import type { FileAnalysis } from '../domain/fileAnalysis';

export type { FileAnalysis };

function unreadableFile(ctx: EntryContext, what: string, footerRows = 0): FileAnalysis {
  return { kind: 'rejected', footerRows, entries: [unreadableFileEntry(ctx, what, footerRows)] };
}

/**
 * Reads a local, already unwrapped file's footer, checks its schema and plans its chunks.
 * Bad data never throws: it becomes a rejected analysis with one INVALID_SCHEMA entry. A fault of
 * this machine (out of memory, disk or file handles; see isResourceFault) is thrown instead, so
 * the activity is retried: it says nothing about the file.
 * LZO column chunks, which DuckDB cannot decode, are first transcoded to an uncompressed copy
 * in `scratchDir` (the input file is never written to or beside, unless that is the scratch dir);
 * `signal` stops the transcoding between column chunks.
 */
export async function analyzeFile(
  conn: DuckDBConnection,
  path: string,
  ctx: EntryContext,
  targetChunkRows: number,
  scratchDir: string = dirname(path),
  signal?: AbortSignal,
): Promise<FileAnalysis> {
  const size = (await stat(path)).size;
  if (size === 0) return unreadableFile(ctx, 'not a Parquet file: the file is empty');
  let footer: ParquetFooter;
  try {
    footer = await readFooter(conn, path);
  } catch (err) {
    if (isResourceFault(err)) throw err;
    return unreadableFile(ctx, `not a readable Parquet file: ${firstLine(err, path, ctx.fileName)}`);
  }
  const verdict = checkEventSchema(footer.schema);
  if (!verdict.valid) {
    return { kind: 'rejected', footerRows: footer.numRows, entries: [schemaInvalidEntry({ ...ctx, warnings: verdict.warnings }, footer.numRows, verdict.problems)] };
  }
  let readPath = path;
  if (footer.codecs.includes('LZO')) {
    readPath = join(scratchDir, `${basename(path)}.nolzo.parquet`);
    try {
      await transcodeLzoToUncompressed(path, readPath, signal);
    } catch (err) {
      if (isResourceFault(err) || signal?.aborted) throw err;
      return unreadableFile({ ...ctx, warnings: verdict.warnings }, `LZO pages could not be decompressed: ${firstLine(err, path, ctx.fileName)}`, footer.numRows);
    }
  }
  return {
    kind: 'ok',
    footerRows: footer.numRows,
    verdict,
    chunks: planChunks(footer.rowGroupRows, targetChunkRows),
    readPath,
  };
}
