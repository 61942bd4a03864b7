import { chmod, mkdir, writeFile } from 'node:fs/promises';
import { delimiter, join } from 'node:path';

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

/** Runs `fn` with a stand-in `bzip2`, the shell script `script`, first on PATH. */
async function withBzip2ScriptOnPath<T>(bin: string, script: string, fn: () => Promise<T>): Promise<T> {
  await mkdir(bin, { recursive: true });
  await writeFile(join(bin, 'bzip2'), `#!/bin/sh\n${script}`);
  await chmod(join(bin, 'bzip2'), 0o755);
  const path = process.env.PATH;
  process.env.PATH = `${bin}${delimiter}${path}`;
  try {
    return await fn();
  } finally {
    process.env.PATH = path;
  }
}

/**
 * Runs `fn` with a `bzip2` first on PATH that reads its input, prints `stderr` lines as the real
 * one does when it fails, and exits 1: an encoder failing (disk full) without filling the disk.
 */
export function withFailingBzip2OnPath<T>(dir: string, stderr: string[], fn: () => Promise<T>): Promise<T> {
  const lines = stderr.map((l) => `echo ${JSON.stringify(l)} >&2`).join('\n');
  return withBzip2ScriptOnPath(join(dir, 'failing-bzip2-bin'), `head -c 100 >/dev/null\n${lines}\nexit 1\n`, fn);
}

/**
 * Runs `fn` with a `bzip2` first on PATH that writes its pid as a file into the folder `started`
 * and then never finishes: an encoder still at work when the export is cancelled. `fn` gets the
 * folder, to wait for the first one and check on them all.
 */
export async function withStuckBzip2OnPath<T>(dir: string, fn: (started: string) => Promise<T>): Promise<T> {
  const started = join(dir, 'stuck-bzip2-started');
  await mkdir(started, { recursive: true });
  return withBzip2ScriptOnPath(join(dir, 'stuck-bzip2-bin'), `touch ${JSON.stringify(started)}/$$\nexec sleep 600\n`, () => fn(started));
}
