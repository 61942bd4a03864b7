import { z } from 'zod';
import { normalizePrefix } from '../keys';

/**
 * The one schema of an inbound integration's configuration: the CLI parses its flags with it,
 * the entity's activities check every change with it, and the HTTP service reads what the
 * entities publish with it.
 */

export const integrationIdSchema = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,62}$/, 'lowercase letters, digits and dashes, starting with a letter or digit, at most 63 characters');

/** S3 bucket names, legacy ones included (the seed's own example has underscores). */
const bucketSchema = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{1,253}[A-Za-z0-9]$/, 'an S3 bucket name');

export const regionSchema = z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d+$/, 'an AWS region such as us-east-1');

/** arn:aws:sns:<region>:<12-digit account>:<topic name> (also the aws-cn and aws-us-gov partitions). */
export const topicArnSchema = z
  .string()
  .regex(/^arn:aws(-cn|-us-gov)?:sns:[a-z]{2}(-[a-z]+)+-\d+:\d{12}:[A-Za-z0-9_-]{1,256}$/, 'an SNS topic ARN such as arn:aws:sns:us-east-1:123456789012:fme-events');

/** A folder in the bucket, kept without leading or trailing slashes. */
const folderSchema = z
  .string()
  .transform(normalizePrefix)
  .refine((p) => !p.includes('//'), 'no empty path segments (//)');

export const environmentIdSchema = z.string().min(1, 'an environment id').max(128).regex(/^\S+$/, 'no whitespace');

export const inboundConfigSchema = z
  .object({
    environments: z.array(environmentIdSchema).min(1, 'at least one environment id').transform((ids) => [...new Set(ids)]),
    bucket: bucketSchema,
    region: regionSchema,
    /** Files are taken only under this folder ('' for the whole bucket). */
    prefix: folderSchema.default(''),
    /** Files are taken only with one of these endings (empty: any key under the prefix). */
    suffixes: z.array(z.string().min(1, 'a non-empty suffix')).default([]).transform((s) => [...new Set(s)].sort()),
    topicArn: topicArnSchema,
    /** The status folder, in the same bucket. */
    statusPrefix: folderSchema.refine((p) => p.length > 0, 'a status folder (not the bucket root)'),
  })
  .superRefine((c, ctx) => {
    const topicRegion = c.topicArn.split(':')[3];
    if (topicRegion !== c.region) {
      ctx.addIssue({ code: 'custom', path: ['topicArn'], message: `S3 notifies only a topic in the bucket's region (${c.region}); this topic is in ${topicRegion}` });
    }
  });

export type InboundConfig = z.output<typeof inboundConfigSchema>;
export type InboundConfigInput = z.input<typeof inboundConfigSchema>;

/** The fields an update may change: any of the configuration's. */
export const inboundConfigPatchSchema = z
  .object({
    environments: z.array(z.string()).optional(),
    bucket: z.string().optional(),
    region: z.string().optional(),
    prefix: z.string().optional(),
    suffixes: z.array(z.string()).optional(),
    topicArn: z.string().optional(),
    statusPrefix: z.string().optional(),
  })
  .strict();
export type InboundConfigPatch = z.output<typeof inboundConfigPatchSchema>;

/** The account id in a topic ARN: the customer's AWS account, which the SNS access policy names. */
export function accountOfTopicArn(topicArn: string): string {
  return topicArn.split(':')[4] ?? '';
}

/** One line per problem, naming the field: what the CLI prints and an update's failure says. */
export function describeIssues(error: z.ZodError): string {
  return error.issues.map((i) => `${i.path.join('.') || 'configuration'}: ${i.message}`).join('; ');
}
