import { notificationEndpointUrl } from '../../domain/integration/endpointUrl';
import { inboundPolicies, type InboundPolicies } from '../../domain/integration/policies';
import type { InboundIntegrationState, IntegrationState } from '../../messages';
import type { SweepStateV1 } from '../../activities/sweep/sweepState';

/** Everything the customer needs after a create or a change of bucket, folders or topic. */
export interface IntegrationSetup {
  integration: InboundIntegrationState;
  endpointUrl: string;
  roleArn: string;
  policies: InboundPolicies;
}

export function setupOf(state: InboundIntegrationState, publicBaseUrl: string, roleArn: string): IntegrationSetup {
  return { integration: state, endpointUrl: notificationEndpointUrl(publicBaseUrl, state.id), roleArn, policies: inboundPolicies(state.inbound, roleArn) };
}

const json = (value: unknown) => JSON.stringify(value, null, 2);
const indent = (text: string) => text.replace(/^/gm, '  ');

export function describeIntegration(s: InboundIntegrationState): string {
  const c = s.inbound;
  return [
    `id:               ${s.id}${s.deletedAt !== undefined ? `  (DELETED ${new Date(s.deletedAt).toISOString()})` : ''}`,
    `kind:             ${s.kind}`,
    `version:          ${s.configVersion} (updated ${new Date(s.updatedAt).toISOString()})`,
    `bucket:           ${c.bucket} (${c.region})`,
    `file prefix:      ${c.prefix || '(whole bucket)'}`,
    `file suffixes:    ${c.suffixes.length ? c.suffixes.join(', ') : '(any)'}`,
    `status folder:    ${c.statusPrefix}`,
    `environments:     ${c.environments.join(', ')}`,
    `SNS topic:        ${c.topicArn}`,
  ].join('\n') + '\n';
}

/** The seed's steps with this integration's values filled in, in the order the customer does them. */
export function describeSetup(setup: IntegrationSetup): string {
  const { policies } = setup;
  return [
    `Notification endpoint URL (seed: "Update SNS topic subscriptions"; protocol HTTPS, raw message delivery OFF):`,
    `  ${setup.endpointUrl}`,
    `Role ARN: ${setup.roleArn}`,
    '',
    `1. SNS topic access policy: add this statement to the topic's access policy (do not replace the policy):`,
    indent(json(policies.snsTopicStatement)),
    '',
    `2. Bucket policy (inbound): replace the bucket policy of ${setup.integration.inbound.bucket} with:`,
    indent(json(policies.bucketPolicy)),
    '',
    `3. Only if the bucket uses SSE-KMS: make sure the key policy includes:`,
    indent(json(policies.kmsKeyPolicy)),
    '',
  ].join('\n');
}

/** What the reconciliation sweep found: files that arrived without a notification mean a misconfiguration. */
export function describeSweep(s: Omit<SweepStateV1, 'seen'>): string {
  if (s.lastSweepAt === undefined) return `sweep:            not run yet\n`;
  const last = s.lastMissed ? `; last ${s.lastMissed.count} at ${new Date(s.lastMissed.at).toISOString()}, e.g. ${s.lastMissed.sample.slice(0, 3).join(', ')}` : '';
  const warning = s.missedTotal > 0 ? '  <- check the bucket notification, the topic and its subscription' : '';
  return [
    `last sweep:       ${new Date(s.lastSweepAt).toISOString()}`,
    `not notified:     ${s.missedTotal} file${s.missedTotal === 1 ? '' : 's'} found only by the sweep${last}${warning}`,
  ].join('\n') + '\n';
}

/** One line per integration for `integration list`. */
export function listLine(s: IntegrationState): string {
  const state = (s.deletedAt !== undefined ? 'deleted' : 'live').padEnd(8);
  if (s.kind === 'outbound') {
    const o = s.outbound;
    return `${s.id.padEnd(24)} ${state} v${String(s.configVersion).padEnd(4)} outbound -> s3://${o.bucket}/${o.writePrefix ? `${o.writePrefix}/` : ''}  every ${o.intervalMinutes} min  ${o.format}/${o.compression}  envs: ${o.environments.join(',')}`;
  }
  const c = s.inbound;
  const filter = `${c.prefix || '*'}/${c.suffixes.length ? `*{${c.suffixes.join(',')}}` : '*'}`;
  return `${s.id.padEnd(24)} ${state} v${String(s.configVersion).padEnd(4)} s3://${c.bucket}/${filter}  status: ${c.statusPrefix}  envs: ${c.environments.join(',')}`;
}
