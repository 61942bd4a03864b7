import { createServer } from 'node:net';
import { MOTO_SERVER } from './venv';
import { startLocalProcess } from './localProcess';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      srv.close(() => (typeof addr === 'object' && addr ? resolve(addr.port) : reject(new Error('no port'))));
    });
  });
}

export interface Moto {
  endpoint: string;
  stop(): Promise<void>;
}

/** A real moto server (S3 and SNS) on a free local port. */
export async function startMoto(opts: { port?: number } = {}): Promise<Moto> {
  const port = opts.port ?? (await freePort());
  const endpoint = `http://127.0.0.1:${port}`;
  const proc = await startLocalProcess(
    `moto_server on port ${port}`,
    MOTO_SERVER,
    ['-H', '127.0.0.1', '-p', String(port)],
    async () => (await fetch(`${endpoint}/moto-api/`)).ok,
    30_000,
  );
  return { endpoint, stop: () => proc.stop() };
}
