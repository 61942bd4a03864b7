/**
 * Rewrites a Parquet file's column chunks between LZO and UNCOMPRESSED, since DuckDB neither
 * reads nor writes LZO: files customers send with LZO chunks are made readable (every LZO chunk
 * stored UNCOMPRESSED), and the LZO exports are DuckDB's uncompressed parts with every chunk
 * compressed to LZO. Other column chunks are copied byte for byte; only offsets in the footer change.
 *
 * LZO pages are expected as Hadoop/Spark parquet-mr write them (com.hadoop.compression.lzo.LzoCodec,
 * i.e. Hadoop BlockCompressorStream framing around LZO1X); raw LZO1X pages are accepted too.
 *
 * Footer and page headers go through a small lossless Thrift compact codec (thriftValues.ts,
 * thriftCompact.ts) instead of parquetjs-lite's generated types: those predate parts of today's
 * parquet.thrift, and re-encoding through them drops fields they don't know. Dropping a union
 * member (e.g. the IEEE_754_TOTAL_ORDER column order parquet-mr 1.18 writes for DOUBLE columns)
 * leaves an empty union, which parquet-mr refuses to read.
 */
import { resolve } from 'node:path';
import { open, rm, type FileHandle } from 'node:fs/promises';
import { notParquet } from './errors';
import { AppendOnlyFile, readExactly } from './fileIo';
import { appendLzoPages, appendUncompressedPages, type RewrittenPages } from './pages';
import {
  CODEC_LZO,
  CODEC_UNCOMPRESSED,
  ColumnChunkField,
  type ColumnChunkRef,
  columnChunksOf,
  ColumnMetaDataField,
  codecOf,
  columnPath,
  MAGIC_LENGTH,
  PARQUET_MAGIC,
  readFooter,
  RowGroupField,
} from './parquetFormat';
import { encodeThriftStruct } from './thriftCompact';
import { optionalI64, requiredI64, ThriftFieldError, type ThriftStruct } from './thriftValues';

// ---------------------------------------------------------------------------------------------
// Public API
// ---------------------------------------------------------------------------------------------

export interface LzoTranscodeResult {
  /** Column chunks rewritten (LZO → UNCOMPRESSED, or the reverse); other chunks are copied unchanged. */
  columnChunksRewritten: number;
}

/** Which chunks a transcode rewrites, how it rewrites their pages, and the codec they end with. */
interface Direction {
  from: number;
  to: number;
  appendPages(chunkBytes: Buffer, chunkStart: number, column: string, output: AppendOnlyFile): Promise<RewrittenPages>;
}

const LZO_TO_UNCOMPRESSED: Direction = { from: CODEC_LZO, to: CODEC_UNCOMPRESSED, appendPages: appendUncompressedPages };
const UNCOMPRESSED_TO_LZO: Direction = { from: CODEC_UNCOMPRESSED, to: CODEC_LZO, appendPages: appendLzoPages };

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
export function transcodeLzoToUncompressed(inputPath: string, outputPath: string, signal?: AbortSignal): Promise<LzoTranscodeResult> {
  return transcode(LZO_TO_UNCOMPRESSED, inputPath, outputPath, signal);
}

/**
 * Writes outputPath as a copy of inputPath in which every UNCOMPRESSED column chunk is
 * compressed to LZO in Hadoop's block framing, as Spark and Hive read it through parquet-mr's
 * `com.hadoop.compression.lzo.LzoCodec`. Page indexes and bloom filters are dropped as above.
 */
export function transcodeUncompressedToLzo(inputPath: string, outputPath: string, signal?: AbortSignal): Promise<LzoTranscodeResult> {
  return transcode(UNCOMPRESSED_TO_LZO, inputPath, outputPath, signal);
}

async function transcode(direction: Direction, inputPath: string, outputPath: string, signal?: AbortSignal): Promise<LzoTranscodeResult> {
  if (resolve(inputPath) === resolve(outputPath)) {
    throw new Error(`LZO transcode: input and output are the same file: ${inputPath}`);
  }
  const file = await open(inputPath, 'r');
  try {
    const { metadata, footerStart } = await readFooter(file, inputPath);
    return await writeTranscodedFile({ file, path: inputPath, footerStart, signal, direction }, metadata, outputPath);
  } finally {
    await file.close();
  }
}

// ---------------------------------------------------------------------------------------------
// Writing the new file
// ---------------------------------------------------------------------------------------------

const COPY_BUFFER_SIZE = 1024 * 1024;

/** The input file, and where its column data ends. */
interface ParquetInput {
  file: FileHandle;
  path: string;
  footerStart: number;
  /** Checked before each column chunk: a cancelled caller stops writing (the output is removed). */
  signal?: AbortSignal;
  direction: Direction;
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
    input.signal?.throwIfAborted();
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
  const { direction } = input;
  const rewritten = codecOf(ref) === direction.from;
  if (rewritten) {
    const bytes = await readExactly(input.file, location.start, location.length, input.path);
    const pages = await direction.appendPages(bytes, location.start, columnPath(ref.meta), output);
    applyRewrittenChunkMetadata(ref, pages, direction.to, newStart, output.position - newStart);
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

function applyRewrittenChunkMetadata(ref: ColumnChunkRef, pages: RewrittenPages, codec: number, newChunkStart: number, newChunkLength: number): void {
  const { rowGroup, meta } = ref;
  // Offsets that point at a page follow that page; anything else (e.g. a file_offset that points
  // past the chunk, as some writers do) is pointed at the new chunk start.
  relocateColumnChunk(ref, (oldOffset) => pages.pageOffsets.get(oldOffset) ?? newChunkStart);
  const oldUncompressedSize = requiredI64(meta, ColumnMetaDataField.totalUncompressedSize);
  meta.setI32(ColumnMetaDataField.codec, codec);
  meta.setI64(ColumnMetaDataField.totalCompressedSize, newChunkLength);
  // Page headers change size with their compressed_page_size, so the uncompressed total is recounted.
  meta.setI64(ColumnMetaDataField.totalUncompressedSize, pages.uncompressedBytes);
  const totalByteSize = requiredI64(rowGroup, RowGroupField.totalByteSize);
  rowGroup.setI64(RowGroupField.totalByteSize, totalByteSize + pages.uncompressedBytes - oldUncompressedSize);
}
