/**
 * The file formats and compressions an export writes, and how each combination is laid out.
 *
 * Parquet's own column codecs (snappy, gzip, zstd, lzo, none) compress inside the file; bzip2,
 * which Parquet has no codec for, compresses the whole file (`.parquet.bz2`, as the seed lists it
 * for outbound files). JSON lines and CSV, beyond the seed's "Parquet only", compress the whole
 * file with gzip or bzip2, or not at all.
 */
export const EXPORT_FORMATS = ['parquet', 'jsonl', 'csv'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const EXPORT_COMPRESSIONS = ['snappy', 'gzip', 'zstd', 'lzo', 'bzip2', 'none'] as const;
export type ExportCodec = (typeof EXPORT_COMPRESSIONS)[number];

/**
 * The compressions each format can be written with (the seed: "the list only displays
 * compression methods that are compatible with your chosen file format"); the first is the
 * default.
 */
export const COMPRESSIONS_BY_FORMAT: { readonly [F in ExportFormat]: readonly ExportCodec[] } = {
  parquet: ['snappy', 'gzip', 'zstd', 'lzo', 'bzip2', 'none'],
  jsonl: ['gzip', 'bzip2', 'none'],
  csv: ['gzip', 'bzip2', 'none'],
};

export const defaultCompressionOf = (format: ExportFormat): ExportCodec => COMPRESSIONS_BY_FORMAT[format][0]!;

export const formatsWith = (compression: string): ExportFormat[] => EXPORT_FORMATS.filter((f) => COMPRESSIONS_BY_FORMAT[f].some((c) => c === compression));

/** Parquet's column codecs; 'lzo' is written by our transcoder, since DuckDB has no LZO writer. */
export type ParquetCodec = 'snappy' | 'gzip' | 'zstd' | 'lzo' | 'none';
export type WholeFileCodec = 'gzip' | 'bzip2';

/** How a part file is made: the inner file's format and codec, and what compresses the whole file. */
export interface PartLayout {
  format: ExportFormat;
  /** Parquet's column codec (none for JSON lines and CSV). */
  parquetCodec?: ParquetCodec;
  /** Compression around the whole file, if any. */
  wholeFile?: WholeFileCodec;
}

export function partLayoutOf(format: ExportFormat, compression: ExportCodec): PartLayout {
  if (!COMPRESSIONS_BY_FORMAT[format].includes(compression)) throw new Error(`${compression} is not a compression for ${format} files`);
  if (format === 'parquet') return compression === 'bzip2' ? { format, parquetCodec: 'none', wholeFile: 'bzip2' } : { format, parquetCodec: compression as ParquetCodec };
  return compression === 'none' ? { format } : { format, wholeFile: compression as WholeFileCodec };
}

export const WHOLE_FILE_EXTENSION: Record<WholeFileCodec, string> = { gzip: 'gz', bzip2: 'bz2' };

/**
 * A part's file name: `part-00000.snappy.parquet` (Spark's habit of naming the column codec),
 * `part-00000.parquet` when uncompressed, `part-00000.parquet.bz2`, `part-00000.jsonl.gz`,
 * `part-00000.csv`. Tools pick their decoder from the last extension.
 */
export function partFileName(format: ExportFormat, compression: ExportCodec, part: number): string {
  const layout = partLayoutOf(format, compression);
  const base = `part-${String(part).padStart(5, '0')}`;
  const inner = layout.parquetCodec !== undefined && layout.parquetCodec !== 'none' ? `${layout.parquetCodec}.${format}` : format;
  return layout.wholeFile ? `${base}.${inner}.${WHOLE_FILE_EXTENSION[layout.wholeFile]}` : `${base}.${inner}`;
}

/** Every name partFileName gives, and nothing else: what a re-export may delete as a part of ours. */
export const PART_FILE_NAME = /^part-\d{5,}\.(?:(?:(?:snappy|gzip|zstd|lzo)\.)?parquet|parquet\.bz2|(?:jsonl|csv)(?:\.gz|\.bz2)?)$/;

/**
 * The Content-Type a part is stored with. A compressed whole file is stored as what it is (gzip,
 * bzip2) without a Content-Encoding, so no HTTP client decompresses it on the way.
 */
export function partContentType(format: ExportFormat, compression: ExportCodec): string {
  const layout = partLayoutOf(format, compression);
  if (layout.wholeFile === 'gzip') return 'application/gzip';
  if (layout.wholeFile === 'bzip2') return 'application/x-bzip2';
  return { parquet: 'application/vnd.apache.parquet', jsonl: 'application/x-ndjson', csv: 'text/csv; charset=utf-8; header=present' }[format];
}
