import { MAX_CHUNKS } from './entryId';

/** A contiguous range of rows of a file, validated and stored as one unit. */
export interface Chunk {
  index: number;
  firstRow: number;
  rowCount: number;
}

/**
 * Plans chunks along row-group boundaries: consecutive row groups are merged until a
 * chunk holds at least `targetRows`, and a row group bigger than twice the target is
 * split into row ranges. The plan depends only on the footer, so every worker and
 * every retry plans the same chunks. Never more than MAX_CHUNKS chunks.
 */
export function planChunks(rowGroupRows: readonly number[], targetRows: number): Chunk[] {
  if (!(targetRows > 0)) throw new RangeError(`targetRows must be positive, got ${targetRows}`);
  const total = rowGroupRows.reduce((a, b) => a + b, 0);
  let target = Math.max(targetRows, Math.ceil(total / MAX_CHUNKS));
  // Split pieces and the merge flushed before a big row group can be smaller than the target,
  // so the raised target alone does not bound the count: raise it further until it does
  // (at target >= total every row group merges into one chunk, so this ends).
  for (;;) {
    const chunks = planWithTarget(rowGroupRows, target);
    if (chunks.length <= MAX_CHUNKS) return chunks;
    target *= 2;
  }
}

function planWithTarget(rowGroupRows: readonly number[], target: number): Chunk[] {
  const chunks: Chunk[] = [];
  let start = 0;
  let size = 0;
  const flush = () => {
    if (size > 0) chunks.push({ index: chunks.length, firstRow: start, rowCount: size });
    start += size;
    size = 0;
  };
  for (const rows of rowGroupRows) {
    if (rows > 2 * target) {
      flush();
      const pieces = Math.ceil(rows / target);
      const base = Math.floor(rows / pieces);
      for (let p = 0; p < pieces; p++) {
        size = p < rows % pieces ? base + 1 : base;
        flush();
      }
      continue;
    }
    size += rows;
    if (size >= target) flush();
  }
  flush();
  if (chunks.length === 0) chunks.push({ index: 0, firstRow: 0, rowCount: 0 });
  return chunks;
}
