import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { DuckDBInstance, withConnection } from './duckdb';
import { analyzeFile } from './analyzeFile';
import { decompressFile, DecompressionError, DecompressionLimits, sniffFile } from './unwrap';
import { validateChunk } from './validateChunk';
import { EntryContext, unreadableFileEntry } from '../domain/entries';
import { StatusDocument, StatusEntry, toStatusDocument } from '../domain/statusEntry';

export interface LocalValidationOptions {
  fileName: string;
  originalCreationTime: number;
  environments: string[];
  targetChunkRows: number;
  /** Scratch space for a decompressed or transcoded copy; the input file is never modified. */
  workDir: string;
  /** The worker's limits on whole-file gzip/bzip2 output (DECOMPRESSED_MAX_BYTES, DECOMPRESSION_MAX_RATIO). */
  decompressionLimits: DecompressionLimits;
  generation?: number;
}

/**
 * Validates a local file exactly as the file workflow does (same analysis, same chunk plan,
 * same SQL, same limits), and returns the status document it would produce. Faults of this
 * machine (out of memory, disk or file handles) are thrown, as the activities throw them.
 */
export async function validateLocalFile(db: DuckDBInstance, path: string, opts: LocalValidationOptions): Promise<StatusDocument> {
  const ctx: EntryContext = {
    fileName: opts.fileName,
    originalCreationTime: opts.originalCreationTime,
    generation: opts.generation ?? 0,
    environments: opts.environments,
    warnings: [],
  };
  const scratch = await mkdtemp(join(opts.workDir, 'validate-'));
  try {
    const entries = await withConnection(db, async (conn) => {
      let readable = path;
      const compression = await sniffFile(path);
      if (compression !== 'none') {
        readable = join(scratch, 'unwrapped.parquet');
        try {
          await decompressFile(path, readable, compression, { limits: opts.decompressionLimits });
        } catch (err) {
          if (err instanceof DecompressionError) {
            return [unreadableFileEntry(ctx, err.message)];
          }
          throw err;
        }
      }
      const analysis = await analyzeFile(conn, readable, ctx, opts.targetChunkRows, scratch);
      if (analysis.kind === 'rejected') return analysis.entries;
      const all: StatusEntry[] = [];
      const chunkCtx = { ...ctx, warnings: analysis.verdict.warnings };
      for (const chunk of analysis.chunks) {
        all.push(...(await validateChunk(conn, analysis.readPath, analysis.verdict, chunk, chunkCtx)).entries);
      }
      return all;
    });
    return toStatusDocument(entries.map((entry) => ({ fileName: opts.fileName, entry })));
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}
