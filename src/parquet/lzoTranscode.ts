/**
 * Fallback for Parquet files whose column chunks are LZO-compressed (DuckDB cannot read LZO):
 * rewrites them so every LZO column chunk is stored UNCOMPRESSED. Other column chunks are copied
 * byte for byte; only the footer's offsets change.
 *
 * LZO pages are expected as Hadoop/Spark parquet-mr write them (com.hadoop.compression.lzo.LzoCodec,
 * i.e. Hadoop BlockCompressorStream framing around LZO1X); raw LZO1X pages are accepted too.
 */
import { resolve } from 'node:path';
import { createRequire } from 'node:module';
import { open, rm, type FileHandle } from 'node:fs/promises';

// ---------------------------------------------------------------------------------------------
// Typed views of the untyped CommonJS modules used here (parquetjs-lite's Thrift code and lzo).
// ---------------------------------------------------------------------------------------------

/** thrift-lite returns i64 fields as node-int64 instances; numbers are accepted when writing. */
interface Int64Value {
  toNumber(allowImprecise?: boolean): number;
}
type ThriftI64 = Int64Value | number;

interface ThriftStruct {
  read(input: unknown): void;
  write(output: unknown): void;
}

interface ThriftColumnMetaData {
  type: number;
  path_in_schema: string[] | null;
  codec: number;
  num_values: ThriftI64;
  total_uncompressed_size: ThriftI64;
  total_compressed_size: ThriftI64;
  data_page_offset: ThriftI64;
  index_page_offset: ThriftI64 | null;
  dictionary_page_offset: ThriftI64 | null;
}

interface ThriftColumnChunk {
  file_path: string | null;
  file_offset: ThriftI64;
  meta_data: ThriftColumnMetaData | null;
  offset_index_offset: ThriftI64 | null;
  offset_index_length: number | null;
  column_index_offset: ThriftI64 | null;
  column_index_length: number | null;
}

interface ThriftRowGroup {
  columns: ThriftColumnChunk[] | null;
  total_byte_size: ThriftI64;
  num_rows: ThriftI64;
}

interface ThriftFileMetaData extends ThriftStruct {
  version: number | null;
  schema: unknown[] | null;
  num_rows: ThriftI64 | null;
  row_groups: ThriftRowGroup[] | null;
}

interface ThriftDataPageHeaderV2 {
  definition_levels_byte_length: number;
  repetition_levels_byte_length: number;
  is_compressed: boolean | null;
}

interface ThriftPageHeader extends ThriftStruct {
  type: number | null;
  uncompressed_page_size: number | null;
  compressed_page_size: number | null;
  crc: number | null;
  data_page_header_v2: ThriftDataPageHeaderV2 | null;
}

interface ParquetThriftTypes {
  FileMetaData: new () => ThriftFileMetaData;
  PageHeader: new () => ThriftPageHeader;
}

interface ParquetThriftUtil {
  /** Decodes a Thrift compact struct from buf at offset into obj; returns the bytes consumed. */
  decodeThrift(obj: ThriftStruct, buf: Buffer, offset?: number): number;
  serializeThrift(obj: ThriftStruct): Buffer;
}

interface LzoModule {
  /** LZO1X decompression (lzo1x_decompress_safe) into a buffer of at most maxLength bytes. */
  decompress(input: Buffer, maxLength: number): Buffer;
}

const requireUntyped = createRequire(__filename);
const parquetThrift = requireUntyped('parquetjs-lite/gen-nodejs/parquet_types') as ParquetThriftTypes;
const parquetThriftUtil = requireUntyped('parquetjs-lite/lib/util') as ParquetThriftUtil;
const lzo = requireUntyped('lzo') as LzoModule;

// ---------------------------------------------------------------------------------------------
// Parquet format constants
// ---------------------------------------------------------------------------------------------

