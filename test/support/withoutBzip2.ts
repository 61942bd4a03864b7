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

/**
 * Runs `fn` with a `bzip2` first on PATH that reads its input, prints `stderr` lines as the real
 * one does when it fails, and exits 1: an encoder failing (disk full) without filling the disk.
 */
export async function withFailingBzip2OnPath<T>(dir: string, stderr: string[], fn: () => Promise<T>): Promise<T> {
  const bin = join(dir, 'failing-bzip2-bin');
  await mkdir(bin, { recursive: true });
  const lines = stderr.map((l) => `echo ${JSON.stringify(l)} >&2`).join('\n');
  await writeFile(join(bin, 'bzip2'), `#!/bin/sh\nhead -c 100 >/dev/null\n${lines}\nexit 1\n`);
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
 * Runs `fn` with a `bzip2` first on PATH that writes its pid as a file into the folder `started`
 * and then never finishes: an encoder still at work when the export is cancelled. `fn` gets the
 * folder, to wait for the first one and check on them all.
 */
export async function withStuckBzip2OnPath<T>(dir: string, fn: (started: string) => Promise<T>): Promise<T> {
  const bin = join(dir, 'stuck-bzip2-bin');
  const started = join(dir, 'stuck-bzip2-started');
  await mkdir(bin, { recursive: true });
  await mkdir(started, { recursive: true });
  await writeFile(join(bin, 'bzip2'), `#!/bin/sh\ntouch ${JSON.stringify(started)}/$$\nexec sleep 600\n`);
  await chmod(join(bin, 'bzip2'), 0o755);
  const path = process.env.PATH;
  process.env.PATH = `${bin}${delimiter}${path}`;
  try {
    return await fn(started);
  } finally {
    process.env.PATH = path;
  }
}
