/**
 * A Parquet file's row count from its footer alone, so a file in S3 can be counted with two
 * ranged GETs instead of a download.
 */
import { PARQUET_MAGIC } from './lzo/parquetFormat';
import { decodeThriftStruct } from './lzo/thriftCompact';
import { optionalI64 } from './lzo/thriftValues';

/** Reads bytes start..endInclusive, like an HTTP Range header. */
export type ReadRange = (start: number, endInclusive: number) => Promise<Buffer>;

const TRAILER_LENGTH = 8; // u32 LE footer length + magic
// Leading magic + trailer: the smallest file that can hold a footer at all.
const MIN_FILE_LENGTH = PARQUET_MAGIC.length + TRAILER_LENGTH;
/** Real footers are KiB to a few MiB; a larger claim is garbage and not worth fetching. */
export const MAX_FOOTER_LENGTH = 64 * 1024 * 1024;
const FILE_META_DATA_NUM_ROWS = 3;

/**
 * The footer's num_rows, or null when the bytes are not a readable plain Parquet file (whole-file
 * compression, encrypted footer, truncation, garbage). Errors from readRange propagate: a network
 * fault is not evidence about the file.
 */
export async function footerRowCount(readRange: ReadRange, size: number): Promise<number | null> {
  if (!Number.isSafeInteger(size) || size < MIN_FILE_LENGTH) {
    return null;
  }
  const trailer = await readRange(size - TRAILER_LENGTH, size - 1);
  if (trailer.length !== TRAILER_LENGTH || !trailer.subarray(4).equals(PARQUET_MAGIC)) {
    return null;
  }
  const footerLength = trailer.readUInt32LE(0);
  if (footerLength === 0 || footerLength > size - MIN_FILE_LENGTH || footerLength > MAX_FOOTER_LENGTH) {
    return null;
  }
  const footerStart = size - TRAILER_LENGTH - footerLength;
  const footer = await readRange(footerStart, footerStart + footerLength - 1);
  if (footer.length !== footerLength) {
    return null;
  }
  return numRows(footer);
}

function numRows(footer: Buffer): number | null {
  let rows: number | undefined;
  try {
    rows = optionalI64(decodeThriftStruct(footer, 0).struct, FILE_META_DATA_NUM_ROWS);
  } catch {
    // Decoder and field errors both mean "not a FileMetaData we can trust".
    return null;
  }
  return rows === undefined || rows < 0 ? null : rows;
}