const PARQUET_MAGIC = Buffer.from('PAR1', 'ascii');
const ENCRYPTED_FOOTER_MAGIC = Buffer.from('PARE', 'ascii');
const MAGIC_LENGTH = 4;
const FOOTER_TRAILER_LENGTH = 8; // u32 LE footer length + magic
const MIN_PARQUET_FILE_LENGTH = MAGIC_LENGTH + FOOTER_TRAILER_LENGTH;

const CODEC_UNCOMPRESSED = 0;
const CODEC_LZO = 3;

const PAGE_TYPE_DATA = 0;
const PAGE_TYPE_INDEX = 1;
const PAGE_TYPE_DICTIONARY = 2;
const PAGE_TYPE_DATA_V2 = 3;

const COPY_BUFFER_SIZE = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

export interface LzoTranscodeResult {
  /** LZO column chunks rewritten as UNCOMPRESSED (other chunks are copied unchanged). */
  columnChunksRewritten: number;
}

/** Reads only the footer and says whether any column chunk is LZO-compressed. */
export async function parquetUsesLzo(path: string): Promise<boolean> {
  const file = await open(path, 'r');
  try {
    const { metadata } = await readFooter(file, path);
    return allColumnChunks(metadata, path).some(({ meta }) => meta.codec === CODEC_LZO);
  } finally {
    await file.close();
  }
}

/**
 * Writes outputPath as a copy of inputPath in which every LZO column chunk is decompressed and
 * stored UNCOMPRESSED. Works one column chunk at a time. Column/offset indexes and bloom filters
 * are not carried over (their offsets would be stale); row counts, schema, statistics and
 * key/value metadata are unchanged. On failure no output file is left behind.
 */
