import type { DuckDBConnection } from './duckdb';
import { sqlString } from './duckdb';
import { SDK_IMPRESSION_FIELDS, type SdkIdentity } from '../domain/impressions/sdkProtocol';
import { contentHashSql, INTAKE_COLUMNS, perFlagSql, sdkBulkJsonColumns, sqlNullableString } from './impressionSql';

/** What the intake knows of a batch beyond its body. */
export interface BatchContext {
  receptionMs: number;
  identity: SdkIdentity;
  sdkKeyId: string;
  environmentId: string;
  trafficTypeId: string;
  flagTrafficTypes: Record<string, string>;
}

/** Parquet's compression for intake files: small and fast to write and to read back at export. */
const INTAKE_CODEC = 'zstd';

/**
 * Converts one SDK bulk body (already checked against the wire schema) into one Parquet file
 * of the warehouse's impression columns, in set-based SQL: DuckDB parses the JSON on its own
 * threads, so no impression becomes a JS object here. Returns the rows written.
 */
export async function writeSdkBatchParquet(conn: DuckDBConnection, bodyFile: string, outFile: string, ctx: BatchContext): Promise<number> {
  const { identity } = ctx;
  const wire = Object.fromEntries(SDK_IMPRESSION_FIELDS.map((f) => [f.column, `imp.${f.wire}`])) as Record<(typeof SDK_IMPRESSION_FIELDS)[number]['column'], string>;
  const values: Record<string, string> = {
    key: wire.key,
    label: wire.label,
    treatment: wire.treatment,
    splitName: 'f',
    splitVersion: wire.splitVersion,
    properties: wire.properties,
    environmentId: sqlString(ctx.environmentId),
    trafficTypeId: perFlagSql('f', ctx.flagTrafficTypes, ctx.trafficTypeId),
    sdk: sqlString(identity.sdk),
    sdkVersion: sqlString(identity.sdkVersion),
    machineName: sqlNullableString(identity.machineName),
    machineIp: sqlNullableString(identity.machineIp),
    timestamp: wire.timestamp,
    receptionTimestamp: `${Math.trunc(ctx.receptionMs)}::BIGINT`,
    bucketingKey: wire.bucketingKey,
    previousTime: wire.previousTime,
    sdkKeyId: sqlString(ctx.sdkKeyId),
  };
  values.contentHash = contentHashSql({
    sdkKeyId: values.sdkKeyId!,
    environmentId: values.environmentId!,
    splitName: 'f',
    key: wire.key,
    bucketingKey: wire.bucketingKey,
    treatment: wire.treatment,
    timestamp: wire.timestamp,
    splitVersion: wire.splitVersion,
    label: wire.label,
    properties: wire.properties,
  });
  const select = INTAKE_COLUMNS.map((c) => `${values[c.name]} AS "${c.name}"`).join(', ');
  const reader = await conn.runAndReadAll(
    `COPY (
       WITH flags AS (SELECT f, unnest(i) AS imp FROM read_json(${sqlString(bodyFile)}, columns = ${sdkBulkJsonColumns()}, format = 'array'))
       SELECT ${select} FROM flags
     ) TO ${sqlString(outFile)} (FORMAT parquet, COMPRESSION ${INTAKE_CODEC})`,
  );
  return Number(reader.getRows()[0]?.[0] ?? 0);
}

/** The columns of stored OPTIMIZED-mode counts: kept for audit, never exported. */
export const COUNT_COLUMNS = ['splitName', 'hourTimestamp', 'count', 'environmentId', 'trafficTypeId', 'sdk', 'sdkVersion', 'machineName', 'machineIp', 'sdkKeyId', 'receptionTimestamp'] as const;

/** Converts one checked `/testImpressions/count` body into Parquet; returns the rows written. */
export async function writeSdkCountsParquet(conn: DuckDBConnection, bodyFile: string, outFile: string, ctx: BatchContext): Promise<number> {
  const { identity } = ctx;
  const reader = await conn.runAndReadAll(
    `COPY (
       WITH c AS (SELECT unnest(pf) AS p FROM read_json(${sqlString(bodyFile)}, columns = {pf: 'STRUCT(f VARCHAR, m BIGINT, rc BIGINT)[]'}, format = 'auto', records = true))
       SELECT p.f AS splitName, p.m AS hourTimestamp, p.rc AS "count", ${sqlString(ctx.environmentId)} AS environmentId,
              ${perFlagSql('p.f', ctx.flagTrafficTypes, ctx.trafficTypeId)} AS trafficTypeId,
              ${sqlString(identity.sdk)} AS sdk, ${sqlString(identity.sdkVersion)} AS sdkVersion,
              ${sqlNullableString(identity.machineName)} AS machineName, ${sqlNullableString(identity.machineIp)} AS machineIp,
              ${sqlString(ctx.sdkKeyId)} AS sdkKeyId, ${Math.trunc(ctx.receptionMs)}::BIGINT AS receptionTimestamp
       FROM c
     ) TO ${sqlString(outFile)} (FORMAT parquet, COMPRESSION ${INTAKE_CODEC})`,
  );
  return Number(reader.getRows()[0]?.[0] ?? 0);
}
