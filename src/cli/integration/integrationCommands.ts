import { Command } from 'commander';
import { describeIssues, inboundConfigSchema, integrationIdSchema, type InboundConfigPatch } from '../../domain/integration/inboundConfig';
import { createIntegration, deleteIntegration, integrationState, updateIntegration } from '../../integrationClient';
import { deployment, Deployment } from '../deployment';
import { UsageError } from '../exitCodes';
import { actor } from '../actor';
import { parseIdList } from '../optionParsers';
import type { CommandContext } from '../program';
import { describeIntegration, describeSetup, describeSweep, listLine, setupOf } from './integrationOutput';
import { readSweepState, SweepStateV1 } from '../../activities/sweep/sweepState';

interface ConfigFlags {
  bucket?: string;
  region?: string;
  topicArn?: string;
  statusPrefix?: string;
  environments?: string[];
  prefix?: string;
  suffixes?: string[];
}

/** `a, b,,c` → ['a','b','c']; an empty value is an empty list (any suffix). */
const parseList = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);

function parseId(value: string): string {
  const parsed = integrationIdSchema.safeParse(value);
  if (!parsed.success) throw new UsageError(`--id: ${describeIssues(parsed.error)}`);
  return parsed.data;
}

/** The configuration flags, each optional here; `create` makes the required ones required. */
function withConfigFlags(cmd: Command, required: boolean): Command {
  const opt = (flags: string, description: string, parse?: (v: string) => unknown) => {
    if (required) cmd.requiredOption(flags, description, parse as never);
    else cmd.option(flags, description, parse as never);
  };
  opt('--bucket <bucket>', "the customer's bucket the event files arrive in");
  opt('--topic-arn <arn>', 'the SNS topic the bucket notifies (in the bucket\'s region)');
  opt('--status-prefix <folder>', 'the status folder in the same bucket, where reports are written');
  opt('--environments <ids>', 'the environment ids that receive the events, comma-separated', parseIdList);
  cmd.option('--region <region>', required ? "the bucket's region (default: AWS_REGION)" : "the bucket's region");
  cmd.option('--prefix <folder>', required ? 'take files only under this folder (default: the whole bucket)' : 'take files only under this folder ("" for the whole bucket)');
  cmd.option('--suffixes <list>', required ? 'take files only with one of these endings, comma-separated (default: any)' : 'file endings, comma-separated ("" for any)', parseList);
  return cmd.option('--json', 'print the result as JSON');
}

function patchOf(flags: ConfigFlags): InboundConfigPatch {
  const patch: InboundConfigPatch = {};
  for (const field of ['bucket', 'region', 'topicArn', 'statusPrefix', 'environments', 'prefix', 'suffixes'] as const) {
    if (flags[field] !== undefined) (patch as Record<string, unknown>)[field] = flags[field];
  }
  return patch;
}

/** Checks the whole configuration with the schema the entity uses, so mistakes exit 2 before anything is sent. */
function checkConfig(config: unknown): void {
  const parsed = inboundConfigSchema.safeParse(config);
  if (!parsed.success) throw new UsageError(describeIssues(parsed.error));
}

async function stateOrFail(d: Deployment, id: string) {
  const state = await d.withClient((client) => integrationState(client, id));
  if (!state) throw new UsageError(`no integration "${id}" (see \`cli integration list\`)`);
  if (state.kind !== 'inbound') throw new UsageError(`integration "${id}" is outbound: see \`cli export show --id ${id}\``);
  return state;
}

function createCommand(ctx: CommandContext): Command {
  return withConfigFlags(new Command('create').description('create an inbound integration and print what the customer pastes').requiredOption('--id <id>', 'the integration id (lowercase letters, digits, dashes)', parseId), true).action(
    async (o: ConfigFlags & { id: string; json?: boolean }) => {
      const d = deployment();
      const config = { ...patchOf(o), region: o.region ?? d.settings.AWS_REGION };
      checkConfig(config);
      const state = await d.withClient((client) => createIntegration(client, d.settings.TASK_QUEUE, o.id, config as never, actor()));
      const setup = setupOf(state, d.settings.PUBLIC_BASE_URL, d.settings.FME_ROLE_ARN);
      if (o.json) ctx.out(JSON.stringify(setup, null, 2) + '\n');
      else ctx.out(`created integration ${state.id} (configuration version ${state.configVersion})\n\n${describeIntegration(state)}\n${describeSetup(setup)}`);
    },
  );
}

