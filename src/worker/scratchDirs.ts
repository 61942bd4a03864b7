import { readdir, rm, stat } from 'node:fs/promises';
import { hostname } from 'node:os';
import { join } from 'node:path';

/** `<kind>-<hostname>-<pid>-<random>`: a scratch directory owned by one worker or intake process. */
export function processDirName(kind: string, random: string, pid = process.pid, host = hostname()): string {
  return `${kind}-${host}-${pid}-${random}`;
}

const STARTED_AT = Date.now() - process.uptime() * 1000;

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
export async function sweepDeadProcessDirs(workDir: string, host = hostname(), startedAt = STARTED_AT): Promise<string[]> {
  const entries = await readdir(workDir, { withFileTypes: true }).catch(() => []);
  const removed: string[] = [];
  for (const e of entries) {
    if (!e.isDirectory()) continue;
    const m = e.name.match(/^(worker|duckdb|intake)-(.+)-(\d+)-[0-9a-z]+$/);
    if (!m || m[2] !== host) continue;
    const pid = Number(m[3]);
    // In a container a restarted process often gets its predecessor's pid (1): a directory of
    // "our" pid last changed before this process started is the predecessor's.
    const predecessor = pid === process.pid && (await stat(join(workDir, e.name))).ctimeMs < startedAt;
    if (!predecessor && isAlive(pid)) continue;
    await rm(join(workDir, e.name), { recursive: true, force: true });
    removed.push(e.name);
  }
  return removed;
}
