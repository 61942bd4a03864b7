/**
 * Cleanup of everything a bench starts (servers, the worker process, clients), also on Ctrl-C
 * and on failure.
 */
import { ChildProcess } from 'node:child_process';

export class Cleanup {
  /** Set on SIGINT/SIGTERM: errors after that are consequences of the stop, not findings. */
  interrupted = false;
  private steps: { name: string; fn: () => Promise<void> }[] = [];
  private children = new Set<ChildProcess>();

  add(name: string, fn: () => Promise<void>): void {
    this.steps.push({ name, fn });
  }

  /** Children killed synchronously at process exit, whatever happened before. */
  track(child: ChildProcess): void {
    this.children.add(child);
    child.once('exit', () => this.children.delete(child));
  }

  async runAll(): Promise<void> {
    while (this.steps.length > 0) {
      const step = this.steps.pop()!;
      try {
        await step.fn();
      } catch (err) {
        console.error(`cleanup of ${step.name} failed: ${String(err)}`);
      }
    }
  }

  killRemainingSync(): void {
    for (const child of this.children) child.kill('SIGKILL');
  }
}

export function installSignalHandlers(cleanup: Cleanup): void {
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      cleanup.interrupted = true;
      console.error(`\n${signal}: stopping everything the bench started`);
      void cleanup.runAll().finally(() => process.exit(130));
    });
  }
  process.once('exit', () => cleanup.killRemainingSync());
}

export async function stopChild(child: ChildProcess, graceMs: number): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
  await exited;
  clearTimeout(timer);
}
