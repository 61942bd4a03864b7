/** Error messages shared by the transcoder's files. */

export function notParquet(path: string, reason: string): Error {
  return new Error(`Not a valid Parquet file: ${path}: ${reason}`);
}

export function describeError(error: unknown): string {
  if (error instanceof Error) {
    return error.message || error.name;
  }
  return String(error);
}
