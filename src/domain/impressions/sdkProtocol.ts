import { z } from 'zod';
import type { ImpressionColumnName } from './impressionSchema';

/**
 * The wire format of the feature-flag SDKs' impression posts (Split/Harness FME SDKs):
 * `POST <events URL>/testImpressions/bulk` and, in OPTIMIZED mode, `/testImpressions/count`.
 * One table is the source of truth: the zod schema that checks a body and the columns DuckDB
 * reads it into are both derived from it.
 */
export const SDK_IMPRESSION_FIELDS = [
  { wire: 'k', column: 'key', type: 'String', required: true },
  { wire: 'b', column: 'bucketingKey', type: 'String', required: false },
  { wire: 't', column: 'treatment', type: 'String', required: true },
  { wire: 'r', column: 'label', type: 'String', required: false },
  { wire: 'c', column: 'splitVersion', type: 'Long', required: false },
  { wire: 'm', column: 'timestamp', type: 'Long', required: true },
  { wire: 'pt', column: 'previousTime', type: 'Long', required: false },
  { wire: 'properties', column: 'properties', type: 'String', required: false },
] as const satisfies readonly { wire: string; column: ImpressionColumnName | 'bucketingKey' | 'previousTime'; type: 'String' | 'Long'; required: boolean }[];

/** Longs arrive as JSON numbers; beyond 2^53 they are no longer exact, so they are refused. */
const long = z.number().int().min(Number.MIN_SAFE_INTEGER).max(Number.MAX_SAFE_INTEGER);

function wireField(f: (typeof SDK_IMPRESSION_FIELDS)[number]): z.ZodType {
  const base = f.type === 'Long' ? long : z.string();
  return f.required ? base : base.nullable().optional();
}

export const sdkImpressionSchema = z.object(Object.fromEntries(SDK_IMPRESSION_FIELDS.map((f) => [f.wire, wireField(f)])));

/** `[{"f": flag, "i": [impression, ...]}, ...]`; fields the SDK has no value for are left out. */
export const sdkBulkBodySchema = z.array(z.object({ f: z.string().min(1), i: z.array(sdkImpressionSchema) }));

/** `{"pf": [{"f": flag, "m": hour in ms, "rc": count}, ...]}`: repeats in OPTIMIZED mode. */
export const sdkCountBodySchema = z.object({
  pf: z.array(z.object({ f: z.string().min(1), m: long, rc: z.number().int().nonnegative() })),
});
export type SdkCountBody = z.infer<typeof sdkCountBodySchema>;

export const SDK_IMPRESSION_MODES = ['DEBUG', 'OPTIMIZED', 'NONE'] as const;
export type SdkImpressionMode = (typeof SDK_IMPRESSION_MODES)[number] | 'unknown';

/** Who sent a batch, from the SDK's headers. */
export interface SdkIdentity {
  sdk: string;
  sdkVersion: string;
  machineName: string | null;
  machineIp: string | null;
  mode: SdkImpressionMode;
}

export class SdkHeaderError extends Error {}

/**
 * `SplitSDKVersion` is `<language>-<version>` (`nodejs-11.11.2`, `python-10.2.0`,
 * `react-native-1.0.0-rc.1`): the language runs to the first hyphen followed by a digit.
 */
export function parseSdkVersion(header: string | undefined): { sdk: string; sdkVersion: string } {
  const value = header?.trim();
  if (!value) throw new SdkHeaderError('the SplitSDKVersion header is missing: SDKs send <language>-<version>, such as nodejs-11.11.2');
  const match = /^(.+?)-(\d.*)$/.exec(value);
  if (!match) throw new SdkHeaderError(`SplitSDKVersion ${JSON.stringify(value)} is not <language>-<version>, such as nodejs-11.11.2`);
  return { sdk: match[1]!, sdkVersion: match[2]! };
}

/** SDKs that may not report the machine send `unknown` (or nothing): both are null. */
export function machineHeader(value: string | undefined): string | null {
  const v = value?.trim();
  return !v || v.toLowerCase() === 'unknown' || v.toUpperCase() === 'NA' ? null : v;
}

export function impressionMode(value: string | undefined): SdkImpressionMode {
  const v = value?.trim().toUpperCase();
  return (SDK_IMPRESSION_MODES as readonly string[]).includes(v ?? '') ? (v as SdkImpressionMode) : 'unknown';
}

export function sdkIdentity(headers: Record<string, string | undefined>): SdkIdentity {
  return {
    ...parseSdkVersion(headers.splitsdkversion),
    machineName: machineHeader(headers.splitsdkmachinename),
    machineIp: machineHeader(headers.splitsdkmachineip),
    mode: impressionMode(headers.splitsdkimpressionsmode),
  };
}

/** The first problem of a refused body, as the 400's detail: where, and what was expected. */
export function describeBodyIssue(error: z.ZodError): string {
  const issue = error.issues[0]!;
  const path = issue.path.length ? issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '') : 'the body';
  const more = error.issues.length > 1 ? ` (and ${error.issues.length - 1} more)` : '';
  return `${path}: ${issue.message}${more}`;
}
