/**
 * entryId = generation * 2^20 + chunkIndex * 2^4 + mask  (always < 2^31)
 *
 * - generation: 0 for the first pass of a file version, +1 per reprocess (11 bits: 0..2047)
 * - chunkIndex: the chunk's position in the file's chunk plan (16 bits: 0..65535; the
 *   planner never makes more chunks than that)
 * - mask: the group's codes, bit 1 REQUIRED_FIELDS_NULL, 2 INVALID_ENVIRONMENT_ID,
 *   4 INVALID_TIMESTAMP, 8 INVALID_SCHEMA (unreadable file or chunk); 0 is the valid group.
 *
 * Warnings are the same for every row of a pass, so they need no bits of their own.
 * Deterministic, so a retry or a restarted file workflow reproduces the same ids and
 * the (fileName, originalCreationTime, entryId) triplet stays unique and stable.
 */
export const MAX_GENERATION = 2 ** 11 - 1;
export const MAX_CHUNKS = 2 ** 16;
export const MAX_MASK = 2 ** 4 - 1;

export function entryIdOf(generation: number, chunkIndex: number, mask: number): number {
  if (!Number.isInteger(generation) || generation < 0 || generation > MAX_GENERATION) {
    throw new RangeError(`generation ${generation} outside 0..${MAX_GENERATION}`);
  }
  if (!Number.isInteger(chunkIndex) || chunkIndex < 0 || chunkIndex >= MAX_CHUNKS) {
    throw new RangeError(`chunk index ${chunkIndex} outside 0..${MAX_CHUNKS - 1}`);
  }
  if (!Number.isInteger(mask) || mask < 0 || mask > MAX_MASK) {
    throw new RangeError(`mask ${mask} outside 0..${MAX_MASK}`);
  }
  return generation * 2 ** 20 + chunkIndex * 2 ** 4 + mask;
}

export function decodeEntryId(entryId: number): { generation: number; chunkIndex: number; mask: number } {
  return {
    generation: Math.floor(entryId / 2 ** 20),
    chunkIndex: Math.floor(entryId / 2 ** 4) % MAX_CHUNKS,
    mask: entryId % 16,
  };
}
