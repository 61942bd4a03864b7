import { basename } from 'node:path';
import { mkdir, stat } from 'node:fs/promises';
import { Command } from 'commander';
import { loadSettings } from '../config/settings';
import { openDuckDb } from '../parquet/duckdb';
import { validateLocalFile } from '../parquet/validateLocalFile';
import { documentIsAllValid } from '../domain/statusEntry';
import { ExitCode, UsageError } from './exitCodes';
import { parseEpochMs, parseIdList } from './optionParsers';
import type { CommandContext } from './program';

interface ValidateOptions {
  environments: string[];
  key?: string;
  createdAt?: number;
}

/** `validate`: the status document a local file would produce, through the worker's own code path. */
export function validateCommand(ctx: CommandContext): Command {
  return new Command('validate')
    .description('print the status document a local Parquet file would produce (JSON), offline')
    .argument('<file>', 'a local Parquet file (whole-file gzip/bzip2 and LZO pages are fine)')
    .requiredOption('--environments <ids>', "the integration's environment ids, comma-separated", parseIdList)
    .option('--key <s3-key>', 'the fileName to report (default: the file\'s basename)')
    .option('--created-at <epoch-ms>', 'originalCreationTime (default: the file\'s mtime)', parseEpochMs)
    .addHelpText('after', '\nOutput is always the status document (JSON). Exit 0 when every entry is valid, 1 when any is invalid.')
    .action(async (file: string, options: ValidateOptions) => {
      const info = await stat(file).catch(() => {
        throw new UsageError(`no such file: ${file}`);
      });
      if (!info.isFile()) throw new UsageError(`not a file: ${file}`);
      const settings = loadSettings();
      await mkdir(settings.WORK_DIR, { recursive: true });
      const db = await openDuckDb({ memoryLimit: settings.DUCKDB_MEMORY_LIMIT, threads: settings.DUCKDB_THREADS, tempDirectory: settings.WORK_DIR });
      try {
        const doc = await validateLocalFile(db, file, {
          fileName: options.key ?? basename(file),
          originalCreationTime: options.createdAt ?? Math.floor(info.mtimeMs),
          environments: options.environments,
          targetChunkRows: settings.CHUNK_TARGET_ROWS,
          workDir: settings.WORK_DIR,
          decompressionLimits: { maxBytes: settings.DECOMPRESSED_MAX_BYTES, maxRatio: settings.DECOMPRESSION_MAX_RATIO },
        });
        ctx.out(JSON.stringify(doc, null, 2) + '\n');
        ctx.exitWith(documentIsAllValid(doc) ? ExitCode.OK : ExitCode.INVALID_DATA);
      } finally {
        db.closeSync();
      }
    });
}
