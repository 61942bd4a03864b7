import { Command } from 'commander';
import { EXIT_CODES_HELP, ExitCode } from './exitCodes';
import { validateCommand } from './validateCommand';
import { fileCommands } from './fileCommands';
import { integrationCommand } from './integration/integrationCommands';
import { intakeCommand } from './intake/intakeCommands';
import { exportCommand } from './export/exportCommands';

/** What a command needs of the process: where output goes and how it sets the exit code. */
export interface CommandContext {
  out(text: string): void;
  exitWith(code: ExitCode): void;
}

export interface CliIo {
  out(text: string): void;
  err(text: string): void;
}

const ENVIRONMENT_HELP = `Environment:
  Commands that reach a deployment (integration, export, intake, process, reprocess, progress)
  read TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE, TASK_QUEUE, WAREHOUSE_BUCKET, S3_ENDPOINT,
  S3_FORCE_PATH_STYLE, AWS_REGION and the AWS credentials from the environment; \`integration\`
  also PUBLIC_BASE_URL and FME_ROLE_ARN, \`export\` also FME_ROLE_ARN and EXPORT_SETTLE_DELAY
  (when the schedule does not say), \`intake key add\` also INTAKE_PUBLIC_URL (see the
  README's configuration table). Against the \`npm start\` demo, paste the environment it
  prints first.`;

/** Settings every command shares: errors are thrown to the caller instead of exiting, help after an error. */
function configure(cmd: Command, io: CliIo): Command {
  cmd
    .exitOverride()
    .configureOutput({ writeOut: io.out, writeErr: io.err })
    .showHelpAfterError(true)
    .addHelpText('after', `\n${EXIT_CODES_HELP}`);
  for (const sub of cmd.commands) configure(sub, io);
  return cmd;
}

/**
 * The whole command tree. Later groups (`integration`, `export`, `intake`) are added here as
 * subcommand trees of their own, each from its own module.
 */
export function buildProgram(io: CliIo, ctx: CommandContext): Command {
  const program = new Command('cli')
    .description('fme-s3-integration: validate event files offline and operate file workflows')
    .option('--verbose', 'print stack traces of operational failures')
    .addHelpText('after', `\n${ENVIRONMENT_HELP}`);
  program.addCommand(validateCommand(ctx));
  program.addCommand(integrationCommand(ctx));
  program.addCommand(exportCommand(ctx));
  program.addCommand(intakeCommand(ctx));
  for (const cmd of fileCommands(ctx)) program.addCommand(cmd);
  return configure(program, io);
}
