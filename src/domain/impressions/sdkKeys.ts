import { z } from 'zod';

/**
 * SDK keys: what a key stands for (an environment and its default traffic type, optionally a
 * traffic type per flag). Only the key's SHA-256 is stored; the key itself is shown once, when
 * it is added. Keys are long random strings, so a plain hash is enough (no slow KDF needed).
 */
export const ENVIRONMENT_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const identifier = z.string().regex(ENVIRONMENT_ID, 'letters, digits, and . _ : - (at most 128, not starting with punctuation)');

export const sdkKeyRegistrationSchema = z.object({
  environmentId: identifier,
  trafficTypeId: identifier,
  /** Flag name → traffic type id, for flags not of the default traffic type. */
  flagTrafficTypes: z.record(z.string().min(1), identifier).default({}),
  /** A name for people (`intake key list`). */
  label: z.string().max(200).optional(),
});
export type SdkKeyRegistration = z.infer<typeof sdkKeyRegistrationSchema>;

export const sdkKeyRecordSchema = sdkKeyRegistrationSchema.extend({
  version: z.literal(1),
  /** The key's public name: the first 12 hex digits of its hash. */
  id: z.string().regex(/^[0-9a-f]{12}$/),
  sha256: z.string().regex(/^[0-9a-f]{64}$/),
  createdAt: z.iso.datetime(),
  revokedAt: z.iso.datetime().optional(),
});
export type SdkKeyRecord = z.infer<typeof sdkKeyRecordSchema>;

/** What `intake key add` generates: a recognisable prefix (for secret scanners) and 192 random bits. */
export const SDK_KEY_FORMAT = /^fmesdk_[A-Za-z0-9_-]{32}$/;

export const sdkKeyIdOf = (sha256: string): string => sha256.slice(0, 12);

/** The traffic type of one flag's impressions under this key. */
export const trafficTypeFor = (key: SdkKeyRegistration, flag: string): string => key.flagTrafficTypes[flag] ?? key.trafficTypeId;
