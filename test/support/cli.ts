import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { StatusEntry } from '../../src/domain/statusEntry';
import { statusDocumentSchema } from '../../src/domain/statusEntrySchema';
import { PROJECT_ROOT } from './paths';

export interface CliRun {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (`node lib/src/cli/main.js ...`) as a user does, with extra environment. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliRun> {
  return new Promise((resolve) => {
    execFile('node', ['lib/src/cli/main.js', ...args], { cwd: PROJECT_ROOT, env: { ...process.env, ...env }, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      const code = err ? (typeof err.code === 'number' ? err.code : null) : 0;
      resolve({ code, stdout, stderr });
    });
  });
}

/** `cli validate <file>`: the entries of the one file in its status document (exit 0 or 1 checked). */
export async function validateWithCli(file: string, environments: string, env: Record<string, string>): Promise<StatusEntry[]> {
  const run = await runCli(['validate', file, '--environments', environments, '--created-at', '1700000000000'], env);
  assert.ok(run.code === 0 || run.code === 1, `exit ${run.code}; stderr: ${run.stderr}`);
  const doc = statusDocumentSchema.parse(JSON.parse(run.stdout));
  const entries = Object.values(doc);
  assert.equal(entries.length, 1, 'one file in the document');
  assert.equal(run.code, entries[0]!.every((e) => e.valid) ? 0 : 1, 'exit 0 exactly when every entry is valid');
  return entries[0]!;
}
