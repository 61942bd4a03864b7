import { Command, InvalidArgumentError } from 'commander';
import { ENVIRONMENT_ID, type SdkKeyRecord } from '../../domain/impressions/sdkKeys';
import { SdkKeyNotFound } from '../../s3/sdkKeyStore';
import { deployment } from '../deployment';
import { UsageError } from '../exitCodes';
import type { CommandContext } from '../program';

function parseIdentifier(value: string): string {
  if (!ENVIRONMENT_ID.test(value)) throw new InvalidArgumentError('letters, digits, and . _ : - (at most 128)');
  return value;
}

/** `flag=trafficType`, repeatable. */
function collectFlagTrafficType(value: string, previous: Record<string, string> = {}): Record<string, string> {
  const at = value.indexOf('=');
  const flag = value.slice(0, at).trim();
  const trafficType = value.slice(at + 1).trim();
  if (at < 1 || !flag || !ENVIRONMENT_ID.test(trafficType)) throw new InvalidArgumentError('expected <flag>=<traffic type id>, such as checkout_flow=account');
  return { ...previous, [flag]: trafficType };
}

const when = (iso: string) => iso.replace(/\.\d{3}Z$/, 'Z');

function describeKey(r: SdkKeyRecord): string {
  const perFlag = Object.entries(r.flagTrafficTypes).map(([f, t]) => `${f}=${t}`);
  return [
    `id:            ${r.id}${r.label ? `  (${r.label})` : ''}`,
    `environment:   ${r.environmentId}`,
    `traffic type:  ${r.trafficTypeId}${perFlag.length ? `; per flag: ${perFlag.join(', ')}` : ''}`,
    `created:       ${when(r.createdAt)}`,
    ...(r.revokedAt ? [`revoked:       ${when(r.revokedAt)}`] : []),
  ].join('\n');
}

/** The public view of a record: its hash stays in the warehouse. */
const publicRecord = ({ sha256: _sha256, ...rest }: SdkKeyRecord) => rest;

function addCommand(ctx: CommandContext): Command {
  return new Command('add')
    .description('register a new SDK key and print it (shown once: only its hash is stored)')
    .requiredOption('--environment <id>', 'the environment id the key stands for', parseIdentifier)
    .requiredOption('--traffic-type <id>', "the traffic type id of the key's impressions", parseIdentifier)
    .option('--flag-traffic-type <flag=id>', 'a traffic type for one flag, when not the default (repeatable)', collectFlagTrafficType)
    .option('--label <text>', 'a name for people, shown by `intake key list`')
    .option('--json', 'print the result as JSON')
    .action(async (o: { environment: string; trafficType: string; flagTrafficType?: Record<string, string>; label?: string; json?: boolean }) => {
      const d = deployment();
      const { key, record } = await d.sdkKeys.add({ environmentId: o.environment, trafficTypeId: o.trafficType, flagTrafficTypes: o.flagTrafficType ?? {}, label: o.label });
      const eventsUrl = `${d.settings.INTAKE_PUBLIC_URL.replace(/\/+$/, '')}/api`;
      if (o.json) ctx.out(JSON.stringify({ key, ...publicRecord(record), eventsUrl }, null, 2) + '\n');
      else
        ctx.out(
          `SDK key (shown once; put it in the SDK's configuration): ${key}\n\n${describeKey(record)}\n\n` +
            `Point the SDK's events URL at the intake: urls.events = ${eventsUrl}\n` +
            'Use impressionsMode DEBUG for a complete export (OPTIMIZED sends repeats only as counts).\n',
        );
    });
}

function listCommand(ctx: CommandContext): Command {
  return new Command('list')
    .description('list the SDK keys: id, environment, traffic type, created and revoked')
    .option('--json', 'print the result as JSON')
    .action(async (o: { json?: boolean }) => {
      const records = await deployment().sdkKeys.list();
      if (o.json) return ctx.out(JSON.stringify(records.map(publicRecord), null, 2) + '\n');
      if (records.length === 0) return ctx.out('no SDK keys (`intake key add` registers one)\n');
      for (const r of records) {
        const state = r.revokedAt ? `revoked ${when(r.revokedAt)}` : 'active';
        ctx.out(`${r.id}  ${r.environmentId}  ${r.trafficTypeId}  created ${when(r.createdAt)}  ${state}${r.label ? `  ${r.label}` : ''}\n`);
      }
    });
}

function revokeCommand(ctx: CommandContext): Command {
  return new Command('revoke')
    .description('revoke an SDK key by its id (or the key itself); intakes refuse it within INTAKE_KEY_CACHE_TTL')
    .argument('<id>', 'the key id from `intake key list`, or the key')
    .option('--json', 'print the result as JSON')
    .action(async (id: string, o: { json?: boolean }) => {
      const d = deployment();
      let record: SdkKeyRecord;
      try {
        record = await d.sdkKeys.revoke(id.trim());
      } catch (err) {
        if (err instanceof SdkKeyNotFound) throw new UsageError(err.message);
        throw err;
      }
      if (o.json) ctx.out(JSON.stringify(publicRecord(record), null, 2) + '\n');
      else ctx.out(`revoked SDK key ${record.id}; intakes refuse it within ${d.settings.INTAKE_KEY_CACHE_TTL / 1000} s\n\n${describeKey(record)}\n`);
    });
}

export function keyCommand(ctx: CommandContext): Command {
  return new Command('key')
    .description("the SDK keys the impression intake accepts (stored as hashes in the warehouse bucket)")
    .addCommand(addCommand(ctx))
    .addCommand(listCommand(ctx))
    .addCommand(revokeCommand(ctx));
}
