import { readdir, rm } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** `<kind>-<hostname>-<pid>-<random>`: a scratch directory owned by one worker or intake process. */
export function processDirName(kind: string, random: string, pid = process.pid, host = hostname()): string {
  return `${kind}-${host}-${pid}-${random}`;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/**
 * Removes scratch directories left by worker and intake processes of this host that no longer run
 * (killed, crashed), so downloaded files and DuckDB spill do not pile up. Directories of
 * other hosts sharing the disk, and of live processes, are left alone.
 */
export async function sweepDeadProcessDirs(workDir: string, host = hostname()): Promise<string[]> {
  const entries = await readdir(workDir, { withFileTypes: true }).catch(() => []);
  const removed: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const m = e.name.match(/^(worker|duckdb|intake)-(.+)-(\d+)-[0-9a-z]+$/);
    if (!m || m[2] !== host || isAlive(Number(m[3]))) continue;
    await rm(join(workDir, e.name), { recursive: true, force: true });
    removed.push(e.name);
  }
  return removed;
}
