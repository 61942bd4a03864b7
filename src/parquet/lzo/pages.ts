/**
 * Pages of an LZO column chunk: reads each page, checks its CRC, decompresses it and gives it a
 * header that describes it as UNCOMPRESSED.
 */
import { crc32 } from './crc32';
import { describeError } from './errors';
import type { AppendOnlyFile } from './fileIo';
import { decompressLzo } from './hadoopLzoCodec';
import {
  DataPageHeaderV2Field,
  PAGE_TYPE_DATA,
  PAGE_TYPE_DATA_V2,
  PAGE_TYPE_DICTIONARY,
  PAGE_TYPE_INDEX,
  PageHeaderField,
} from './parquetFormat';
import { decodeThriftStruct, encodeThriftStruct } from './thriftCompact';
import { requiredI32, ThriftStruct } from './thriftValues';

interface PageContext {
  column: string;
  pageOffset: number;
}

interface RawPage {
  header: ThriftStruct;
  type: number;
  uncompressedSize: number;
  payload: Buffer;
  /** Offset just past the page, relative to the chunk. */
  end: number;
}

/**
 * Decompresses each page of an LZO column chunk and appends it UNCOMPRESSED with a re-encoded
 * header. Returns old page offset → new page offset.
 */
export async function appendUncompressedPages(
  chunkBytes: Buffer,
  chunkStart: number,
  column: string,
  output: AppendOnlyFile,
): Promise<Map<number, number>> {
  const pageOffsets = new Map<number, number>();
  let position = 0;
  while (position < chunkBytes.length) {
    const context = { column, pageOffset: chunkStart + position };
    const page = readPage(chunkBytes, position, context);
    verifyPageCrc(page, context);
    const uncompressed = uncompressPagePayload(page, context);
    pageOffsets.set(context.pageOffset, output.position);
    await output.append(encodeThriftStruct(uncompressedPageHeader(page.header, uncompressed)));
    await output.append(uncompressed);
    position = page.end;
  }
  return pageOffsets;
}

function readPage(chunkBytes: Buffer, position: number, context: PageContext): RawPage {
  let header: ThriftStruct;
  let payloadStart: number;
  let type: number;
  let uncompressedSize: number;
  let compressedSize: number;
  try {
    ({ struct: header, end: payloadStart } = decodeThriftStruct(chunkBytes, position));
    type = requiredI32(header, PageHeaderField.type);
    uncompressedSize = requiredI32(header, PageHeaderField.uncompressedPageSize);
    compressedSize = requiredI32(header, PageHeaderField.compressedPageSize);
  } catch (error) {
    throw pageError(context, `page header cannot be decoded (${describeError(error)})`);
  }
  const end = payloadStart + compressedSize;
  if (compressedSize < 0 || uncompressedSize < 0 || end > chunkBytes.length) {
    throw pageError(context, `page of ${compressedSize} bytes does not fit in the column chunk`);
  }
  return { header, type, uncompressedSize, payload: chunkBytes.subarray(payloadStart, end), end };
}

/**
 * The rewritten page gets a fresh CRC, so check the stored one first: otherwise a corrupted
 * page would come out looking intact.
 */
function verifyPageCrc(page: RawPage, context: PageContext): void {
  const stored = page.header.get(PageHeaderField.crc);
  if (stored === undefined) {
    return;
  }
  const computed = crc32(page.payload);
  if (stored.value !== computed) {
    throw pageError(context, `page CRC mismatch (stored ${String(stored.value)}, computed ${computed}): the page is corrupted`);
  }
}

function uncompressPagePayload(page: RawPage, context: PageContext): Buffer {
  switch (page.type) {
    case PAGE_TYPE_DATA:
    case PAGE_TYPE_DICTIONARY:
    case PAGE_TYPE_INDEX:
      return decompressLzoPage(page.payload, page.uncompressedSize, context);
    case PAGE_TYPE_DATA_V2:
      return uncompressDataPageV2(page, context);
    default:
      throw pageError(context, `unknown page type ${page.type}`);
  }
}

/** In data page v2 only the values are compressed; the repetition/definition levels precede them raw. */
function uncompressDataPageV2(page: RawPage, context: PageContext): Buffer {
  const v2 = page.header.get(PageHeaderField.dataPageHeaderV2)?.value;
  if (!(v2 instanceof ThriftStruct)) {
    throw pageError(context, 'DATA_PAGE_V2 without data_page_header_v2');
  }
  if (v2.get(DataPageHeaderV2Field.isCompressed)?.value === false) {
    return page.payload;
  }
  const levelsLength =
    requiredI32(v2, DataPageHeaderV2Field.repetitionLevelsByteLength) +
    requiredI32(v2, DataPageHeaderV2Field.definitionLevelsByteLength);
  if (levelsLength < 0 || levelsLength > page.payload.length || levelsLength > page.uncompressedSize) {
    throw pageError(context, `levels length ${levelsLength} does not fit in the page`);
  }
  const values = decompressLzoPage(page.payload.subarray(levelsLength), page.uncompressedSize - levelsLength, context);
  return Buffer.concat([page.payload.subarray(0, levelsLength), values]);
}

function uncompressedPageHeader(header: ThriftStruct, uncompressed: Buffer): ThriftStruct {
  header.setI32(PageHeaderField.compressedPageSize, uncompressed.length);
  if (header.has(PageHeaderField.crc)) {
    // The page CRC covers the page bytes as stored, so it changes with the compression.
    header.setI32(PageHeaderField.crc, crc32(uncompressed));
  }
  const v2 = header.get(PageHeaderField.dataPageHeaderV2)?.value;
  if (v2 instanceof ThriftStruct) {
    v2.setBool(DataPageHeaderV2Field.isCompressed, false);
  }
  return header;
}

function pageError(context: PageContext, reason: string): Error {
  return new Error(`LZO transcode: column ${context.column}, page at file offset ${context.pageOffset}: ${reason}`);
}

/** Decompresses one page's LZO bytes to exactly expectedSize bytes, naming the page on failure. */
function decompressLzoPage(payload: Buffer, expectedSize: number, context: PageContext): Buffer {
  const decoded = decompressLzo(payload, expectedSize);
  if (!decoded.ok) {
    throw pageError(context, decoded.reason);
  }
  return decoded.data;
}
