import { z } from 'zod';

/**
 * The inbound event schema of the contract, as one source of truth: the zod schema
 * validates events arriving as JSON (HTTP intake, CLI), and EVENT_COLUMNS drives the
 * Parquet schema check and the SQL row rules.
 */
export const TIMESTAMP_MIN_MS = 946_684_800_000; // 2000-01-01T00:00:00Z
export const TIMESTAMP_MAX_MS = 4_102_444_800_000; // 2100-01-01T00:00:00Z (exclusive)

export const eventSchema = z.object({
  environmentId: z.string(),
  trafficTypeId: z.string(),
  eventTypeId: z.string(),
  key: z.string(),
  timestamp: z.number().int().gte(TIMESTAMP_MIN_MS).lt(TIMESTAMP_MAX_MS),
  value: z.number().nullable().optional(),
  properties: z.record(z.string(), z.string()).nullable().optional(),
});
export type Event = z.infer<typeof eventSchema>;

export type ContractType = 'String' | 'Long' | 'Double' | 'Map<String,String>';

export interface EventColumn {
  name: keyof Event;
  type: ContractType;
  /** Required columns must be present and non-null on every row. */
  required: boolean;
}

export const EVENT_COLUMNS: readonly EventColumn[] = [
  { name: 'environmentId', type: 'String', required: true },
  { name: 'trafficTypeId', type: 'String', required: true },
  { name: 'eventTypeId', type: 'String', required: true },
  { name: 'key', type: 'String', required: true },
  { name: 'timestamp', type: 'Long', required: true },
  { name: 'value', type: 'Double', required: false },
  { name: 'properties', type: 'Map<String,String>', required: false },
];

export const REQUIRED_COLUMNS = EVENT_COLUMNS.filter((c) => c.required).map((c) => c.name);
