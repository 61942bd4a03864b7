import { userInfo } from 'node:os';
import { InvalidArgumentError } from 'commander';
import { describeIssues, integrationIdSchema } from '../../domain/integration/inboundConfig';
import { integrationState } from '../../integrationClient';
import type { OutboundIntegrationStateV1 } from '../../messages';
import type { Deployment } from '../deployment';
import { UsageError } from '../exitCodes';

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

export function actor(): string {
  try {
    return `cli:${userInfo().username}`;
  } catch {
    return 'cli';
  }
}

/** The outbound integration's state from its entity; an inbound id or none at all is a usage error. */
export async function outboundStateOrFail(d: Deployment, id: string, inboundHint: string): Promise<OutboundIntegrationStateV1> {
  const state = await d.withClient((client) => integrationState(client, id));
  if (!state) throw new UsageError(`no integration "${id}" (see \`cli integration list\`)`);
  if (state.kind !== 'outbound') throw new UsageError(`integration "${id}" is inbound: ${inboundHint.replace('<id>', id)}`);
  return state;
}
