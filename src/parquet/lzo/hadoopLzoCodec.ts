/**
 * LZO1X for Parquet page payloads in the framing Hadoop/Spark parquet-mr use
 * (com.hadoop.compression.lzo.LzoCodec: Hadoop BlockCompressorStream framing around LZO1X):
 * decompression (with raw LZO1X as a fallback) for files customers send, compression for the
 * LZO exports we write.
 */
import { createRequire } from 'node:module';
import { describeError } from './errors';

interface LzoModule {
  /** LZO1X decompression (lzo1x_decompress_safe) into a buffer of at most maxLength bytes. */
  decompress(input: Buffer, maxLength: number): Buffer;
  /** LZO1X-1 compression of the whole input. */
  compress(input: Buffer): Buffer;
}

// The lzo package ships no type declarations; this is its typed surface as used here.
const lzo = createRequire(__filename)('lzo') as LzoModule;

type Decoded = { ok: true; data: Buffer } | { ok: false; reason: string };

/**
 * LZO1X cannot expand much more than 255:1 (a long match costs one byte per 255 bytes of
 * output); a larger claimed size means a corrupted header, and must not drive an allocation.
 */
const MAX_LZO1X_EXPANSION = 256;
const LZO1X_EXPANSION_SLACK = 4096;

/**
 * Decompresses one page's LZO bytes (Hadoop block framing, else raw LZO1X) to exactly expectedSize
 * bytes; on failure, the reason says why neither worked.
 */
export function decompressLzo(payload: Buffer, expectedSize: number): Decoded {
  if (expectedSize > payload.length * MAX_LZO1X_EXPANSION + LZO1X_EXPANSION_SLACK) {
    return { ok: false, reason: `implausible uncompressed size ${expectedSize} for ${payload.length} LZO bytes` };
  }
  const framed = decodeHadoopLzoBlocks(payload, expectedSize);
  if (framed.ok) {
    return framed;
  }
  const raw = decodeRawLzo1x(payload, expectedSize);
  if (raw.ok) {
    return raw;
  }
  return {
    ok: false,
    reason: `cannot decompress LZO page to ${expectedSize} bytes: not Hadoop-framed LZO (${framed.reason}) nor raw LZO1X (${raw.reason})`,
  };
}

/**
 * Hadoop BlockCompressorStream framing: repeated blocks of
 * [u32 BE uncompressed block length] then [u32 BE compressed length + LZO1X bytes]... until the
 * block's uncompressed length is produced, until the page's uncompressed size is produced.
 * BlockCompressorStream.finish() writes an empty block (length 0, no chunks) when it has no
 * pending input, so such blocks are skipped, including after the last data block.
 */
function decodeHadoopLzoBlocks(payload: Buffer, expectedSize: number): Decoded {
  const pieces: Buffer[] = [];
  let position = 0;
  let produced = 0;
  while (produced < expectedSize) {
    if (position + 4 > payload.length) {
      return { ok: false, reason: `truncated block header at byte ${position}` };
    }
    const blockSize = payload.readUInt32BE(position);
    position += 4;
    if (produced + blockSize > expectedSize) {
      return { ok: false, reason: `block length ${blockSize} does not fit the page size` };
    }
    const block = decodeHadoopLzoBlock(payload, position, blockSize);
    if (!block.ok) {
      return block;
    }
    pieces.push(...block.pieces);
    position = block.end;
    produced += blockSize;
  }
  position = skipEmptyHadoopBlocks(payload, position);
  if (position !== payload.length) {
    return { ok: false, reason: `${payload.length - position} trailing bytes after the last block` };
  }
  return { ok: true, data: Buffer.concat(pieces, expectedSize) };
}

function skipEmptyHadoopBlocks(payload: Buffer, start: number): number {
  let position = start;
  while (position + 4 <= payload.length && payload.readUInt32BE(position) === 0) {
    position += 4;
  }
  return position;
}

type DecodedBlock = { ok: true; pieces: Buffer[]; end: number } | { ok: false; reason: string };

function decodeHadoopLzoBlock(payload: Buffer, start: number, blockSize: number): DecodedBlock {
  const pieces: Buffer[] = [];
  let position = start;
  let produced = 0;
  while (produced < blockSize) {
    if (position + 4 > payload.length) {
      return { ok: false, reason: `truncated chunk header at byte ${position}` };
    }
    const compressedLength = payload.readUInt32BE(position);
    position += 4;
    if (compressedLength === 0 || position + compressedLength > payload.length) {
      return { ok: false, reason: `chunk length ${compressedLength} at byte ${position - 4} runs past the page` };
    }
    const piece = lzo1xDecompress(payload.subarray(position, position + compressedLength), blockSize - produced);
    if (!piece.ok) {
      return piece;
    }
    pieces.push(piece.data);
    produced += piece.data.length;
    position += compressedLength;
  }
  return { ok: true, pieces, end: position };
}

function decodeRawLzo1x(payload: Buffer, expectedSize: number): Decoded {
  const decoded = lzo1xDecompress(payload, expectedSize);
  if (decoded.ok && decoded.data.length !== expectedSize) {
    return { ok: false, reason: `decompressed to ${decoded.data.length} bytes` };
  }
  return decoded;
}

function lzo1xDecompress(input: Buffer, maxLength: number): Decoded {
  if (maxLength === 0) {
    // lzo.decompress treats a 0 length as "guess"; an empty result is the only valid one here.
    return input.length === 0 ? { ok: true, data: Buffer.alloc(0) } : { ok: false, reason: 'data for an empty page' };
  }
  try {
    const data = lzo.decompress(input, maxLength);
    return data.length > 0 ? { ok: true, data } : { ok: false, reason: 'no output' };
  } catch (error) {
    return { ok: false, reason: describeError(error) };
  }
}

/**
 * The largest block of page bytes compressed as one Hadoop block. Hadoop's LzoCodec writes blocks
 * of at most its buffer (io.compression.codec.lzo.buffersize, 256 KiB by default) less LZO1X's
 * worst-case expansion (buffer/16 + 67), and its decompressor sizes its buffers from the same
 * setting; 128 KiB, whose worst case is 136 KiB, stays inside the default with room to spare and
 * costs nothing in ratio (LZO1X looks back at most 48 KiB).
 */
export const HADOOP_LZO_BLOCK_BYTES = 128 * 1024;

/**
 * Compresses one page's bytes in Hadoop's block framing, as `com.hadoop.compression.lzo.LzoCodec`
 * writes them: per block, a u32 BE of its uncompressed length, then one chunk (u32 BE compressed
 * length + LZO1X). An empty page is one empty block, which is what BlockCompressorStream.finish()
 * writes for no input.
 */
export function compressHadoopLzo(data: Buffer, blockBytes = HADOOP_LZO_BLOCK_BYTES): Buffer {
  if (data.length === 0) return Buffer.alloc(4);
  const pieces: Buffer[] = [];
  for (let start = 0; start < data.length; start += blockBytes) {
    const block = data.subarray(start, Math.min(start + blockBytes, data.length));
    const compressed = lzo.compress(block);
    const header = Buffer.alloc(8);
    header.writeUInt32BE(block.length, 0);
    header.writeUInt32BE(compressed.length, 4);
    pieces.push(header, compressed);
  }
  return Buffer.concat(pieces);
}
