import { z } from 'zod';
import { COMPRESSIONS_BY_FORMAT, formatsWith, defaultCompressionOf, EXPORT_FORMATS, type ExportCodec, type ExportFormat } from '../export/formats';
import { environmentIdSchema, inboundConfigSchema, regionSchema } from './inboundConfig';

export { describeIssues } from './inboundConfig';

/**
 * The one schema of an outbound integration's configuration (impressions exported to the
 * customer's bucket): the CLI parses its flags with it and the entity's check activity checks
 * every change with it, as `inboundConfig.ts` does for the inbound kind.
 */

export { COMPRESSIONS_BY_FORMAT, EXPORT_FORMATS, type ExportFormat } from '../export/formats';

/** Windows are whole minutes and align with days: a day holds a whole number of them. */
export const MINUTES_PER_DAY = 1440;
export const DEFAULT_INTERVAL_MINUTES = 30;

/** The intervals allowed: the divisors of a day's minutes. */
export const ALLOWED_INTERVALS: readonly number[] = Array.from({ length: MINUTES_PER_DAY }, (_, i) => i + 1).filter((n) => MINUTES_PER_DAY % n === 0);

// The bucket name rule and the folder rule are the inbound schema's own, taken from its shape
// (they are not exported from inboundConfig.ts), so both kinds accept and normalise alike.
const bucketSchema = inboundConfigSchema.shape.bucket;
const folderSchema = inboundConfigSchema.shape.prefix.removeDefault();

const intervalMinutesSchema = z
  .number()
  .int('whole minutes')
  .min(1, 'at least 1 minute')
  .max(MINUTES_PER_DAY, `at most ${MINUTES_PER_DAY} minutes (one day)`)
  .superRefine((n, ctx) => {
    if (!Number.isInteger(n) || n < 1 || n > MINUTES_PER_DAY || MINUTES_PER_DAY % n === 0) return;
    const below = ALLOWED_INTERVALS.filter((d) => d < n).at(-1);
    const above = ALLOWED_INTERVALS.find((d) => d > n);
    ctx.addIssue({
      code: 'custom',
      message:
        `${MINUTES_PER_DAY} (the minutes in a day) must be divisible by the interval, so that windows align with days; ` +
        `${n} does not divide it (the nearest that do: ${below} and ${above})`,
    });
  });

const outboundFields = z.object({
  environments: z.array(environmentIdSchema).min(1, 'at least one environment id').transform((ids) => [...new Set(ids)]),
  bucket: bucketSchema,
  region: regionSchema,
  /** Files are written under this folder ('' for the bucket root). */
  writePrefix: folderSchema.default(''),
  format: z.enum(EXPORT_FORMATS, { error: `a file format: ${EXPORT_FORMATS.join(', ')}` }).default('parquet'),
  /** Checked against the format below: which compressions exist depends on it; the format's first when absent. */
  compression: z.string().optional(),
  /** One export window per interval, in minutes. */
  intervalMinutes: intervalMinutesSchema.default(DEFAULT_INTERVAL_MINUTES),
});

const compressionOf = (format: ExportFormat, compression: string): ExportCodec | undefined =>
  COMPRESSIONS_BY_FORMAT[format].find((c) => c === compression);

export const outboundConfigSchema = outboundFields.transform((c, ctx) => {
  const compression = c.compression === undefined ? defaultCompressionOf(c.format) : compressionOf(c.format, c.compression);
  if (compression === undefined) {
    const elsewhere = formatsWith(c.compression!);
    ctx.addIssue({
      code: 'custom',
      path: ['compression'],
      message:
        `${JSON.stringify(c.compression)} is not a compression for ${c.format} files; choose one of: ${COMPRESSIONS_BY_FORMAT[c.format].join(', ')}` +
        (elsewhere.length > 0 ? ` (${c.compression} is one for ${elsewhere.join(', ')})` : ''),
    });
    return z.NEVER;
  }
  return { ...c, compression };
});

export type OutboundConfig = z.output<typeof outboundConfigSchema>;
export type OutboundConfigInput = z.input<typeof outboundConfigSchema>;

/** The fields an update may change: any of the configuration's (the merged result is parsed whole). */
export const outboundConfigPatchSchema = z
  .object({
    environments: z.array(z.string()).optional(),
    bucket: z.string().optional(),
    region: z.string().optional(),
    writePrefix: z.string().optional(),
    format: z.string().optional(),
    compression: z.string().optional(),
    intervalMinutes: z.number().optional(),
  })
  .strict();
export type OutboundConfigPatch = z.output<typeof outboundConfigPatchSchema>;
