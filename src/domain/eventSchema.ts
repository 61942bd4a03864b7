import { z } from 'zod';

/**
 * The inbound event schema of the contract, one source of truth: the zod schema validates
 * events arriving as JSON (future HTTP intake, tests), and EVENT_COLUMNS, derived from it,
 * drives the Parquet schema check and the SQL row rules.
 */
export const TIMESTAMP_MIN_MS = 946_684_800_000; // 2000-01-01T00:00:00Z
export const TIMESTAMP_MAX_MS = 4_102_444_800_000; // 2100-01-01T00:00:00Z (exclusive)

export type ContractType = 'String' | 'Long' | 'Double' | 'Map<String,String>';

const column = <T extends z.ZodType>(schema: T, contractType: ContractType) => schema.meta({ contractType });

export const eventSchema = z.object({
  environmentId: column(z.string(), 'String'),
  trafficTypeId: column(z.string(), 'String'),
  eventTypeId: column(z.string(), 'String'),
  key: column(z.string(), 'String'),
  timestamp: column(z.number().int().gte(TIMESTAMP_MIN_MS).lt(TIMESTAMP_MAX_MS), 'Long'),
  value: column(z.number().nullable().optional(), 'Double'),
  properties: column(z.record(z.string(), z.string()).nullable().optional(), 'Map<String,String>'),
});
export type Event = z.infer<typeof eventSchema>;

export interface EventColumn {
  name: keyof Event;
  type: ContractType;
  /** Required columns must be present and non-null on every row. */
  required: boolean;
}

export const EVENT_COLUMNS: readonly EventColumn[] = Object.entries(eventSchema.shape).map(([name, schema]) => ({
  name: name as keyof Event,
  type: (schema.meta() as { contractType: ContractType }).contractType,
  required: !schema.safeParse(null).success,
}));

export const REQUIRED_COLUMNS = EVENT_COLUMNS.filter((c) => c.required).map((c) => c.name);
