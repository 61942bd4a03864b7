import { Command } from 'commander';
import { fileProgress, fileWorkflowSettings, integrationIdOfFile, requestReprocessOrNextGeneration, startFileWorkflow, startNextGeneration } from '../client';
import { keyMatchesFilter } from '../domain/integration/filters';
import { integrationForKey } from '../domain/integration/conflicts';
import { WorkflowNotFoundError } from '@temporalio/client';
import { knownInboundOf } from '../activities/integrations/integrationStore';
import { fileIdOf } from '../domain/keys';
import type { FileProgressV1 } from '../messages';
import { deployment } from './deployment';
import { UsageError } from './exitCodes';
import { parseNonEmpty } from './optionParsers';
import type { CommandContext } from './program';

interface ObjectOptions {
  bucket: string;
  key: string;
  versionId?: string;
  json?: boolean;
}

/** The options that name one object version in a customer's bucket, and `--json`. */
function objectCommand(name: string, description: string): Command {
  return new Command(name)
    .description(description)
    .requiredOption('--bucket <bucket>', "the customer's bucket", parseNonEmpty)
    .requiredOption('--key <key>', 'the object key, exactly as stored', parseNonEmpty)
    .option('--version-id <id>', 'an object version (default: the current one)')
    .option('--json', 'print the result as JSON');
}

/**
 * `process`: starts the file workflow for an object already in the bucket (a notification that
 * never came). The file names its integration; each pass reads the integration's settings.
 */
function processCommand(ctx: CommandContext): Command {
  return objectCommand('process', 'start the file workflow of an object already in the bucket (a no-op when it exists)')
    .requiredOption('--integration <id>', 'the integration the file belongs to (see `cli integration list`)', parseNonEmpty)
    .action(async (o: ObjectOptions & { integration: string }) => {
      const d = deployment();
      const integration = await d.integrations.read(o.integration);
      if (!integration) throw new UsageError(`no integration "${o.integration}" (see \`cli integration list\`)`);
      if (integration.kind !== 'inbound') throw new UsageError(`integration "${o.integration}" is outbound: it exports impressions and takes no files`);
      const { inbound } = integration;
      // A deleted integration's file still starts: it gets INTEGRATION_CONFIG_NOT_FOUND, as a notified one would.
      if (integration.deletedAt === undefined && (inbound.bucket !== o.bucket || !keyMatchesFilter(inbound, o.key))) {
        throw new UsageError(
          `s3://${o.bucket}/${o.key} is outside integration "${o.integration}" (bucket ${inbound.bucket}, prefix "${inbound.prefix}", suffixes ${inbound.suffixes.join(', ') || 'any'})`,
        );
      }
      const { object, createdAt, bytes } = await d.headObject(o.bucket, o.key, o.versionId, inbound.region);
      const started = await d.withClient((client) =>
        startFileWorkflow(client, {
          object,
          originalCreationTime: createdAt,
          objectBytes: bytes,
          integration: { integrationId: o.integration },
          ...fileWorkflowSettings(d.settings),
        }),
      );
      if (o.json) ctx.out(JSON.stringify({ workflowId: started.workflowId, started: started.started }) + '\n');
      else ctx.out(`${started.started ? 'started' : 'already known (no-op)'}: ${started.workflowId}\n`);
    });
}

/** `reprocess`: signals the file workflow, or after its window starts the next generation. */
function reprocessCommand(ctx: CommandContext): Command {
  return objectCommand('reprocess', "reprocess a file with its integration's current settings: a signal within its reprocess window, else the next generation")
    .option('--reason <text>', 'why, recorded in the workflow history')
    .action(async (o: ObjectOptions & { reason?: string }) => {
      const d = deployment();
      // The key implies its integration (filters never overlap on a bucket): its region addresses the bucket.
      const byKey = integrationForKey(o.bucket, o.key, knownInboundOf(await d.integrations.list()));
      const { object, createdAt, bytes } = await d.headObject(o.bucket, o.key, o.versionId, byKey?.config.region);
      const outcome = await d.withClient(async (client) => {
        const reserved = await d.fileLedger.highestReservedGeneration(fileIdOf(object));
        let integrationId: string;
        try {
          integrationId = await integrationIdOfFile(client, object);
        } catch (err) {
          if (!(err instanceof WorkflowNotFoundError) || !byKey) throw err;
          // Temporal no longer retains the file's runs: the ledger's markers say which generation is next.
          if (byKey.deleted) throw new UsageError(`integration "${byKey.id}" was deleted: its files are not reprocessed`);
          const started = await startNextGeneration(client, {
            object,
            originalCreationTime: createdAt,
            objectBytes: bytes,
            integration: { integrationId: byKey.id },
            ...fileWorkflowSettings(d.settings),
            generation: reserved + 1,
            reason: o.reason,
          });
          return started;
        }
        const integration = await d.integrations.read(integrationId);
        if (integration?.deletedAt !== undefined) throw new UsageError(`integration "${integrationId}" was deleted: its files are not reprocessed`);
        return requestReprocessOrNextGeneration(client, object, d.settings.TASK_QUEUE, o.reason, reserved);
      });
      if (o.json) ctx.out(JSON.stringify(outcome) + '\n');
      else ctx.out(outcome.kind === 'signalled' ? `reprocess signalled: ${outcome.workflowId}\n` : `started generation ${outcome.generation}: ${outcome.workflowId}\n`);
    });
}

function describeProgress(p: FileProgressV1): string {
  const rows = p.fileRows === null ? 'unknown' : String(p.fileRows);
  return [
    `phase:            ${p.phase}`,
    `generation:       ${p.generation}`,
    `chunks:           ${p.chunksDone} of ${p.chunksTotal} done`,
    `rows:             ${p.rowsValid} valid, ${p.rowsInvalid} invalid, ${rows} in the footer`,
    `worker restarts:  ${p.workerRestarts}`,
    ...(p.smallFile ? ['path:             small file (one activity)'] : []),
    ...(p.configVersion !== undefined ? [`configuration:    version ${p.configVersion} of its integration`] : []),
    ...(p.duplicateOf ? [`duplicate of:     ${p.duplicateOf} (same content; nothing stored again)`] : []),
    ...(p.integrationDeleted ? ['integration:      deleted (INTEGRATION_CONFIG_NOT_FOUND)'] : []),
    ...(p.timesParked ? [`parked:           ${p.timesParked} time(s)${p.parkedBecause ? `; ${p.parkedBecause}` : ''}`] : []),
  ].join('\n') + '\n';
}

/** `progress`: the file workflow's progress query. */
function progressCommand(ctx: CommandContext): Command {
  return objectCommand('progress', "print a file workflow's progress (phase, chunks, rows)").action(async (o: ObjectOptions) => {
    const d = deployment();
    const { object } = await d.headObject(o.bucket, o.key, o.versionId);
    const progress = await d.withClient((client) => fileProgress(client, object));
    ctx.out(o.json ? JSON.stringify(progress, null, 2) + '\n' : describeProgress(progress));
  });
}

export function fileCommands(ctx: CommandContext): Command[] {
  return [processCommand(ctx), reprocessCommand(ctx), progressCommand(ctx)];
}
