import { randomBytes } from 'node:crypto';
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import type { Settings } from '../config/settings';
import { jsonLog, type ServiceLog } from '../http/jsonLog';
import { openDuckDb } from '../parquet/duckdb';
import { createS3Client } from '../s3/s3';
import { SdkKeyStore } from '../s3/sdkKeyStore';
import { BatchStore } from './batchStore';
import { handleImpressions, type ImpressionDeps } from './impressionHandler';
import { IntakeMetrics } from './intakeMetrics';
import { createIntakeServer } from './intakeServer';
import { SdkKeyCache } from './sdkKeyCache';
import { processDirName, sweepDeadProcessDirs } from '../worker/scratchDirs';

export interface IntakeProcess {
  server: Server;
  metrics: IntakeMetrics;
  /** The port it listens on (the OS's choice when INTAKE_PORT is 0). */
  port: number;
  close(): Promise<void>;
}

export interface IntakeOverrides {
  log?: ServiceLog;
  /** Tests: stand in for the warehouse write (a slow or failing store). */
  store?: ImpressionDeps['store'];
}

/**
 * The impression intake as a process of its own: SDK keys (cached), the SDK wire format checked
 * with zod, DuckDB turning each accepted batch into Parquet, and a PUT to the warehouse before
 * the answer. Stateless: run as many as the SDKs' traffic needs behind one load balancer.
 */
export async function startIntakeProcess(settings: Settings, overrides: IntakeOverrides = {}): Promise<IntakeProcess> {
  const s3 = createS3Client(settings);
  // A scratch directory of this process's own: several intakes may share WORK_DIR, and what a
  // killed one left behind is removed by the next to start on the host.
  await sweepDeadProcessDirs(settings.WORK_DIR);
  const workDir = join(settings.WORK_DIR, processDirName('intake', randomBytes(4).toString('hex')));
  const db = await openDuckDb({ memoryLimit: settings.DUCKDB_MEMORY_LIMIT, threads: settings.DUCKDB_THREADS, tempDirectory: join(workDir, 'duckdb') });
  const log = overrides.log ?? jsonLog(settings.LOG_LEVEL);
  const metrics = new IntakeMetrics();
  const batchStore = new BatchStore(db, s3, settings.WAREHOUSE_BUCKET, join(workDir, 'batches'), settings.INTAKE_CONCURRENCY);
  const deps: ImpressionDeps = {
    keys: new SdkKeyCache(new SdkKeyStore(s3, settings.WAREHOUSE_BUCKET), settings.INTAKE_KEY_CACHE_TTL),
    store: overrides.store ?? batchStore,
    log,
    deadlineMs: settings.INTAKE_ANSWER_DEADLINE,
    stored: (route, rows, identity) => metrics.impressions.inc({ route, mode: identity.mode }, rows),
  };
  const tls =
    settings.TLS_CERT_FILE && settings.TLS_KEY_FILE ? { cert: await readFile(settings.TLS_CERT_FILE), key: await readFile(settings.TLS_KEY_FILE) } : undefined;
  const server = createIntakeServer(
    {
      impressions: (request) => handleImpressions(deps, request),
      metrics: () => metrics.render(),
      answered(route, outcome, seconds) {
        metrics.requests.inc({ route, outcome });
        if (route === 'bulk' || route === 'count') metrics.duration.observe({ route }, seconds);
      },
      maxBodyBytes: settings.INTAKE_MAX_BODY_BYTES,
      maxInflightBytes: settings.INTAKE_MAX_INFLIGHT_BYTES,
    },
    tls,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.INTAKE_PORT, settings.HTTP_HOST, () => resolve());
  });
  return {
    server,
    metrics,
    port: (server.address() as AddressInfo).port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Idle keep-alive connections would hold close() open; batches in flight still finish.
      server.closeIdleConnections();
      await closed;
      // Stores answered late may still run: DuckDB and the scratch space stay until they end.
      await batchStore.drain();
      db.closeSync();
      await rm(workDir, { recursive: true, force: true });
    },
  };
}
