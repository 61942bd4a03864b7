import { Command } from 'commander';
import { fileProgress, fileWorkflowSettings, requestReprocessOrNextGeneration, startFileWorkflow } from '../client';
import type { FileProgressV1 } from '../messages';
import { deployment } from './deployment';
import { parseIdList, parseNonEmpty } from './optionParsers';
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

/** `process`: starts the file workflow for an object already in the bucket (a notification that never came). */
function processCommand(ctx: CommandContext): Command {
  return objectCommand('process', 'start the file workflow of an object already in the bucket (a no-op when it exists)')
    .requiredOption('--environments <ids>', "the integration's environment ids, comma-separated", parseIdList)
    .requiredOption('--status-prefix <prefix>', 'the status folder in the same bucket', parseNonEmpty)
    .option('--integration-id <id>', 'the integration the file belongs to', 'cli')
    .action(async (o: ObjectOptions & { environments: string[]; statusPrefix: string; integrationId: string }) => {
      const d = deployment();
      const { object, createdAt, bytes } = await d.headObject(o.bucket, o.key, o.versionId);
      const started = await d.withClient((client) =>
        startFileWorkflow(client, {
          object,
          originalCreationTime: createdAt,
          objectBytes: bytes,
          integration: { integrationId: o.integrationId, environments: o.environments, statusPrefix: o.statusPrefix },
          ...fileWorkflowSettings(d.settings),
        }),
      );
      if (o.json) ctx.out(JSON.stringify({ workflowId: started.workflowId, started: started.started }) + '\n');
      else ctx.out(`${started.started ? 'started' : 'already known (no-op)'}: ${started.workflowId}\n`);
    });
}

/** `reprocess`: signals the file workflow, or after its window starts the next generation. */
function reprocessCommand(ctx: CommandContext): Command {
  return objectCommand('reprocess', 'reprocess a file: a signal within its reprocess window, else the next generation')
    .option('--reason <text>', 'why, recorded in the workflow history')
    .action(async (o: ObjectOptions & { reason?: string }) => {
      const d = deployment();
      const { object } = await d.headObject(o.bucket, o.key, o.versionId);
      const outcome = await d.withClient((client) => requestReprocessOrNextGeneration(client, object, d.settings.TASK_QUEUE, o.reason));
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
