import { execFile } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { PROJECT_ROOT, TEMPORAL_CLI } from './paths';

export const HISTORIES_DIR = join(PROJECT_ROOT, 'test', 'histories');

/**
 * With RECORD_HISTORIES=1, saves the workflow's history under test/histories/ (as the
 * Temporal CLI exports it) for the replay test. The committed files are what running
 * workflows of earlier code look like; they are recorded, never edited.
 */
export async function maybeRecordHistory(address: string, handle: WorkflowHandle, name: string, runId?: string): Promise<void> {
  if (!process.env.RECORD_HISTORIES) return;
  const args = ['workflow', 'show', '--address', address, '--workflow-id', handle.workflowId, '--output', 'json'];
  if (runId) args.push('--run-id', runId);
  const { stdout } = await promisify(execFile)(TEMPORAL_CLI, args, { maxBuffer: 64 * 1024 * 1024 });
  // Never over an earlier recording: running workflows of that code may still exist.
  await writeFile(join(HISTORIES_DIR, `${name}.json`), stdout, { flag: 'wx' }).catch((err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
    console.warn(`not recording ${name}: test/histories/${name}.json exists (recordings are never edited; name a new one)`);
  });
}
