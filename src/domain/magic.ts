/** Whole-file compression, recognised by magic bytes rather than by the key's suffix. */
export type OuterCompression = 'gzip' | 'bzip2' | 'none';

export const MAGIC_BYTES_NEEDED = 4;

export function sniffOuterCompression(head: Uint8Array): OuterCompression {
  if (head.length >= 2 && head[0] === 0x1f && head[1] === 0x8b) return 'gzip';
  // "BZh" then the block size digit '1'..'9'
  if (head.length >= 4 && head[0] === 0x42 && head[1] === 0x5a && head[2] === 0x68 && head[3]! >= 0x31 && head[3]! <= 0x39) {
    return 'bzip2';
  }
  return 'none';
}