function updateCommand(ctx: CommandContext): Command {
  return withConfigFlags(new Command('update').description("change an integration's configuration (only the flags given)").requiredOption('--id <id>', 'the integration id', parseId), false).action(
    async (o: ConfigFlags & { id: string; json?: boolean }) => {
      const patch = patchOf(o);
      if (Object.keys(patch).length === 0) throw new UsageError('nothing to change: give at least one configuration flag');
      const d = deployment();
      const current = await stateOrFail(d, o.id);
      checkConfig({ ...current.inbound, ...patch });
      // Refused if someone changed it since it was read here: the check above was against that version.
      const state = await d.withClient((client) => updateIntegration(client, o.id, patch, actor(), current.configVersion));
      const setup = setupOf(state, d.settings.PUBLIC_BASE_URL, d.settings.FME_ROLE_ARN);
      if (o.json) ctx.out(JSON.stringify(setup, null, 2) + '\n');
      else {
        const wherePoliciesChange = ['bucket', 'prefix', 'statusPrefix', 'topicArn'].some((f) => f in patch);
        ctx.out(`updated integration ${state.id} to configuration version ${state.configVersion}\n\n${describeIntegration(state)}`);
        if (wherePoliciesChange) ctx.out(`\nThe bucket, folders or topic changed: update the policies.\n\n${describeSetup(setup)}`);
      }
    },
  );
}

function showCommand(ctx: CommandContext): Command {
  return new Command('show')
    .description("print an integration's configuration, endpoint URL and policies (from its entity)")
    .requiredOption('--id <id>', 'the integration id', parseId)
    .option('--json', 'print the result as JSON')
    .action(async (o: { id: string; json?: boolean }) => {
      const d = deployment();
      const state = await stateOrFail(d, o.id);
      const setup = setupOf(state, d.settings.PUBLIC_BASE_URL, d.settings.FME_ROLE_ARN);
      // The remembered identities are the sweep's working memory, not something to show.
      const sweep: Omit<SweepStateV1, 'seen'> & { seen?: unknown } = await readSweepState(d.s3, d.settings.WAREHOUSE_BUCKET, o.id);
      delete sweep.seen;
      // Files S3 refuses (403, 301) wait, parked, without a verdict: the customer's policies need fixing.
      // Unknown (null) when the server cannot count by the search attributes.
      const parked = await d.withClient(async (client) =>
        client.workflow.count(`FmeIntegrationId = "${o.id}" AND FmeOutcome = "parked" AND ExecutionStatus = "Running"`).then((c) => c.count, () => null),
      );
      if (o.json) ctx.out(JSON.stringify({ ...setup, sweep, parkedFiles: parked }, null, 2) + '\n');
      else {
        const parkedLine =
          parked === null
            ? 'parked:           unknown (the server cannot list files by FmeOutcome)\n'
            : `parked:           ${parked} file${parked === 1 ? '' : 's'} S3 refuses to read${parked > 0 ? '  <- check the bucket policy and the region' : ''}\n`;
        ctx.out(`${describeIntegration(state)}${describeSweep(sweep)}${parkedLine}\n${state.deletedAt === undefined ? describeSetup(setup) : ''}`);
      }
    });
}

function listCommand(ctx: CommandContext): Command {
  return new Command('list')
    .description('list integrations (as their entities last published them)')
    .option('--all', 'include deleted integrations (tombstones)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { all?: boolean; json?: boolean }) => {
      const d = deployment();
      const states = (await d.integrations.list()).filter((s) => o.all || s.deletedAt === undefined);
      if (o.json) ctx.out(JSON.stringify(states, null, 2) + '\n');
      else ctx.out(states.length === 0 ? 'no integrations\n' : states.map(listLine).join('\n') + '\n');
    });
}

function deleteCommand(ctx: CommandContext): Command {
  return new Command('delete')
    .description('delete an integration: it stays as a tombstone, its stored rows stay, its id is never reused')
    .requiredOption('--id <id>', 'the integration id', parseId)
    .option('--json', 'print the result as JSON')
    .action(async (o: { id: string; json?: boolean }) => {
      const d = deployment();
      const state = await d.withClient((client) => deleteIntegration(client, o.id, actor()));
      if (o.json) ctx.out(JSON.stringify(state, null, 2) + '\n');
      else if (state.kind === 'outbound') ctx.out(`deleted outbound integration ${state.id}: its export schedule is gone; the files it exported stay.\n`);
      else
        ctx.out(
          `deleted integration ${state.id}: files that arrive for it now get INTEGRATION_CONFIG_NOT_FOUND in s3://${state.inbound.bucket}/${state.inbound.statusPrefix}/; ` +
            `open file workflows finish, stored rows stay.\n`,
        );
    });
}

export function integrationCommand(ctx: CommandContext): Command {
  return new Command('integration')
    .description('create, list, show, update and delete inbound integrations (list shows outbound ones too: see `export`)')
    .addCommand(createCommand(ctx))
    .addCommand(listCommand(ctx))
    .addCommand(showCommand(ctx))
    .addCommand(updateCommand(ctx))
    .addCommand(deleteCommand(ctx));
}