export async function transcodeLzoToUncompressed(
  inputPath: string,
  outputPath: string,
): Promise<LzoTranscodeResult> {
  if (resolve(inputPath) === resolve(outputPath)) {
    throw new Error(`LZO transcode: input and output are the same file: ${inputPath}`);
  }
  const input = await open(inputPath, 'r');
  try {
    const footer = await readFooter(input, inputPath);
    return await writeTranscodedFile({ file: input, path: inputPath, footerStart: footer.footerStart }, footer.metadata, outputPath);
  } finally {
    await input.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Footer
// ---------------------------------------------------------------------------------------------

interface ParquetFooter {
  metadata: ThriftFileMetaData;
  /** Offset where the footer starts: column chunks must end before it. */
  footerStart: number;
}

async function readFooter(file: FileHandle, path: string): Promise<ParquetFooter> {
  const { size } = await file.stat();
  if (size < MIN_PARQUET_FILE_LENGTH) {
    throw notParquet(path, `file is ${size} bytes, too short for a Parquet file`);
  }
  const leadingMagic = await readExactly(file, 0, MAGIC_LENGTH, path);
  const trailer = await readExactly(file, size - FOOTER_TRAILER_LENGTH, FOOTER_TRAILER_LENGTH, path);
  const trailingMagic = trailer.subarray(4);
  if (trailingMagic.equals(ENCRYPTED_FOOTER_MAGIC)) {
    throw new Error(`Parquet file ${path} has an encrypted footer, which is not supported`);
  }
  if (!leadingMagic.equals(PARQUET_MAGIC) || !trailingMagic.equals(PARQUET_MAGIC)) {
    throw notParquet(path, "missing 'PAR1' magic bytes");
  }
  const footerLength = trailer.readUInt32LE(0);
  if (footerLength === 0 || footerLength > size - MIN_PARQUET_FILE_LENGTH) {
    throw notParquet(path, `footer length ${footerLength} does not fit in a ${size}-byte file`);
  }
  const footerStart = size - FOOTER_TRAILER_LENGTH - footerLength;
  const footer = await readExactly(file, footerStart, footerLength, path);
  return { metadata: decodeFileMetaData(footer, path), footerStart };
}

function decodeFileMetaData(footer: Buffer, path: string): ThriftFileMetaData {
  const metadata = new parquetThrift.FileMetaData();
  try {
    parquetThriftUtil.decodeThrift(metadata, footer);
  } catch (error) {
    throw notParquet(path, `footer is not valid Thrift FileMetaData (${describeError(error)})`);
  }
  if (!Array.isArray(metadata.schema) || !Array.isArray(metadata.row_groups) || metadata.num_rows === null) {
    throw notParquet(path, 'footer lacks schema, row groups or row count');
  }
  return metadata;
}

function notParquet(path: string, reason: string): Error {
  return new Error(`Not a valid Parquet file: ${path}: ${reason}`);
}

interface ColumnChunkRef {
  rowGroup: ThriftRowGroup;
  rowGroupIndex: number;
  chunk: ThriftColumnChunk;
  meta: ThriftColumnMetaData;
}

function allColumnChunks(metadata: ThriftFileMetaData, path: string): ColumnChunkRef[] {
  return (metadata.row_groups ?? []).flatMap((rowGroup, rowGroupIndex) => {
    if (!Array.isArray(rowGroup.columns)) {
      throw notParquet(path, `row group ${rowGroupIndex} has no column list`);
    }
    return rowGroup.columns.map((chunk) => {
      if (chunk.meta_data === null) {
        throw notParquet(path, `a column chunk of row group ${rowGroupIndex} has no metadata`);
      }
      return { rowGroup, rowGroupIndex, chunk, meta: chunk.meta_data };
    });
  });
}

// ---------------------------------------------------------------------------------------------
// Writing the new file
// ---------------------------------------------------------------------------------------------

/** Appends to a file handle and tracks the write position. */
class AppendOnlyFile {
  position = 0;

  constructor(private readonly file: FileHandle) {}

  async append(data: Buffer): Promise<void> {
    let written = 0;
    while (written < data.length) {
      const { bytesWritten } = await this.file.write(data, written, data.length - written, this.position);
      written += bytesWritten;
      this.position += bytesWritten;
    }
  }
}

/** The input file, and where its column data ends. */
interface ParquetInput {
  file: FileHandle;
  path: string;
  footerStart: number;
}

async function writeTranscodedFile(
  input: ParquetInput,
  metadata: ThriftFileMetaData,
  outputPath: string,
): Promise<LzoTranscodeResult> {
  const outputFile = await open(outputPath, 'w');
  let completed = false;
  try {
    const output = new AppendOnlyFile(outputFile);
    await output.append(PARQUET_MAGIC);
    let columnChunksRewritten = 0;
    for (const ref of allColumnChunks(metadata, input.path)) {
      const rewritten = await transcodeColumnChunk(input, ref, output);
      if (rewritten) {
        columnChunksRewritten += 1;
      }
    }
    await appendFooter(output, metadata);
    completed = true;
    return { columnChunksRewritten };
  } finally {
    await outputFile.close();
    if (!completed) {
      await rm(outputPath, { force: true });
    }
  }
}

async function appendFooter(output: AppendOnlyFile, metadata: ThriftFileMetaData): Promise<void> {
  const footer = parquetThriftUtil.serializeThrift(metadata);
  const footerLength = Buffer.alloc(4);
  footerLength.writeUInt32LE(footer.length, 0);
  await output.append(footer);
  await output.append(footerLength);
  await output.append(PARQUET_MAGIC);
}

/** Returns true when the chunk was LZO and has been rewritten, false when it was copied. */
async function transcodeColumnChunk(input: ParquetInput, ref: ColumnChunkRef, output: AppendOnlyFile): Promise<boolean> {
  const location = columnChunkLocation(ref, input);
  const newStart = output.position;
  const rewritten = ref.meta.codec === CODEC_LZO;
  if (rewritten) {
    const bytes = await readExactly(input.file, location.start, location.length, input.path);
    const pageOffsets = await appendUncompressedPages(bytes, location.start, columnPath(ref.meta), output);
    applyRewrittenChunkMetadata(ref, location, pageOffsets, output.position - newStart);
  } else {
    await copyRange(input, location, output);
    const chunkEnd = location.start + location.length;
    const shift = newStart - location.start;
    relocateColumnChunk(ref.chunk, (oldOffset) =>
      oldOffset >= location.start && oldOffset < chunkEnd ? oldOffset + shift : newStart,
    );
  }
  dropPageIndexes(ref.chunk);
  return rewritten;
}

interface ChunkLocation {
  start: number;
  length: number;
}

/** A chunk starts at its dictionary page when there is one, else at its first data page. */
function columnChunkLocation(ref: ColumnChunkRef, input: ParquetInput): ChunkLocation {
  const { chunk, meta } = ref;
  const name = columnPath(meta);
  if (chunk.file_path !== null && chunk.file_path !== '') {
    throw new Error(`${input.path}: column ${name} is stored in another file (${chunk.file_path}); not supported`);
  }
  const candidates = [meta.dictionary_page_offset, meta.index_page_offset, meta.data_page_offset]
    .filter((offset): offset is ThriftI64 => offset !== null)
    .map(i64ToNumber)
    // Some writers store 0 for "no dictionary page"; no page can start inside the leading magic.
    .filter((offset) => offset >= MAGIC_LENGTH);
  const start = Math.min(...candidates);
  const length = i64ToNumber(meta.total_compressed_size);
  if (candidates.length === 0 || length < 0 || start + length > input.footerStart) {
    throw notParquet(input.path, `column ${name} in row group ${ref.rowGroupIndex} lies outside the file's data`);
  }
  return { start, length };
}

function columnPath(meta: ThriftColumnMetaData): string {
  return (meta.path_in_schema ?? []).join('.');
}

async function copyRange(input: ParquetInput, location: ChunkLocation, output: AppendOnlyFile): Promise<void> {
  const end = location.start + location.length;
  for (let position = location.start; position < end; position += COPY_BUFFER_SIZE) {
    const length = Math.min(COPY_BUFFER_SIZE, end - position);
    await output.append(await readExactly(input.file, position, length, input.path));
  }
}

/** Maps an old file offset to where the same byte now lives in the output. */
type RelocateOffset = (oldOffset: number) => number;

function relocateColumnChunk(chunk: ThriftColumnChunk, relocate: RelocateOffset): void {
  const meta = chunk.meta_data;
  if (meta === null) {
    return;
  }
  chunk.file_offset = relocate(i64ToNumber(chunk.file_offset));
  meta.data_page_offset = relocate(i64ToNumber(meta.data_page_offset));
  meta.dictionary_page_offset = relocateOptional(meta.dictionary_page_offset, relocate);
  meta.index_page_offset = relocateOptional(meta.index_page_offset, relocate);
}

function relocateOptional(offset: ThriftI64 | null, relocate: RelocateOffset): number | null {
  if (offset === null) {
    return null;
  }
  const value = i64ToNumber(offset);
  // Keep a 0 "no dictionary page" placeholder as it was.
  return value < MAGIC_LENGTH ? value : relocate(value);
}

/**
 * Column and offset indexes (and bloom filters, which the Thrift schema in parquetjs-lite does not
 * even know about, so they vanish on re-encoding) live outside the column chunks; rather than copy
 * and re-point them, drop them: they are optional and only speed up filtering.
 */
function dropPageIndexes(chunk: ThriftColumnChunk): void {
  chunk.offset_index_offset = null;
  chunk.offset_index_length = null;
  chunk.column_index_offset = null;
  chunk.column_index_length = null;
}

function applyRewrittenChunkMetadata(
  ref: ColumnChunkRef,
  location: ChunkLocation,
  pageOffsets: Map<number, number>,
  newChunkLength: number,
): void {
  const { rowGroup, chunk, meta } = ref;
  const newChunkStart = pageOffsets.get(location.start);
  if (newChunkStart === undefined) {
    throw new Error(`internal error: first page of column ${columnPath(meta)} was not relocated`);
  }
  // Offsets pointing at a page follow that page; anything else (e.g. a writer's file_offset that
  // points past the chunk) is pointed at the new chunk start.
  relocateColumnChunk(chunk, (oldOffset) => pageOffsets.get(oldOffset) ?? newChunkStart);
  const oldUncompressedSize = i64ToNumber(meta.total_uncompressed_size);
  meta.codec = CODEC_UNCOMPRESSED;
  meta.total_compressed_size = newChunkLength;
  meta.total_uncompressed_size = newChunkLength;
  rowGroup.total_byte_size = i64ToNumber(rowGroup.total_byte_size) + newChunkLength - oldUncompressedSize;
}

// ---------------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------------

/**
 * Decompresses each page of an LZO column chunk and appends it UNCOMPRESSED with a re-encoded
 * header. Returns old page offset → new page offset.
 */
async function appendUncompressedPages(
  chunkBytes: Buffer,
  chunkStart: number,
  column: string,
  output: AppendOnlyFile,
): Promise<Map<number, number>> {
  const pageOffsets = new Map<number, number>();
  let position = 0;
  while (position < chunkBytes.length) {
    const pageOffset = chunkStart + position;
    const page = readPage(chunkBytes, position, { column, pageOffset });
    const uncompressed = uncompressPagePayload(page.header, page.payload, { column, pageOffset });
    pageOffsets.set(pageOffset, output.position);
    await output.append(parquetThriftUtil.serializeThrift(uncompressedPageHeader(page.header, uncompressed)));
    await output.append(uncompressed);
    position = page.end;
  }
  return pageOffsets;
}

interface PageContext {
  column: string;
  pageOffset: number;
}

interface RawPage {
  header: ThriftPageHeader;
  payload: Buffer;
  /** Offset just past the page, relative to the chunk. */
  end: number;
}

function readPage(chunkBytes: Buffer, position: number, context: PageContext): RawPage {
  const header = new parquetThrift.PageHeader();
  let headerLength: number;
  try {
    headerLength = parquetThriftUtil.decodeThrift(header, chunkBytes, position);
  } catch (error) {
    throw pageError(context, `page header cannot be decoded (${describeError(error)})`);
  }
  const compressedSize = header.compressed_page_size;
  const uncompressedSize = header.uncompressed_page_size;
  if (header.type === null || compressedSize === null || uncompressedSize === null || compressedSize < 0 || uncompressedSize < 0) {
    throw pageError(context, 'page header lacks type or sizes');
  }
  const payloadStart = position + headerLength;
  const end = payloadStart + compressedSize;
  if (end > chunkBytes.length) {
    throw pageError(context, `page of ${compressedSize} bytes runs past the end of the column chunk`);
  }
  return { header, payload: chunkBytes.subarray(payloadStart, end), end };
}

function uncompressPagePayload(header: ThriftPageHeader, payload: Buffer, context: PageContext): Buffer {
  const expectedSize = header.uncompressed_page_size ?? 0;
  switch (header.type) {
    case PAGE_TYPE_DATA:
    case PAGE_TYPE_DICTIONARY:
    case PAGE_TYPE_INDEX:
      return decompressLzoPage(payload, expectedSize, context);
    case PAGE_TYPE_DATA_V2:
      return uncompressDataPageV2(header, payload, context);
    default:
      throw pageError(context, `unknown page type ${String(header.type)}`);
  }
}

/** In data page v2 only the values are compressed; the repetition/definition levels precede them raw. */
function uncompressDataPageV2(header: ThriftPageHeader, payload: Buffer, context: PageContext): Buffer {
  const v2 = header.data_page_header_v2;
  if (v2 === null) {
    throw pageError(context, 'DATA_PAGE_V2 without data_page_header_v2');
  }
  if (v2.is_compressed === false) {
    return payload;
  }
  const levelsLength = v2.repetition_levels_byte_length + v2.definition_levels_byte_length;
  const expectedSize = header.uncompressed_page_size ?? 0;
  if (levelsLength < 0 || levelsLength > payload.length || levelsLength > expectedSize) {
    throw pageError(context, `levels length ${levelsLength} does not fit in the page`);
  }
  const values = decompressLzoPage(payload.subarray(levelsLength), expectedSize - levelsLength, context);
  return Buffer.concat([payload.subarray(0, levelsLength), values]);
}

function uncompressedPageHeader(header: ThriftPageHeader, uncompressed: Buffer): ThriftPageHeader {
  header.compressed_page_size = uncompressed.length;
  header.uncompressed_page_size = uncompressed.length;
  if (header.crc !== null) {
    // The page CRC covers the page bytes as stored, so it changes with the compression.
    header.crc = crc32(uncompressed);
  }
  if (header.data_page_header_v2 !== null) {
    header.data_page_header_v2.is_compressed = false;
  }
  return header;
}

function pageError(context: PageContext, reason: string): Error {
  return new Error(`LZO transcode: column ${context.column}, page at file offset ${context.pageOffset}: ${reason}`);
}

// ---------------------------------------------------------------------------------------------
// LZO
// ---------------------------------------------------------------------------------------------

type Decoded = { ok: true; data: Buffer } | { ok: false; reason: string };

/** Decompresses one page's LZO bytes (Hadoop block framing, else raw LZO1X) to exactly expectedSize bytes. */
function decompressLzoPage(payload: Buffer, expectedSize: number, context: PageContext): Buffer {
  const framed = decodeHadoopLzoBlocks(payload, expectedSize);
  if (framed.ok) {
    return framed.data;
  }
  const raw = decodeRawLzo1x(payload, expectedSize);
  if (raw.ok) {
    return raw.data;
  }
  throw pageError(
    context,
    `cannot decompress LZO page to ${expectedSize} bytes: not Hadoop-framed LZO (${framed.reason}) nor raw LZO1X (${raw.reason})`,
  );
}

/**
 * Hadoop BlockCompressorStream framing: repeated blocks of
 * [u32 BE uncompressed block length] then [u32 BE compressed length + LZO1X bytes]... until the
 * block's uncompressed length is produced, until the page's uncompressed size is produced.
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
    if (blockSize === 0 || produced + blockSize > expectedSize) {
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
  if (position !== payload.length) {
    return { ok: false, reason: `${payload.length - position} trailing bytes after the last block` };
  }
  return { ok: true, data: Buffer.concat(pieces, expectedSize) };
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
    // lzo.decompress treats a 0 length as "guess"; an empty result is the only valid one.
    return input.length === 0 ? { ok: true, data: Buffer.alloc(0) } : { ok: false, reason: 'data for an empty page' };
  }
  try {
    return { ok: true, data: lzo.decompress(input, maxLength) };
  } catch (error) {
    return { ok: false, reason: describeError(error) };
  }
}

// ---------------------------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------------------------

async function readExactly(file: FileHandle, position: number, length: number, path: string): Promise<Buffer> {
  const buffer = Buffer.alloc(length);
  let filled = 0;
  while (filled < length) {
    const { bytesRead } = await file.read(buffer, filled, length - filled, position + filled);
    if (bytesRead === 0) {
      throw notParquet(path, `unexpected end of file reading ${length} bytes at offset ${position}`);
    }
    filled += bytesRead;
  }
  return buffer;
}

const CRC32_TABLE = Int32Array.from({ length: 256 }, (_, byte) => {
  let crc = byte;
  for (let bit = 0; bit < 8; bit += 1) {
    crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return crc;
});

/** CRC-32 (ISO-HDLC, as java.util.zip.CRC32) as a signed 32-bit int, the way Thrift stores it. */
function crc32(data: Buffer): number {
  let crc = -1;
  for (const byte of data) {
    crc = CRC32_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  }
  return ~crc;
}

function i64ToNumber(value: ThriftI64): number {
  const number = typeof value === 'number' ? value : value.toNumber(false);
  if (!Number.isSafeInteger(number)) {
    throw new Error(`Parquet footer value ${String(number)} is out of range`);
  }
  return number;
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    return error.message || error.name;
  }
  return String(error);
}
