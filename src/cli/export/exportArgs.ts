import { InvalidArgumentError } from 'commander';
import { describeIssues, integrationIdSchema } from '../../domain/integration/inboundConfig';
import { integrationState } from '../../integrationClient';
import type { OutboundIntegrationStateV1 } from '../../messages';
import type { Deployment } from '../deployment';
import { OperationalError, UsageError } from '../exitCodes';
import { describeExportSchedule, type ExportScheduleView } from '../../exportClient';

/** What the `export` commands share: their argument parsers and how they find the integration. */

export function parseId(value: string): string {
  const parsed = integrationIdSchema.safeParse(value);
  if (!parsed.success) throw new InvalidArgumentError(describeIssues(parsed.error));
  return parsed.data;
}

/** Digits only; whether the interval divides a day is the schema's to say, with its reasons. */
export function parseMinutes(value: string): number {
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError('whole minutes, such as 30');
  return Number(value);
}

export function parseAccountId(value: string): string {
  if (!/^\d{12}$/.test(value.trim())) throw new InvalidArgumentError('an AWS account id: 12 digits');
  return value.trim();
}

export { actor } from '../actor';

/** The integration's export schedule as Temporal describes it; missing is an operational fault with its repair. */
export async function exportScheduleOrFail(d: Deployment, id: string): Promise<ExportScheduleView> {
  const schedule = await d.withClient((client) => describeExportSchedule(client, id));
  if (!schedule) throw new OperationalError(`outbound integration "${id}" has no export schedule export/${id}: re-create it with \`cli export update --id ${id}\``);
  return schedule;
}

/** The outbound integration's state from its entity; an inbound id or none at all is a usage error. */
export async function outboundStateOrFail(d: Deployment, id: string, inboundHint: string): Promise<OutboundIntegrationStateV1> {
  const state = await d.withClient((client) => integrationState(client, id));
  if (!state) throw new UsageError(`no integration "${id}" (see \`cli integration list\`)`);
  if (state.kind !== 'outbound') throw new UsageError(`integration "${id}" is inbound: ${inboundHint.replace('<id>', id)}`);
  return state;
}
