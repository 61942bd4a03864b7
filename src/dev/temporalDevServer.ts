import { spawn } from 'node:child_process';
import { Connection } from '@temporalio/client';
import { TEMPORAL_CLI } from './venv';

export interface DevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

/** The Temporal CLI's dev server (SQLite, Web UI) from the project's virtualenv. */
export async function startTemporalDevServer(opts: { port: number; uiPort: number; dbFile: string }): Promise<DevServer> {
  const child = spawn(
    TEMPORAL_CLI,
    ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--ui-port', String(opts.uiPort), '--db-filename', opts.dbFile, '--log-level', 'error'],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  const killOnExit = () => child.kill('SIGTERM');
  process.once('exit', killOnExit);
  let stderr = '';
  child.stderr?.on('data', (d: Buffer) => (stderr = (stderr + d.toString()).slice(-4000)));
  const address = `127.0.0.1:${opts.port}`;
  const deadline = Date.now() + 60_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`temporal dev server exited (is port ${opts.port} taken?): ${stderr}`);
    try {
      const conn = await Connection.connect({ address, connectTimeout: 1_000 });
      await conn.workflowService.getSystemInfo({});
      await conn.close();
      break;
    } catch {
      if (Date.now() > deadline) throw new Error(`temporal dev server did not start: ${stderr}`);
      await new Promise((r) => setTimeout(r, 300));
    }
  }
  return {
    address,
    uiUrl: `http://localhost:${opts.uiPort}`,
    async stop() {
      process.removeListener('exit', killOnExit);
      if (child.exitCode !== null) return;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await exited;
    },
  };
}
