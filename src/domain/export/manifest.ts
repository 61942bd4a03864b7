import { z } from 'zod';
import { EXPORT_COMPRESSIONS, EXPORT_FORMATS } from './formats';

/**
 * What an export leaves beside a window's parts, written after them and before `_SUCCESS`: the
 * window, every part with its rows, size and MD5, and the totals, so a consumer can check it
 * read everything, and an empty window (no parts, zero rows) is told from a broken one.
 */
export const exportManifestSchema = z.object({
  version: z.literal(1),
  integrationId: z.string(),
  /** The integration's configuration version the export ran with. */
  configVersion: z.number().int().positive(),
  window: z.object({ start: z.iso.datetime(), end: z.iso.datetime(), startMs: z.number().int(), endMs: z.number().int() }),
  format: z.enum(EXPORT_FORMATS),
  compression: z.enum(EXPORT_COMPRESSIONS),
  environments: z.array(z.string()),
  rows: z.number().int().nonnegative(),
  /** Impressions dropped as repeats of one already exported (a retried SDK batch). */
  duplicatesDropped: z.number().int().nonnegative(),
  parts: z.array(z.object({ key: z.string(), rows: z.number().int().positive(), bytes: z.number().int().positive(), md5: z.string().regex(/^[0-9a-f]{32}$/) })),
  /** The intake objects read (window and dedup lookback). */
  sourceObjects: z.number().int().nonnegative(),
  exportedAt: z.iso.datetime(),
});
export type ExportManifest = z.infer<typeof exportManifestSchema>;
