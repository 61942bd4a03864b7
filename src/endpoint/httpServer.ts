import { createServer as createHttpServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Answer } from './notificationHandler';

/** SNS messages are at most 256 KiB; a bigger body is not one. */
export const MAX_BODY_BYTES = 256 * 1024;

const NOTIFICATION_PATH = /^\/v1\/integrations\/([a-z0-9][a-z0-9-]{0,62})\/notifications\/?$/;

export interface EndpointRoutes {
  notification(integrationId: string, body: string): Promise<Answer>;
  /** What /metrics shows: the endpoint's counters. */
  metrics(): Record<string, number>;
}

class BodyTooLarge extends Error {}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let tooLarge = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size <= MAX_BODY_BYTES) chunks.push(c);
      else if (!tooLarge) {
        // Keep reading (and dropping) the rest, so the 413 reaches the client instead of a reset.
        tooLarge = true;
        chunks.length = 0;
        reject(new BodyTooLarge());
      }
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, answer: Answer): void {
  const body = JSON.stringify(answer.body);
  res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

/**
 * The endpoint's HTTP surface: POST /v1/integrations/<id>/notifications (one URL per
 * integration, what SNS is subscribed to), GET /healthz and GET /metrics. Plain HTTP behind a
 * TLS-terminating proxy, or HTTPS when certificate files are given.
 */
export function createEndpointServer(routes: EndpointRoutes, tls?: { cert: Buffer; key: Buffer }): Server {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const path = (req.url ?? '/').split('?')[0]!;
    void (async () => {
      if (req.method === 'GET' && path === '/healthz') return send(res, { status: 200, body: { ok: true } });
      if (req.method === 'GET' && path === '/metrics') return send(res, { status: 200, body: routes.metrics() });
      const match = NOTIFICATION_PATH.exec(path);
      if (!match) return send(res, { status: 404, body: { error: 'NOT_FOUND', detail: 'POST to /v1/integrations/<id>/notifications' } });
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        return send(res, { status: 405, body: { error: 'METHOD_NOT_ALLOWED', detail: 'SNS delivers with POST' } });
      }
      let body: string;
      try {
        body = await readBody(req);
      } catch (err) {
        if (err instanceof BodyTooLarge) {
          res.setHeader('connection', 'close');
          req.once('end', () => send(res, { status: 413, body: { error: 'BODY_TOO_LARGE', detail: `more than ${MAX_BODY_BYTES} bytes` } }));
          return;
        }
        return; // the client went away
      }
      send(res, await routes.notification(match[1]!, body));
    })().catch((err: unknown) => {
      // The handler answers every failure itself; this is a bug, and still not a crash.
      console.error('endpoint: unexpected failure', err);
      if (!res.headersSent) send(res, { status: 500, body: { error: 'INTERNAL', detail: 'unexpected failure; see the service log' } });
    });
  };
  return tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createHttpServer(handler);
}
