/**
 * Fallback for Parquet files whose column chunks are LZO-compressed (DuckDB cannot read LZO):
 * rewrites them so every LZO column chunk is stored UNCOMPRESSED. Other column chunks are copied
 * byte for byte; only offsets in the footer change.
 *
 * LZO pages are expected as Hadoop/Spark parquet-mr write them (com.hadoop.compression.lzo.LzoCodec,
 * i.e. Hadoop BlockCompressorStream framing around LZO1X); raw LZO1X pages are accepted too.
 *
 * Footer and page headers go through a small lossless Thrift compact codec (below) instead of
 * parquetjs-lite's generated types: those predate parts of today's parquet.thrift, and
 * re-encoding through them drops fields they don't know. Dropping a union member (e.g. the
 * IEEE_754_TOTAL_ORDER column order parquet-mr 1.18 writes for DOUBLE columns) leaves an empty
 * union, which parquet-mr refuses to read.
 */
import { resolve } from 'node:path';
import { createRequire } from 'node:module';
import { open, rm, type FileHandle } from 'node:fs/promises';

interface LzoModule {
  /** LZO1X decompression (lzo1x_decompress_safe) into a buffer of at most maxLength bytes. */
  decompress(input: Buffer, maxLength: number): Buffer;
}

// The lzo package ships no type declarations; this is its typed surface as used here.
const lzo = createRequire(__filename)('lzo') as LzoModule;

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
    return columnChunksOf(metadata, path).some((ref) => codecOf(ref) === CODEC_LZO);
  } finally {
    await file.close();
  }
}

/**
 * Writes outputPath as a copy of inputPath in which every LZO column chunk is decompressed and
 * stored UNCOMPRESSED, one column chunk at a time. Column/offset indexes and bloom filters are
 * not carried over (they are optional; dropping them beats re-pointing them); row counts,
 * schema, statistics and key/value metadata are unchanged. On failure no output file is left.
 */
