/**
 * Pages of a column chunk rewritten one by one: each page is read, its CRC checked, its payload
 * decompressed from LZO (files customers send) or compressed to Hadoop-framed LZO (our exports),
 * and written with a header that describes it as stored.
 */
import { crc32 } from './crc32';
import { describeError } from './errors';
import type { AppendOnlyFile } from './fileIo';
import { compressHadoopLzo, decompressLzo } from './hadoopLzoCodec';
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

export interface RewrittenPages {
  /** Old page offset → new page offset. */
  pageOffsets: Map<number, number>;
  /** Page headers plus uncompressed payloads, as written: the chunk's total_uncompressed_size. */
  uncompressedBytes: number;
}

/** A page as written: its payload as stored and the header that describes it. */
interface PageOut {
  header: ThriftStruct;
  stored: Buffer;
}

async function appendRewrittenPages(
  chunkBytes: Buffer,
  chunkStart: number,
  column: string,
  output: AppendOnlyFile,
  rewrite: (page: RawPage, context: PageContext) => PageOut,
): Promise<RewrittenPages> {
  const pageOffsets = new Map<number, number>();
  let uncompressedBytes = 0;
  let position = 0;
  while (position < chunkBytes.length) {
    const context = { column, pageOffset: chunkStart + position };
    const page = readPage(chunkBytes, position, context);
    verifyPageCrc(page, context);
    const { header, stored } = rewrite(page, context);
    const encodedHeader = encodeThriftStruct(header);
    pageOffsets.set(context.pageOffset, output.position);
    await output.append(encodedHeader);
    await output.append(stored);
    uncompressedBytes += encodedHeader.length + page.uncompressedSize;
    position = page.end;
  }
  return { pageOffsets, uncompressedBytes };
}

/** Decompresses each page of an LZO column chunk and appends it UNCOMPRESSED with a re-encoded header. */
export function appendUncompressedPages(chunkBytes: Buffer, chunkStart: number, column: string, output: AppendOnlyFile): Promise<RewrittenPages> {
  return appendRewrittenPages(chunkBytes, chunkStart, column, output, (page, context) => {
    const uncompressed = uncompressPagePayload(page, context);
    return { header: storedPageHeader(page.header, uncompressed, false), stored: uncompressed };
  });
}

/** Compresses each page of an UNCOMPRESSED column chunk to Hadoop-framed LZO and appends it with a re-encoded header. */
export function appendLzoPages(chunkBytes: Buffer, chunkStart: number, column: string, output: AppendOnlyFile): Promise<RewrittenPages> {
  return appendRewrittenPages(chunkBytes, chunkStart, column, output, (page, context) => {
    const compressed = compressPagePayload(page, context);
    return { header: storedPageHeader(page.header, compressed, true), stored: compressed };
  });
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

/** In data page v2 the repetition and definition levels precede the values, never compressed. */
function levelsLengthOf(page: RawPage, context: PageContext): number {
  const v2 = page.header.get(PageHeaderField.dataPageHeaderV2)?.value;
  if (!(v2 instanceof ThriftStruct)) {
    throw pageError(context, 'DATA_PAGE_V2 without data_page_header_v2');
  }
  const levelsLength =
    requiredI32(v2, DataPageHeaderV2Field.repetitionLevelsByteLength) +
    requiredI32(v2, DataPageHeaderV2Field.definitionLevelsByteLength);
  if (levelsLength < 0 || levelsLength > page.payload.length || levelsLength > page.uncompressedSize) {
    throw pageError(context, `levels length ${levelsLength} does not fit in the page`);
  }
  return levelsLength;
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
  const levelsLength = levelsLengthOf(page, context);
  const values = decompressLzoPage(page.payload.subarray(levelsLength), page.uncompressedSize - levelsLength, context);
  return Buffer.concat([page.payload.subarray(0, levelsLength), values]);
}

function storedPageHeader(header: ThriftStruct, stored: Buffer, compressed: boolean): ThriftStruct {
  header.setI32(PageHeaderField.compressedPageSize, stored.length);
  if (header.has(PageHeaderField.crc)) {
    // The page CRC covers the page bytes as stored, so it changes with the compression.
    header.setI32(PageHeaderField.crc, crc32(stored));
  }
  const v2 = header.get(PageHeaderField.dataPageHeaderV2)?.value;
  if (v2 instanceof ThriftStruct) {
    v2.setBool(DataPageHeaderV2Field.isCompressed, compressed);
  }
  return header;
}

/** An uncompressed page's payload in Hadoop-framed LZO; in data page v2 the levels stay raw in front. */
function compressPagePayload(page: RawPage, context: PageContext): Buffer {
  if (page.payload.length !== page.uncompressedSize) {
    throw pageError(context, `page stores ${page.payload.length} bytes for ${page.uncompressedSize} uncompressed: it is not uncompressed`);
  }
  switch (page.type) {
    case PAGE_TYPE_DATA:
    case PAGE_TYPE_DICTIONARY:
    case PAGE_TYPE_INDEX:
      return compressHadoopLzo(page.payload);
    case PAGE_TYPE_DATA_V2: {
      const levelsLength = levelsLengthOf(page, context);
      return Buffer.concat([page.payload.subarray(0, levelsLength), compressHadoopLzo(page.payload.subarray(levelsLength))]);
    }
    default:
      throw pageError(context, `unknown page type ${page.type}`);
  }
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
