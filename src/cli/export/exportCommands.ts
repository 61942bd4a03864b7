import { Command } from 'commander';
import { describeIssues } from '../../domain/integration/inboundConfig';
import { COMPRESSIONS_BY_FORMAT, EXPORT_FORMATS, outboundConfigSchema, type OutboundConfigInput, type OutboundConfigPatch } from '../../domain/integration/outboundConfig';
import { mergeOutboundPatch } from '../../domain/integration/outboundPatch';
import { describeExportSchedule } from '../../exportClient';
import { createOutboundIntegration, deleteIntegration, updateOutboundIntegration } from '../../integrationClient';
import type { OutboundIntegrationStateV1 } from '../../messages';
import { deployment } from '../deployment';
import { UsageError } from '../exitCodes';
import { parseIdList } from '../optionParsers';
import type { CommandContext } from '../program';
import { backfillCommand } from './backfillCommand';
import { actor, outboundStateOrFail, parseAccountId, parseId, parseMinutes } from './exportArgs';
import { describeExport, describeExportSetup, describeIntervals, describeSchedule, exportSetupOf } from './exportOutput';
import { statusCommand } from './statusCommand';
import { pauseCommand, resumeCommand } from './pauseCommands';

interface ConfigFlags {
  bucket?: string;
  environments?: string[];
  region?: string;
  writePrefix?: string;
  format?: string;
  compression?: string;
  interval?: number;
}
interface CommonFlags extends ConfigFlags {
  id: string;
  accountId?: string;
  json?: boolean;
}

const COMPRESSIONS_TEXT = EXPORT_FORMATS.map((f) => `${f}: ${COMPRESSIONS_BY_FORMAT[f].join(', ')}`).join('; ');

/** The configuration flags, each optional here; `create` makes the required ones required. */
function withConfigFlags(cmd: Command, creating: boolean): Command {
  const opt = (flags: string, description: string, parse?: (v: string) => unknown) => {
    if (creating) cmd.requiredOption(flags, description, parse as never);
    else cmd.option(flags, description, parse as never);
  };
  opt('--bucket <bucket>', "the customer's bucket the impressions are written to");
  opt('--environments <ids>', 'the environment ids whose impressions are exported, comma-separated', parseIdList);
  return cmd
    .option('--region <region>', creating ? "the bucket's region (default: AWS_REGION)" : "the bucket's region")
    .option('--write-prefix <folder>', creating ? 'write under this folder (default: the bucket root)' : 'write under this folder ("" for the bucket root)')
    .option('--format <format>', `${EXPORT_FORMATS.join(', ')}${creating ? ' (default: parquet)' : ''}`)
    .option('--compression <codec>', `${COMPRESSIONS_TEXT}${creating ? " (default: the format's first)" : " (a new --format alone keeps the compression if it fits, else takes the format's first)"}`)
    .option('--interval <minutes>', creating ? 'one window every this many minutes, a divisor of 1440 (default: 30)' : 'one window every this many minutes, a divisor of 1440', parseMinutes)
    .option('--account-id <id>', "the customer's AWS account id (12 digits), filled into the SSE-KMS key policy", parseAccountId)
    .option('--json', 'print the result as JSON');
}

function patchOf(flags: ConfigFlags): OutboundConfigPatch {
  const patch: OutboundConfigPatch = {};
  if (flags.bucket !== undefined) patch.bucket = flags.bucket;
  if (flags.environments !== undefined) patch.environments = flags.environments;
  if (flags.region !== undefined) patch.region = flags.region;
  if (flags.writePrefix !== undefined) patch.writePrefix = flags.writePrefix;
  if (flags.format !== undefined) patch.format = flags.format;
  if (flags.compression !== undefined) patch.compression = flags.compression;
  if (flags.interval !== undefined) patch.intervalMinutes = flags.interval;
  return patch;
}

/** Checks the whole configuration with the schema the entity uses, so mistakes exit 2 before anything is sent. */
function checkConfig(config: unknown): void {
  const parsed = outboundConfigSchema.safeParse(config);
  if (!parsed.success) throw new UsageError(describeIssues(parsed.error));
}

function createCommand(ctx: CommandContext): Command {
  const cmd = new Command('create')
    .description("create an outbound integration (its export schedule with it) and print the policies the customer pastes")
    .requiredOption('--id <id>', 'the integration id (lowercase letters, digits, dashes)', parseId);
  return withConfigFlags(cmd, true).action(async (o: CommonFlags) => {
    const d = deployment();
    const config = { ...patchOf(o), region: o.region ?? d.settings.AWS_REGION } as OutboundConfigInput;
    checkConfig(config);
    const state = await d.withClient((client) => createOutboundIntegration(client, d.settings.TASK_QUEUE, o.id, config, actor()));
    const setup = exportSetupOf(state, d.settings.FME_ROLE_ARN, o.accountId);
    if (o.json) ctx.out(JSON.stringify(setup, null, 2) + '\n');
    else
      ctx.out(
        `created outbound integration ${state.id} (configuration version ${state.configVersion}); its windows run on the Temporal Schedule ${setup.scheduleId}\n\n` +
          `${describeExport(state)}\n${describeExportSetup(setup)}`,
      );
  });
}