export async function transcodeLzoToUncompressed(
  inputPath: string,
  outputPath: string,
): Promise<LzoTranscodeResult> {
  if (resolve(inputPath) === resolve(outputPath)) {
    throw new Error(`LZO transcode: input and output are the same file: ${inputPath}`);
  }
  const file = await open(inputPath, 'r');
  try {
    const { metadata, footerStart } = await readFooter(file, inputPath);
    return await writeTranscodedFile({ file, path: inputPath, footerStart }, metadata, outputPath);
  } finally {
    await file.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Parquet format: constants and the Thrift field ids used here (see parquet.thrift)
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

const FileMetaDataField = { schema: 2, numRows: 3, rowGroups: 4 } as const;
const RowGroupField = { columns: 1, totalByteSize: 2, fileOffset: 5, totalCompressedSize: 6 } as const;
const ColumnChunkField = {
  filePath: 1,
  fileOffset: 2,
  metaData: 3,
  offsetIndexOffset: 4,
  offsetIndexLength: 5,
  columnIndexOffset: 6,
  columnIndexLength: 7,
  cryptoMetadata: 8,
} as const;
const ColumnMetaDataField = {
  pathInSchema: 3,
  codec: 4,
  totalUncompressedSize: 6,
  totalCompressedSize: 7,
  dataPageOffset: 9,
  indexPageOffset: 10,
  dictionaryPageOffset: 11,
  bloomFilterOffset: 14,
  bloomFilterLength: 15,
} as const;
const PageHeaderField = { type: 1, uncompressedPageSize: 2, compressedPageSize: 3, crc: 4, dataPageHeaderV2: 8 } as const;
const DataPageHeaderV2Field = { definitionLevelsByteLength: 5, repetitionLevelsByteLength: 6, isCompressed: 7 } as const;

const COPY_BUFFER_SIZE = 1024 * 1024;

// ---------------------------------------------------------------------------------------------
// Footer
// ---------------------------------------------------------------------------------------------

interface ParquetFooter {
  metadata: ThriftStruct;
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

function decodeFileMetaData(footer: Buffer, path: string): ThriftStruct {
  let metadata: ThriftStruct;
  try {
    metadata = decodeThriftStruct(footer, 0).struct;
    // Touch what every reader needs, so a garbage footer fails here with a clear message.
    structListField(metadata, FileMetaDataField.schema);
    requiredI64(metadata, FileMetaDataField.numRows);
    structListField(metadata, FileMetaDataField.rowGroups);
  } catch (error) {
    throw notParquet(path, `footer is not a valid Thrift FileMetaData (${describeError(error)})`);
  }
  return metadata;
}

function notParquet(path: string, reason: string): Error {
  return new Error(`Not a valid Parquet file: ${path}: ${reason}`);
}

interface ColumnChunkRef {
  rowGroup: ThriftStruct;
  rowGroupIndex: number;
  chunk: ThriftStruct;
  meta: ThriftStruct;
}

function columnChunksOf(metadata: ThriftStruct, path: string): ColumnChunkRef[] {
  try {
    return structListField(metadata, FileMetaDataField.rowGroups).flatMap((rowGroup, rowGroupIndex) =>
      structListField(rowGroup, RowGroupField.columns).map((chunk) => ({
        rowGroup,
        rowGroupIndex,
        chunk,
        meta: requiredStruct(chunk, ColumnChunkField.metaData),
      })),
    );
  } catch (error) {
    throw notParquet(path, `unexpected row group metadata (${describeError(error)})`);
  }
}

function codecOf(ref: ColumnChunkRef): number {
  return requiredI32(ref.meta, ColumnMetaDataField.codec);
}

function columnPath(meta: ThriftStruct): string {
  const path = meta.get(ColumnMetaDataField.pathInSchema);
  if (path?.value instanceof ThriftList) {
    return path.value.elements.map((element) => (Buffer.isBuffer(element) ? element.toString('utf8') : '?')).join('.');
  }
  return '(unknown column)';
}

// ---------------------------------------------------------------------------------------------
// Writing the new file
// ---------------------------------------------------------------------------------------------

/** The input file, and where its column data ends. */
interface ParquetInput {
  file: FileHandle;
  path: string;
  footerStart: number;
}

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

async function writeTranscodedFile(
  input: ParquetInput,
  metadata: ThriftStruct,
  outputPath: string,
): Promise<LzoTranscodeResult> {
  const outputFile = await open(outputPath, 'w');
  let completed = false;
  try {
    const output = new AppendOnlyFile(outputFile);
    await output.append(PARQUET_MAGIC);
    const columnChunksRewritten = await writeRowGroups(input, metadata, output);
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

async function writeRowGroups(input: ParquetInput, metadata: ThriftStruct, output: AppendOnlyFile): Promise<number> {
  let columnChunksRewritten = 0;
  let rowGroupStart = output.position;
  let previousRowGroup: ThriftStruct | null = null;
  for (const ref of columnChunksOf(metadata, input.path)) {
    if (ref.rowGroup !== previousRowGroup) {
      rowGroupStart = output.position;
      previousRowGroup = ref.rowGroup;
    }
    if (await transcodeColumnChunk(input, ref, output)) {
      columnChunksRewritten += 1;
    }
    updateRowGroupLayout(ref.rowGroup, rowGroupStart, output.position);
  }
  return columnChunksRewritten;
}

/** RowGroup.file_offset / total_compressed_size are optional; keep them right when present. */
function updateRowGroupLayout(rowGroup: ThriftStruct, start: number, end: number): void {
  if (rowGroup.has(RowGroupField.fileOffset)) {
    rowGroup.setI64(RowGroupField.fileOffset, start);
  }
  if (rowGroup.has(RowGroupField.totalCompressedSize)) {
    rowGroup.setI64(RowGroupField.totalCompressedSize, end - start);
  }
}

async function appendFooter(output: AppendOnlyFile, metadata: ThriftStruct): Promise<void> {
  const footer = encodeThriftStruct(metadata);
  const footerLength = Buffer.alloc(4);
  footerLength.writeUInt32LE(footer.length, 0);
  await output.append(footer);
  await output.append(footerLength);
  await output.append(PARQUET_MAGIC);
}

/** Returns true when the chunk was LZO and has been rewritten, false when it was copied. */
async function transcodeColumnChunk(input: ParquetInput, ref: ColumnChunkRef, output: AppendOnlyFile): Promise<boolean> {
  try {
    return await rewriteOrCopyColumnChunk(input, ref, output);
  } catch (error) {
    if (error instanceof ThriftFieldError) {
      const where = `column ${columnPath(ref.meta)} in row group ${ref.rowGroupIndex}`;
      throw notParquet(input.path, `invalid metadata for ${where} (${error.message})`);
    }
    throw error;
  }
}

async function rewriteOrCopyColumnChunk(input: ParquetInput, ref: ColumnChunkRef, output: AppendOnlyFile): Promise<boolean> {
  const location = columnChunkLocation(ref, input);
  const newStart = output.position;
  const rewritten = codecOf(ref) === CODEC_LZO;
  if (rewritten) {
    const bytes = await readExactly(input.file, location.start, location.length, input.path);
    const pageOffsets = await appendUncompressedPages(bytes, location.start, columnPath(ref.meta), output);
    applyRewrittenChunkMetadata(ref, pageOffsets, newStart, output.position - newStart);
  } else {
    await copyRange(input, location, output);
    const shift = newStart - location.start;
    const chunkEnd = location.start + location.length;
    relocateColumnChunk(ref, (oldOffset) =>
      oldOffset >= location.start && oldOffset < chunkEnd ? oldOffset + shift : newStart,
    );
  }
  dropIndexesAndBloomFilter(ref);
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
  const filePath = chunk.get(ColumnChunkField.filePath);
  if (filePath !== undefined && Buffer.isBuffer(filePath.value) && filePath.value.length > 0) {
    throw new Error(`${input.path}: column ${name} is stored in another file; not supported`);
  }
  if (chunk.has(ColumnChunkField.cryptoMetadata)) {
    throw new Error(`${input.path}: column ${name} is encrypted; not supported`);
  }
  const start = Math.min(
    ...[ColumnMetaDataField.dictionaryPageOffset, ColumnMetaDataField.indexPageOffset, ColumnMetaDataField.dataPageOffset]
      .map((id) => optionalI64(meta, id))
      // Some writers store 0 for "no dictionary page"; no page can start inside the leading magic.
      .filter((offset): offset is number => offset !== undefined && offset >= MAGIC_LENGTH),
  );
  const length = requiredI64(meta, ColumnMetaDataField.totalCompressedSize);
  if (!Number.isFinite(start) || length < 0 || start + length > input.footerStart) {
    throw notParquet(input.path, `column ${name} in row group ${ref.rowGroupIndex} lies outside the file's data`);
  }
  return { start, length };
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

function relocateColumnChunk({ chunk, meta }: ColumnChunkRef, relocate: RelocateOffset): void {
  relocateOffsetField(chunk, ColumnChunkField.fileOffset, relocate);
  relocateOffsetField(meta, ColumnMetaDataField.dataPageOffset, relocate);
  relocateOffsetField(meta, ColumnMetaDataField.dictionaryPageOffset, relocate);
  relocateOffsetField(meta, ColumnMetaDataField.indexPageOffset, relocate);
}

function relocateOffsetField(struct: ThriftStruct, id: number, relocate: RelocateOffset): void {
  const offset = optionalI64(struct, id);
  // 0 placeholders (parquet-mr writes file_offset 0; some writers dictionary_page_offset 0) stay.
  if (offset !== undefined && offset >= MAGIC_LENGTH) {
    struct.setI64(id, relocate(offset));
  }
}

/**
 * Column/offset indexes and bloom filters live outside the column chunks (and the offset index
 * describes compressed pages); they are optional and only speed up filtering, so drop them.
 */
function dropIndexesAndBloomFilter({ chunk, meta }: ColumnChunkRef): void {
  chunk.remove(ColumnChunkField.offsetIndexOffset);
  chunk.remove(ColumnChunkField.offsetIndexLength);
  chunk.remove(ColumnChunkField.columnIndexOffset);
  chunk.remove(ColumnChunkField.columnIndexLength);
  meta.remove(ColumnMetaDataField.bloomFilterOffset);
  meta.remove(ColumnMetaDataField.bloomFilterLength);
}

function applyRewrittenChunkMetadata(
  ref: ColumnChunkRef,
  pageOffsets: Map<number, number>,
  newChunkStart: number,
  newChunkLength: number,
): void {
  const { rowGroup, meta } = ref;
  // Offsets that point at a page follow that page; anything else (e.g. a file_offset that points
  // past the chunk, as some writers do) is pointed at the new chunk start.
  relocateColumnChunk(ref, (oldOffset) => pageOffsets.get(oldOffset) ?? newChunkStart);
  const oldUncompressedSize = requiredI64(meta, ColumnMetaDataField.totalUncompressedSize);
  meta.setI32(ColumnMetaDataField.codec, CODEC_UNCOMPRESSED);
  meta.setI64(ColumnMetaDataField.totalCompressedSize, newChunkLength);
  meta.setI64(ColumnMetaDataField.totalUncompressedSize, newChunkLength);
  const totalByteSize = requiredI64(rowGroup, RowGroupField.totalByteSize);
  rowGroup.setI64(RowGroupField.totalByteSize, totalByteSize + newChunkLength - oldUncompressedSize);
}

// ---------------------------------------------------------------------------------------------
// Pages
// ---------------------------------------------------------------------------------------------

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
async function appendUncompressedPages(
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

// ---------------------------------------------------------------------------------------------
// LZO
// ---------------------------------------------------------------------------------------------

type Decoded = { ok: true; data: Buffer } | { ok: false; reason: string };

/**
 * LZO1X cannot expand much more than 255:1 (a long match costs one byte per 255 bytes of
 * output); a larger claimed size means a corrupted header, and must not drive an allocation.
 */
const MAX_LZO1X_EXPANSION = 256;
const LZO1X_EXPANSION_SLACK = 4096;

/** Decompresses one page's LZO bytes (Hadoop block framing, else raw LZO1X) to exactly expectedSize bytes. */
function decompressLzoPage(payload: Buffer, expectedSize: number, context: PageContext): Buffer {
  if (expectedSize > payload.length * MAX_LZO1X_EXPANSION + LZO1X_EXPANSION_SLACK) {
    throw pageError(context, `implausible uncompressed size ${expectedSize} for ${payload.length} LZO bytes`);
  }
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

// ---------------------------------------------------------------------------------------------
// Lossless Thrift compact protocol: a struct is kept as its list of fields (known or not), so
// re-encoding reproduces everything except the fields deliberately changed.
// ---------------------------------------------------------------------------------------------

/** Compact protocol type ids (BOOL_TRUE/BOOL_FALSE are merged into BOOL). */
const CompactType = {
  STOP: 0,
  BOOL: 1,
  BOOL_FALSE: 2,
  BYTE: 3,
  I16: 4,
  I32: 5,
  I64: 6,
  DOUBLE: 7,
  BINARY: 8,
  LIST: 9,
  SET: 10,
  MAP: 11,
  STRUCT: 12,
} as const;

/** Nesting limit, so a garbage footer fails instead of overflowing the stack. */
const MAX_THRIFT_DEPTH = 64;

type ThriftValue = boolean | number | bigint | Buffer | ThriftStruct | ThriftList | ThriftMap;

interface ThriftField {
  id: number;
  type: number;
  value: ThriftValue;
}

class ThriftList {
  constructor(
    readonly type: typeof CompactType.LIST | typeof CompactType.SET,
    readonly elementType: number,
    readonly elements: ThriftValue[],
  ) {}
}

class ThriftMap {
  constructor(
    readonly keyType: number,
    readonly valueType: number,
    readonly entries: Array<[ThriftValue, ThriftValue]>,
  ) {}
}

class ThriftStruct {
  constructor(readonly fields: ThriftField[] = []) {}

  get(id: number): ThriftField | undefined {
    return this.fields.find((field) => field.id === id);
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  remove(id: number): void {
    const index = this.fields.findIndex((field) => field.id === id);
    if (index >= 0) {
      this.fields.splice(index, 1);
    }
  }

  setI32(id: number, value: number): void {
    this.set({ id, type: CompactType.I32, value });
  }

  setI64(id: number, value: number): void {
    this.set({ id, type: CompactType.I64, value: BigInt(value) });
  }

  setBool(id: number, value: boolean): void {
    this.set({ id, type: CompactType.BOOL, value });
  }

  /** Replaces the field, or inserts it in field-id order. */
  private set(field: ThriftField): void {
    const existing = this.fields.findIndex((candidate) => candidate.id === field.id);
    if (existing >= 0) {
      this.fields[existing] = field;
      return;
    }
    const after = this.fields.findIndex((candidate) => candidate.id > field.id);
    this.fields.splice(after < 0 ? this.fields.length : after, 0, field);
  }
}

/** A Thrift struct lacks a field Parquet requires, or has it with the wrong type. */
class ThriftFieldError extends Error {}

function requiredI32(struct: ThriftStruct, id: number): number {
  const field = struct.get(id);
  if (field === undefined || typeof field.value !== 'number' || field.type !== CompactType.I32) {
    throw new ThriftFieldError(`Thrift field ${id} is missing or not an i32`);
  }
  return field.value;
}

function optionalI64(struct: ThriftStruct, id: number): number | undefined {
  const field = struct.get(id);
  if (field === undefined) {
    return undefined;
  }
  if (typeof field.value !== 'bigint') {
    throw new ThriftFieldError(`Thrift field ${id} is not an i64`);
  }
  if (field.value > BigInt(Number.MAX_SAFE_INTEGER) || field.value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new ThriftFieldError(`Thrift field ${id} value ${field.value} is out of range`);
  }
  return Number(field.value);
}

function requiredI64(struct: ThriftStruct, id: number): number {
  const value = optionalI64(struct, id);
  if (value === undefined) {
    throw new ThriftFieldError(`Thrift field ${id} is missing`);
  }
  return value;
}

function requiredStruct(struct: ThriftStruct, id: number): ThriftStruct {
  const value = struct.get(id)?.value;
  if (!(value instanceof ThriftStruct)) {
    throw new ThriftFieldError(`Thrift field ${id} is missing or not a struct`);
  }
  return value;
}

function structListField(struct: ThriftStruct, id: number): ThriftStruct[] {
  const value = struct.get(id)?.value;
  if (!(value instanceof ThriftList) || !value.elements.every((element) => element instanceof ThriftStruct)) {
    throw new ThriftFieldError(`Thrift field ${id} is missing or not a list of structs`);
  }
  return value.elements as ThriftStruct[];
}

function decodeThriftStruct(buffer: Buffer, offset: number): { struct: ThriftStruct; end: number } {
  const reader = new CompactReader(buffer, offset);
  const struct = reader.readStruct(0);
  return { struct, end: reader.position };
}

function encodeThriftStruct(struct: ThriftStruct): Buffer {
  const writer = new CompactWriter();
  writer.writeStruct(struct);
  return writer.toBuffer();
}

class CompactReader {
  constructor(
    private readonly buffer: Buffer,
    public position: number,
  ) {}

  readStruct(depth: number): ThriftStruct {
    if (depth > MAX_THRIFT_DEPTH) {
      throw new Error('Thrift structs nested too deeply');
    }
    const fields: ThriftField[] = [];
    let lastId = 0;
    for (;;) {
      const header = this.readByte();
      const compactType = header & 0x0f;
      if (compactType === CompactType.STOP) {
        return new ThriftStruct(fields);
      }
      const delta = header >> 4;
      const id = delta === 0 ? this.readZigzag32() : lastId + delta;
      lastId = id;
      if (compactType === CompactType.BOOL || compactType === CompactType.BOOL_FALSE) {
        fields.push({ id, type: CompactType.BOOL, value: compactType === CompactType.BOOL });
      } else {
        fields.push({ id, type: compactType, value: this.readValue(compactType, depth) });
      }
    }
  }

  private readValue(type: number, depth: number): ThriftValue {
    switch (type) {
      case CompactType.BOOL:
      case CompactType.BOOL_FALSE:
        // Only inside lists/sets/maps: one byte, 1 = true.
        return this.readByte() === 1;
      case CompactType.BYTE:
        return (this.readByte() << 24) >> 24;
      case CompactType.I16:
      case CompactType.I32:
        return this.readZigzag32();
      case CompactType.I64:
        return this.readZigzag64();
      case CompactType.DOUBLE:
        return this.take(8).readDoubleLE(0);
      case CompactType.BINARY:
        return Buffer.from(this.take(this.readVarint32()));
      case CompactType.LIST:
      case CompactType.SET:
        return this.readList(type, depth);
      case CompactType.MAP:
        return this.readMap(depth);
      case CompactType.STRUCT:
        return this.readStruct(depth + 1);
      default:
        throw new Error(`unknown Thrift compact type ${type} at byte ${this.position}`);
    }
  }

  private readList(type: typeof CompactType.LIST | typeof CompactType.SET, depth: number): ThriftList {
    const header = this.readByte();
    const shortSize = header >> 4;
    const size = shortSize === 15 ? this.readVarint32() : shortSize;
    const elementType = header & 0x0f;
    this.checkCount(size);
    const elements: ThriftValue[] = [];
    for (let i = 0; i < size; i += 1) {
      elements.push(this.readValue(elementType, depth + 1));
    }
    return new ThriftList(type, elementType, elements);
  }

  private readMap(depth: number): ThriftMap {
    const size = this.readVarint32();
    const types = size === 0 ? 0 : this.readByte();
    this.checkCount(size);
    const entries: Array<[ThriftValue, ThriftValue]> = [];
    for (let i = 0; i < size; i += 1) {
      entries.push([this.readValue(types >> 4, depth + 1), this.readValue(types & 0x0f, depth + 1)]);
    }
    return new ThriftMap(types >> 4, types & 0x0f, entries);
  }

  /** Every element takes at least one byte. */
  private checkCount(count: number): void {
    if (count > this.buffer.length - this.position) {
      throw new Error(`Thrift collection of ${count} elements exceeds the data`);
    }
  }

  private readByte(): number {
    return this.take(1).readUInt8(0);
  }

  private take(length: number): Buffer {
    if (length < 0 || this.position + length > this.buffer.length) {
      throw new Error(`Thrift data ends unexpectedly at byte ${this.position}`);
    }
    const bytes = this.buffer.subarray(this.position, this.position + length);
    this.position += length;
    return bytes;
  }

  private readVarint32(): number {
    const value = this.readVarint();
    if (value > 0xffffffffn) {
      throw new Error(`Thrift varint too large for 32 bits at byte ${this.position}`);
    }
    return Number(value);
  }

  private readZigzag32(): number {
    const value = this.readVarint32();
    return (value >>> 1) ^ -(value & 1);
  }

  private readZigzag64(): bigint {
    const value = this.readVarint();
    return (value >> 1n) ^ -(value & 1n);
  }

  private readVarint(): bigint {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = this.readByte();
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) {
        return value;
      }
    }
    throw new Error(`Thrift varint longer than 10 bytes at byte ${this.position}`);
  }
}

class CompactWriter {
  private readonly parts: Buffer[] = [];
  private pending: number[] = [];

  toBuffer(): Buffer {
    this.flushPending();
    return Buffer.concat(this.parts);
  }

  private pushByte(byte: number): void {
    this.pending.push(byte);
  }

  private pushBytes(bytes: Buffer): void {
    this.flushPending();
    this.parts.push(bytes);
  }

  private flushPending(): void {
    if (this.pending.length > 0) {
      this.parts.push(Buffer.from(this.pending));
      this.pending = [];
    }
  }

  writeStruct(struct: ThriftStruct): void {
    let lastId = 0;
    for (const field of struct.fields) {
      const wireType = field.type === CompactType.BOOL && field.value === false ? CompactType.BOOL_FALSE : field.type;
      const delta = field.id - lastId;
      if (delta > 0 && delta <= 15) {
        this.pushByte((delta << 4) | wireType);
      } else {
        this.pushByte(wireType);
        this.writeZigzag32(field.id);
      }
      lastId = field.id;
      if (field.type !== CompactType.BOOL) {
        this.writeValue(field.type, field.value);
      }
    }
    this.pushByte(CompactType.STOP);
  }

  private writeValue(type: number, value: ThriftValue): void {
    if (value instanceof ThriftStruct) {
      this.writeStruct(value);
    } else if (value instanceof ThriftList) {
      this.writeList(value);
    } else if (value instanceof ThriftMap) {
      this.writeMap(value);
    } else if (Buffer.isBuffer(value)) {
      this.writeVarint(BigInt(value.length));
      this.pushBytes(value);
    } else if (typeof value === 'boolean') {
      this.pushByte(value ? 1 : 2);
    } else if (typeof value === 'bigint') {
      this.writeVarint(BigInt.asUintN(64, (value << 1n) ^ (value >> 63n)));
    } else {
      this.writeNumber(type, value);
    }
  }

  private writeNumber(type: number, value: number): void {
    if (type === CompactType.DOUBLE) {
      const bytes = Buffer.alloc(8);
      bytes.writeDoubleLE(value, 0);
      this.pushBytes(bytes);
    } else if (type === CompactType.BYTE) {
      this.pushByte(value & 0xff);
    } else {
      this.writeZigzag32(value);
    }
  }

  private writeList(list: ThriftList): void {
    const size = list.elements.length;
    if (size < 15) {
      this.pushByte((size << 4) | list.elementType);
    } else {
      this.pushByte(0xf0 | list.elementType);
      this.writeVarint(BigInt(size));
    }
    for (const element of list.elements) {
      this.writeValue(list.elementType, element);
    }
  }

  private writeMap(map: ThriftMap): void {
    this.writeVarint(BigInt(map.entries.length));
    if (map.entries.length === 0) {
      return;
    }
    this.pushByte((map.keyType << 4) | map.valueType);
    for (const [key, value] of map.entries) {
      this.writeValue(map.keyType, key);
      this.writeValue(map.valueType, value);
    }
  }

  private writeZigzag32(value: number): void {
    this.writeVarint(BigInt(((value << 1) ^ (value >> 31)) >>> 0));
  }

  private writeVarint(value: bigint): void {
    let rest = value;
    while (rest >= 0x80n) {
      this.pushByte(Number(rest & 0x7fn) | 0x80);
      rest >>= 7n;
    }
    this.pushByte(Number(rest));
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

/** CRC-32 (as java.util.zip.CRC32) as a signed 32-bit int, the way Parquet's Thrift i32 holds it. */
function crc32(data: Buffer): number {
  let crc = -1;
  for (const byte of data) {
    crc = CRC32_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  }
  return ~crc;
}

function describeError(error: unknown): string {
  if (error instanceof Error) {
    return error.message || error.name;
  }
  return String(error);
}
