import { execFile } from 'node:child_process';
import { accessSync, constants } from 'node:fs';
import { delimiter, join, resolve } from 'node:path';
import { PROJECT_ROOT } from './paths';

/** scripts/parquet-mr.sh: builds test/tools/parquet-mr-reader once, then reads a file with it. */
export const PARQUET_MR_SCRIPT = join(PROJECT_ROOT, 'scripts', 'parquet-mr.sh');

/** What parquet-mr (the reader Spark and Hive use) makes of a Parquet file. */
export interface ParquetMrRead {
  /** The codec of every column chunk of every row group, in file order: 'LZO', 'SNAPPY', ... */
  codecs: string[];
  /** The footer's created_by. */
  createdBy: string;
  /**
   * Every record, read through parquet-mr's record API, so every page went through the codec
   * parquet-mr picks for its chunk (for LZO: com.hadoop.compression.lzo.LzoCodec). INT32 / INT64 /
   * FLOAT / DOUBLE are numbers (an INT64 beyond 2^53 loses precision in JSON.parse), strings are
   * strings, an absent optional field is null, a string-keyed MAP is an object, a repeated field an
   * array, any other group its parquet-mr Group.toString(). See ReadParquet.java.
   */
  rows: Record<string, unknown>[];
}

/**
 * Reads `file` with parquet-mr 1.18.1 and the Hadoop LZO codec (scripts/parquet-mr.sh). The first
 * call on a machine may build the reader with Maven (scripts/setup.sh does that up front). Rejects,
 * with parquet-mr's stderr in the message, when parquet-mr cannot read the file.
 */
export function readWithParquetMr(file: string): Promise<ParquetMrRead> {
  return new Promise((done, fail) => {
    execFile(
      'bash',
      [PARQUET_MR_SCRIPT, resolve(file)],
      { cwd: PROJECT_ROOT, maxBuffer: 512 * 1024 * 1024 },
      (err, stdout, stderr) => {
        if (err) {
          fail(new Error(`parquet-mr could not read ${file} (${err.message.split('\n')[0]}):\n${stderr}`));
          return;
        }
        try {
          done(JSON.parse(stdout) as ParquetMrRead);
        } catch (parseErr) {
          fail(new Error(`parquet-mr reader printed no valid JSON for ${file}: ${String(parseErr)}\nstderr:\n${stderr}`));
        }
      },
    );
  });
}

/** Whether `java` and `mvn`, which scripts/parquet-mr.sh needs, are on PATH. */
export function parquetMrAvailable(): boolean {
  return ['java', 'mvn'].every(onPath);
}

function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(delimiter).some((dir) => {
    if (!dir) return false;
    try {
      accessSync(join(dir, command), constants.X_OK);
      return true;
    } catch {
      return false;
    }
  });
}
