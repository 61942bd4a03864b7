import { Connection } from '@temporalio/client';
import { TEMPORAL_CLI } from './venv';
import { startLocalProcess } from './localProcess';
import { DEV_SERVER_SEARCH_ATTRIBUTE_FLAGS } from '../client';

export interface DevServer {
  address: string;
  uiUrl: string;
  stop(): Promise<void>;
}

/** The Temporal CLI's dev server (SQLite, Web UI) from the project's virtualenv. */
export async function startTemporalDevServer(opts: { port: number; uiPort: number; dbFile: string }): Promise<DevServer> {
  const address = `127.0.0.1:${opts.port}`;
  const proc = await startLocalProcess(
    `the Temporal dev server on port ${opts.port}`,
    TEMPORAL_CLI,
    ['server', 'start-dev', '--ip', '127.0.0.1', '--port', String(opts.port), '--ui-port', String(opts.uiPort), '--db-filename', opts.dbFile, '--log-level', 'error', ...DEV_SERVER_SEARCH_ATTRIBUTE_FLAGS],
    async () => {
      const conn = await Connection.connect({ address, connectTimeout: 1_000 });
      try {
        await conn.workflowService.getSystemInfo({});
        return true;
      } finally {
        await conn.close();
      }
    },
    60_000,
  );
  return { address, uiUrl: `http://localhost:${opts.uiPort}`, stop: () => proc.stop() };
}
