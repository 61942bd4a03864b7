import { z } from 'zod';
import type { ContractType } from '../eventSchema';

/**
 * The outbound impression schema of the contract ("Send Harness FME impressions to S3"), one
 * source of truth: the intake writes it, the loader checks files against it, the export writes
 * exactly these columns in this order.
 *
 * The seed marks only machineName and machineIp nullable. Real SDKs leave out a field without a
 * value (an impression without properties, an old SDK without a label or change number), so
 * label, splitVersion and properties are nullable here too: refusing such an impression would
 * lose it, and a null says "the SDK did not send one" (README, "Impression intake").
 */
const column = <T extends z.ZodType>(schema: T, contractType: Exclude<ContractType, 'Double' | 'Map<String,String>'>) => schema.meta({ contractType });

const long = z.number().int();

export const impressionSchema = z.object({
  key: column(z.string(), 'String'),
  label: column(z.string().nullable(), 'String'),
  treatment: column(z.string(), 'String'),
  splitName: column(z.string().min(1), 'String'),
  splitVersion: column(long.nullable(), 'Long'),
  properties: column(z.string().nullable(), 'String'),
  environmentId: column(z.string().min(1), 'String'),
  trafficTypeId: column(z.string().min(1), 'String'),
  sdk: column(z.string(), 'String'),
  sdkVersion: column(z.string(), 'String'),
  machineName: column(z.string().nullable(), 'String'),
  machineIp: column(z.string().nullable(), 'String'),
  timestamp: column(long, 'Long'),
  receptionTimestamp: column(long, 'Long'),
});
export type Impression = z.infer<typeof impressionSchema>;
export type ImpressionColumnName = keyof Impression;

export interface ImpressionColumn {
  name: ImpressionColumnName;
  type: 'String' | 'Long';
  /** Nullable columns may be absent or null; the others must hold a value on every row. */
  nullable: boolean;
}

export const IMPRESSION_COLUMNS: readonly ImpressionColumn[] = Object.entries(impressionSchema.shape).map(([name, schema]) => ({
  name: name as ImpressionColumnName,
  type: (schema.meta() as { contractType: 'String' | 'Long' }).contractType,
  nullable: schema.safeParse(null).success,
}));

/**
 * Columns the warehouse keeps beside the contract's, never exported: what the SDK sent that the
 * contract has no column for, which key sent it, and the content hash the export deduplicates on.
 */
export const INTAKE_EXTRA_COLUMNS = [
  { name: 'bucketingKey', type: 'String' },
  { name: 'previousTime', type: 'Long' },
  { name: 'sdkKeyId', type: 'String' },
  { name: 'contentHash', type: 'UUID' },
] as const;

/**
 * What identifies an impression for deduplication (DECISIONS, "Impressions and export"): a
 * retried SDK batch carries the same values, and there is no impression id. environmentId is
 * added to the decision's list so that loaded files (no SDK key) of two environments never
 * collapse; for SDK batches the key already implies it. Two impressions equal in all of these,
 * in the same millisecond, are one impression.
 */
export const CONTENT_HASH_FIELDS = [
  'sdkKeyId',
  'environmentId',
  'splitName',
  'key',
  'bucketingKey',
  'treatment',
  'timestamp',
  'splitVersion',
  'label',
  'properties',
] as const;