function updateCommand(ctx: CommandContext): Command {
  const cmd = new Command('update')
    .description("change an outbound integration's configuration (only the flags given); with none, re-apply its schedule (the workers' settle delay and lookback, or a schedule deleted by hand)")
    .requiredOption('--id <id>', 'the integration id', parseId);
  return withConfigFlags(cmd, false).action(async (o: CommonFlags) => {
    const patch = patchOf(o);
    const d = deployment();
    const current = await outboundStateOrFail(d, o.id, 'change it with `cli integration update --id <id>`');
    checkConfig(mergeOutboundPatch(current.outbound, patch));
    // Refused if someone changed it since it was read here: the check above was against that version.
    const state = await d.withClient((client) => updateOutboundIntegration(client, o.id, patch, actor(), current.configVersion));
    const setup = exportSetupOf(state, d.settings.FME_ROLE_ARN, o.accountId);
    if (o.json) return ctx.out(JSON.stringify(setup, null, 2) + '\n');
    ctx.out(`updated outbound integration ${state.id} to configuration version ${state.configVersion}\n\n${describeExport(state)}${describeIntervals(state)}`);
    if (state.outbound.intervalMinutes !== current.outbound.intervalMinutes) {
      ctx.out(`\nThe interval changed: the schedule ${setup.scheduleId} now runs every ${state.outbound.intervalMinutes} min; the first window under it starts where the last exported one ended.\n`);
    }
    const moved = state.outbound.bucket !== current.outbound.bucket || state.outbound.writePrefix !== current.outbound.writePrefix;
    if (moved) ctx.out(`\nThe bucket or write prefix changed: update the policies.\n\n${describeExportSetup(setup)}`);
  });
}

function showCommand(ctx: CommandContext): Command {
  return new Command('show')
    .description("print an outbound integration's configuration, interval history, policies and its schedule's state")
    .requiredOption('--id <id>', 'the integration id', parseId)
    .option('--account-id <id>', "the customer's AWS account id (12 digits), filled into the SSE-KMS key policy", parseAccountId)
    .option('--json', 'print the result as JSON')
    .action(async (o: { id: string; accountId?: string; json?: boolean }) => {
      const d = deployment();
      const state = await outboundStateOrFail(d, o.id, 'see `cli integration show --id <id>`');
      const schedule = await d.withClient((client) => describeExportSchedule(client, o.id));
      const setup = exportSetupOf(state, d.settings.FME_ROLE_ARN, o.accountId);
      if (o.json) return ctx.out(JSON.stringify({ ...setup, schedule: schedule ?? null }, null, 2) + '\n');
      ctx.out(`${describeExport(state)}${describeIntervals(state)}${describeSchedule(schedule)}\n${state.deletedAt === undefined ? describeExportSetup(setup) : ''}`);
    });
}

function deleteCommand(ctx: CommandContext): Command {
  return new Command('delete')
    .description('delete an outbound integration and its export schedule; the files it exported stay, its id is never reused')
    .requiredOption('--id <id>', 'the integration id', parseId)
    .option('--json', 'print the result as JSON')
    .action(async (o: { id: string; json?: boolean }) => {
      const d = deployment();
      await outboundStateOrFail(d, o.id, 'delete it with `cli integration delete --id <id>`');
      const state = await d.withClient((client) => deleteIntegration(client, o.id, actor()));
      if (o.json) return ctx.out(JSON.stringify(state, null, 2) + '\n');
      const o2 = (state as OutboundIntegrationStateV1).outbound;
      ctx.out(`deleted outbound integration ${state.id}: its export schedule is gone; the files it exported stay in s3://${o2.bucket}/${o2.writePrefix ? `${o2.writePrefix}/` : ''}.\n`);
    });
}

export function exportCommand(ctx: CommandContext): Command {
  return new Command('export')
    .description('outbound integrations: impressions exported to the customer\'s bucket on a Temporal Schedule (create, show, update, delete, backfill, status, pause, resume)')
    .addCommand(createCommand(ctx))
    .addCommand(showCommand(ctx))
    .addCommand(updateCommand(ctx))
    .addCommand(deleteCommand(ctx))
    .addCommand(backfillCommand(ctx))
    .addCommand(statusCommand(ctx))
    .addCommand(pauseCommand(ctx))
    .addCommand(resumeCommand(ctx));
}
