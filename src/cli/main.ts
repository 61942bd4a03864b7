/** The CLI's entry point: `node lib/src/cli/main.js <command> ...` (`npm run -s cli -- ...`). */
import { Command, CommanderError } from 'commander';
import { ConfigError } from '../config/settings';
import { ExitCode, UsageError } from './exitCodes';
import { describeFailure } from './failureMessages';
import { buildProgram, CliIo } from './program';
import { IntegrationRefusedError } from '../integrationClient';

const processIo: CliIo = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
};

/** Runs one command line and returns its exit code; never throws. */
export async function runCli(argv: string[], io: CliIo = processIo): Promise<ExitCode> {
  let exitCode: ExitCode = ExitCode.OK;
  const program = buildProgram(io, { out: io.out, exitWith: (code) => (exitCode = code) });
  let running: Command = program;
  program.hook('preAction', (_program, action) => {
    running = action;
  });
  if (argv.length === 0) {
    io.err(`error: no command given\n\n${program.helpInformation()}`);
    return ExitCode.USAGE;
  }
  try {
    await program.parseAsync(argv, { from: 'user' });
    return exitCode;
  } catch (err) {
    if (err instanceof CommanderError) {
      // --help and --version end here too, with commander's exit code 0.
      return err.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    if (err instanceof UsageError) {
      io.err(`error: ${err.message}\n\n${running.helpInformation()}`);
      return ExitCode.USAGE;
    }
    // The entity refused the change (invalid, conflicting, deleted): nothing was done, and the message says why.
    if (err instanceof ConfigError || err instanceof IntegrationRefusedError) {
      io.err(`error: ${err.message}\n`);
      return ExitCode.USAGE;
    }
    io.err(`error: ${describeFailure(err)}\n`);
    if (program.opts<{ verbose?: boolean }>().verbose && err instanceof Error && err.stack) io.err(`${err.stack}\n`);
    return ExitCode.OPERATIONAL;
  }
}

if (require.main === module) {
  void runCli(process.argv.slice(2)).then((code) => process.exit(code));
}
