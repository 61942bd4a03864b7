import { readFile } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { Client, Connection } from '@temporalio/client';
import { fileWorkflowSettings, requireSearchAttributes, SearchAttributesMissing, startFileWorkflow } from '../client';
import type { Settings } from '../config/settings';
import { IntegrationStore } from '../activities/integrations/integrationStore';
import { ObjectIdentities } from '../s3/objectIdentity';
import { createS3Client, s3ClientPool } from '../s3/s3';
import { get, httpsCertificateFetcher, localPeerCertificateFetcher } from './certificateFetchers';
import { Counters } from './counters';
import { createEndpointServer } from './httpServer';
import { IntegrationCache } from './integrationCache';
import { EndpointMetrics } from './metrics';
import { jsonLog } from '../http/jsonLog';
import { EndpointLog, handleNotification, NotificationDeps } from './notificationHandler';
import { CertificateFetcher, createSnsVerifier } from './snsVerifier';

const START_DEADLINE_MS = 10_000;

export interface EndpointProcess {
  server: Server;
  counters: Counters;
  /** What GET /metrics renders (README, "Metrics"). */
  metrics: EndpointMetrics;
  /** The port it listens on (the OS's choice when HTTP_PORT is 0). */
  port: number;
  close(): Promise<void>;
}

export interface EndpointOverrides {
  /** Tests: a Temporal client of their own environment. */
  client?: Client;
  fetchCertificate?: CertificateFetcher;
  confirmSubscription?: (url: string) => Promise<void>;
  log?: EndpointLog;
}

/**
 * The notification endpoint as a process of its own, so no activity ever blocks it: the
 * integrations' published records (cached), SNS signature checks, and file workflow starts.
 */
export async function startEndpointProcess(settings: Settings, overrides: EndpointOverrides = {}): Promise<EndpointProcess> {
  const s3 = createS3Client(settings);
  const s3ForRegion = s3ClientPool(settings, s3);
  const connection = overrides.client ? undefined : Connection.lazy({ address: settings.TEMPORAL_ADDRESS });
  const client = overrides.client ?? new Client({ connection, namespace: settings.TEMPORAL_NAMESPACE });
  // Starts fail without them; a Temporal not up yet is no reason to refuse to listen (SNS gets 503s until it is).
  const log = overrides.log ?? jsonLog(settings.LOG_LEVEL);
  // A client handed in (tests, npm start) belongs to a process that registered them already.
  const registered = overrides.client ? Promise.resolve() : requireSearchAttributes(client.connection as Connection, settings.TEMPORAL_NAMESPACE);
  registered.catch((err: unknown) => {
    if (err instanceof SearchAttributesMissing) log.warn(err.message);
  });
  await Promise.race([registered, new Promise<void>((r) => setTimeout(r, 5_000).unref())]).catch((err: unknown) => {
    if (err instanceof SearchAttributesMissing) throw err;
  });
  const counters = new Counters();
  const metrics = new EndpointMetrics();
  const identities = new ObjectIdentities(s3ForRegion);
  const fetchCertificate =
    overrides.fetchCertificate ??
    (settings.SNS_CERTIFICATE_ENDPOINT
      ? localPeerCertificateFetcher(settings.SNS_CERTIFICATE_ENDPOINT, {
          accessKeyId: process.env.AWS_ACCESS_KEY_ID ?? 'testing',
          secretAccessKey: process.env.AWS_SECRET_ACCESS_KEY ?? 'testing',
        })
      : httpsCertificateFetcher);
  const startSettings = fileWorkflowSettings(settings);
  const pendingStarts = new Set<Promise<void>>();
  const deps: NotificationDeps = {
    integrations: new IntegrationCache(new IntegrationStore(s3, settings.WAREHOUSE_BUCKET), settings.INTEGRATION_CACHE_TTL),
    verify: createSnsVerifier(fetchCertificate),
    confirmSubscription: overrides.confirmSubscription ?? (async (url) => void (await get(new URL(url)))),
    resolveObject: (bucket, key, hint, region) => identities.resolve(bucket, key, hint, region),
    async startFile(integrationId, file) {
      // SNS waits about 15 s for an answer: a start not durable within 10 s is a 503, and SNS
      // delivers again. The client's own retries can outlast a deadline, so the answer does not
      // wait for them; a start that lands later anyway is harmless (starts are idempotent).
      const start = startFileWorkflow(client, { object: file.object, originalCreationTime: file.createdAt, objectBytes: file.bytes, integration: { integrationId }, ...startSettings });
      let timer: NodeJS.Timeout | undefined;
      const late = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`the start was not durable within ${START_DEADLINE_MS} ms`)), START_DEADLINE_MS);
      });
      // Closing the connection under a start still retrying would fail it from inside the client.
      const settled = start.then(() => undefined, () => undefined);
      pendingStarts.add(settled);
      void settled.then(() => pendingStarts.delete(settled));
      try {
        const { started } = await Promise.race([start, late]);
        return { started };
      } finally {
        clearTimeout(timer);
      }
    },
    log,
    counters,
    metrics,
  };
  const tls =
    settings.TLS_CERT_FILE && settings.TLS_KEY_FILE ? { cert: await readFile(settings.TLS_CERT_FILE), key: await readFile(settings.TLS_KEY_FILE) } : undefined;
  const server = createEndpointServer(
    {
      notification: (id, body) => handleNotification(deps, id, body),
      metrics: () => metrics.render(),
      answered({ route, type, outcome, seconds }) {
        metrics.requests.inc({ route, type: type ?? 'none', outcome });
        if (route === 'notifications') metrics.duration.observe({ outcome }, seconds);
      },
    },
    tls,
  );
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.HTTP_PORT, settings.HTTP_HOST, () => resolve());
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    counters,
    metrics,
    port,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      // Idle keep-alive connections would hold close() open; requests in flight still finish.
      server.closeIdleConnections();
      await closed;
      await Promise.all(pendingStarts);
      // Closing the connection under a registration still retrying would fail it from inside the client.
      await registered.catch(() => undefined);
      await connection?.close();
    },
  };
}
