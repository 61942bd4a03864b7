/**
 * Parquet format as far as the transcoder needs it: constants and the Thrift field ids used here
 * (see parquet.thrift), reading the footer, and the column chunks it lists.
 */
import type { FileHandle } from 'node:fs/promises';
import { describeError, notParquet } from './errors';
import { readExactly } from './fileIo';
import { decodeThriftStruct } from './thriftCompact';
import { requiredI32, requiredI64, requiredStruct, structListField, ThriftList, type ThriftStruct } from './thriftValues';

export const PARQUET_MAGIC = Buffer.from('PAR1', 'ascii');
const ENCRYPTED_FOOTER_MAGIC = Buffer.from('PARE', 'ascii');
export const MAGIC_LENGTH = 4;
const FOOTER_TRAILER_LENGTH = 8; // u32 LE footer length + magic
const MIN_PARQUET_FILE_LENGTH = MAGIC_LENGTH + FOOTER_TRAILER_LENGTH;

export const CODEC_UNCOMPRESSED = 0;
export const CODEC_LZO = 3;

export const PAGE_TYPE_DATA = 0;
export const PAGE_TYPE_INDEX = 1;
export const PAGE_TYPE_DICTIONARY = 2;
export const PAGE_TYPE_DATA_V2 = 3;

const FileMetaDataField = { schema: 2, numRows: 3, rowGroups: 4 } as const;
export const RowGroupField = { columns: 1, totalByteSize: 2, fileOffset: 5, totalCompressedSize: 6 } as const;
export const ColumnChunkField = {
  filePath: 1,
  fileOffset: 2,
  metaData: 3,
  offsetIndexOffset: 4,
  offsetIndexLength: 5,
  columnIndexOffset: 6,
  columnIndexLength: 7,
  cryptoMetadata: 8,
} as const;
export const ColumnMetaDataField = {
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
export const PageHeaderField = { type: 1, uncompressedPageSize: 2, compressedPageSize: 3, crc: 4, dataPageHeaderV2: 8 } as const;
export const DataPageHeaderV2Field = { definitionLevelsByteLength: 5, repetitionLevelsByteLength: 6, isCompressed: 7 } as const;

interface ParquetFooter {
  metadata: ThriftStruct;
  /** Offset where the footer starts: column chunks must end before it. */
  footerStart: number;
}

export async function readFooter(file: FileHandle, path: string): Promise<ParquetFooter> {
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

export interface ColumnChunkRef {
  rowGroup: ThriftStruct;
  rowGroupIndex: number;
  chunk: ThriftStruct;
  meta: ThriftStruct;
}

export function columnChunksOf(metadata: ThriftStruct, path: string): ColumnChunkRef[] {
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

export function codecOf(ref: ColumnChunkRef): number {
  return requiredI32(ref.meta, ColumnMetaDataField.codec);
}

export function columnPath(meta: ThriftStruct): string {
  const path = meta.get(ColumnMetaDataField.pathInSchema);
  if (path?.value instanceof ThriftList) {
    return path.value.elements.map((element) => (Buffer.isBuffer(element) ? element.toString('utf8') : '?')).join('.');
  }
  return '(unknown column)';
}
