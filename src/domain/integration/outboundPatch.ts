import { COMPRESSIONS_BY_FORMAT, defaultCompressionOf, EXPORT_FORMATS, type ExportFormat } from '../export/formats';

/**
 * An outbound configuration with an update's fields laid over it. A new format given without a
 * compression keeps the current compression when the new format has it, and otherwise takes the
 * new format's default (`--format csv` on a snappy Parquet export means gzip CSV, not a refusal);
 * an explicit compression is always checked as given. Pure, so the entity's workflow uses it too.
 */
export function mergeOutboundPatch<C extends { compression?: string }, P extends Record<string, unknown>>(current: C, patch: P): C & P {
  const merged: C & P & { compression?: string } = { ...current, ...patch };
  const format = patch.format;
  if (typeof format === 'string' && patch.compression === undefined && isExportFormat(format)) {
    const fits = COMPRESSIONS_BY_FORMAT[format].some((c) => c === current.compression);
    if (!fits) merged.compression = defaultCompressionOf(format);
  }
  return merged;
}

const isExportFormat = (f: string): f is ExportFormat => (EXPORT_FORMATS as readonly string[]).includes(f);
