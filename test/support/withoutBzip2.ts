/** Runs `fn` with a PATH that has no `bzip2`, so the JavaScript decoder is the one used. */
export async function withoutBzip2OnPath<T>(fn: () => Promise<T>): Promise<T> {
  const path = process.env.PATH;
  process.env.PATH = '/nonexistent-fme-test-bin';
  try {
    return await fn();
  } finally {
    process.env.PATH = path;
  }
}
