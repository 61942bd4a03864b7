import { parseArgs } from 'node:util';
import { basename } from 'node:path';
import { mkdir, stat } from 'node:fs/promises';
import { loadSettings } from './config';
import { openDuckDb } from './parquet/duckdb';
import { validateLocalFile } from './parquet/validateLocalFile';
import { documentIsAllValid } from './domain/statusEntry';
import { processCommand, progressCommand, reprocessCommand, UsageError } from './cliOperate';

const USAGE = `Usage:
  cli validate <local-file> --environments <id,id,...> [--key <s3-key>] [--created-at <epoch-ms>]
      Prints the status document the file would produce. Exit 0: all entries valid, 1: some invalid, 2: usage error.
  cli process --bucket <b> --key <k> [--version-id <v>] --environments <id,...> --status-prefix <p> [--integration-id <id>]
      Starts the file workflow for an object already in the bucket (a no-op when it exists).
  cli reprocess --bucket <b> --key <k> [--version-id <v>] [--reason <text>]
      Signals reprocess within the window; after it, starts the next generation.
  cli progress --bucket <b> --key <k> [--version-id <v>]
      Prints the file workflow's progress.
Temporal and S3 settings come from the environment (see the README's configuration table).`;

async function validateCommand(args: string[]): Promise<number> {
  const { values, positionals } = parseArgs({
    args,
    allowPositionals: true,
    options: {
      environments: { type: 'string' },
      key: { type: 'string' },
      'created-at': { type: 'string' },
    },
  });
  if (positionals.length !== 1) throw new UsageError('validate takes exactly one local file');
  if (values.environments === undefined) throw new UsageError('--environments is required');
  const file = positionals[0]!;
  const info = await stat(file).catch(() => {
    throw new UsageError(`no such file: ${file}`);
  });
  if (!info.isFile()) throw new UsageError(`not a file: ${file}`);
  const createdAtArg = values['created-at'];
  // Digits only: Number('') is 0 and Number('1e3') or Number('0x10') are not what was meant.
  if (createdAtArg !== undefined && !/^\d+$/.test(createdAtArg.trim())) throw new UsageError('--created-at must be epoch milliseconds');
  const createdAt = createdAtArg !== undefined ? Number(createdAtArg) : Math.floor(info.mtimeMs);
  if (!Number.isSafeInteger(createdAt)) throw new UsageError('--created-at must be epoch milliseconds');
  const environments = values.environments.split(',').map((s) => s.trim()).filter(Boolean);
  if (environments.length === 0) throw new UsageError('--environments needs at least one environment id');

  const settings = loadSettings();
  await mkdir(settings.WORK_DIR, { recursive: true });
  const db = await openDuckDb({ memoryLimit: settings.DUCKDB_MEMORY_LIMIT, threads: settings.DUCKDB_THREADS, tempDirectory: settings.WORK_DIR });
  try {
    const doc = await validateLocalFile(db, file, {
      fileName: values.key ?? basename(file),
      originalCreationTime: createdAt,
      environments,
      targetChunkRows: settings.CHUNK_TARGET_ROWS,
      workDir: settings.WORK_DIR,
    });
    process.stdout.write(JSON.stringify(doc, null, 2) + '\n');
    return documentIsAllValid(doc) ? 0 : 1;
  } finally {
    db.closeSync();
  }
}

export async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  try {
    switch (command) {
      case 'validate':
        return await validateCommand(rest);
      case 'process':
        return await processCommand(rest);
      case 'reprocess':
        return await reprocessCommand(rest);
      case 'progress':
        return await progressCommand(rest);
      default:
        throw new UsageError(command ? `unknown command: ${command}` : 'no command given');
    }
  } catch (err) {
    if (err instanceof UsageError || (err instanceof TypeError && 'code' in err && String(err.code).startsWith('ERR_PARSE_ARGS'))) {
      process.stderr.write(`${err.message}\n\n${USAGE}\n`);
      return 2;
    }
    throw err;
  }
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err: unknown) => {
      process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
      process.exit(3);
    },
  );
}
