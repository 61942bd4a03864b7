import { createServer as createHttpServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { outcomeOf, sendJson, sendMetrics } from '../http/answers';
import { BodyOverBudget, BodyTooLarge, BodyUndecodable, readBody } from '../http/requestBody';
import type { Answer, ImpressionRequest, IntakeRoute } from './impressionHandler';
import type { IntakeRouteLabel } from './intakeMetrics';

const ROUTES: Record<string, IntakeRoute> = {
  '/api/testImpressions/bulk': 'bulk',
  '/api/testImpressions/count': 'count',
};

export interface IntakeRoutes {
  impressions(request: ImpressionRequest): Promise<Answer>;
  metrics(): string;
  /** Called once per answered request. */
  answered?(route: IntakeRouteLabel, outcome: string, seconds: number): void;
  /** Limits on bodies: one request's, and all in flight together. */
  maxBodyBytes: number;
  maxInflightBytes: number;
}

function headersOf(req: IncomingMessage): Record<string, string | undefined> {
  const out: Record<string, string | undefined> = {};
  for (const [k, v] of Object.entries(req.headers)) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/**
 * The impression intake's HTTP surface, the SDKs' events URL being `<this service>/api`:
 * POST /api/testImpressions/bulk and /api/testImpressions/count, GET /healthz and GET /metrics.
 * A process of its own, so parsing multi-megabyte bodies never delays the SNS endpoint.
 */
export function createIntakeServer(routes: IntakeRoutes, tls?: { cert: Buffer; key: Buffer }): Server {
  let inflightBytes = 0;
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const arrived = process.hrtime.bigint();
    const path = (req.url ?? '/').split('?')[0]!;
    let route: IntakeRouteLabel = 'unknown';
    const reply = (answer: Answer) => {
      sendJson(res, answer);
      routes.answered?.(route, outcomeOf(answer), Number(process.hrtime.bigint() - arrived) / 1e9);
    };
    void (async () => {
      if (req.method === 'GET' && path === '/healthz') {
        route = 'healthz';
        return reply({ status: 200, body: { ok: true } });
      }
      if (req.method === 'GET' && path === '/metrics') {
        route = 'metrics';
        routes.answered?.(route, 'ok', 0);
        return sendMetrics(res, routes.metrics());
      }
      const intakeRoute = ROUTES[path];
      if (!intakeRoute) {
        req.resume();
        return reply({ status: 404, body: { error: 'NOT_FOUND', detail: 'impressions are posted to /api/testImpressions/bulk and /api/testImpressions/count' } });
      }
      route = intakeRoute;
      if (req.method !== 'POST') {
        req.resume();
        return reply({ status: 405, body: { error: 'METHOD_NOT_ALLOWED', detail: 'SDKs post impressions with POST' }, headers: { allow: 'POST' } });
      }
      const overloaded: Answer = { status: 503, body: { error: 'OVERLOADED', detail: 'too many impressions in flight; send them again shortly' }, headers: { 'retry-after': '5' } };
      // This request's share of the bytes all requests hold at once, given back when it is answered.
      let held = 0;
      const take = (bytes: number) => {
        if (inflightBytes + bytes > routes.maxInflightBytes) return false;
        inflightBytes += bytes;
        held += bytes;
        return true;
      };
      try {
        // The declared length is reserved before reading, so slow bodies read side by side cannot
        // together pass the limit; decoded bytes beyond it (gzip, chunked) are taken as they come.
        if (!take(Math.min(Number(req.headers['content-length'] ?? 0) || 0, routes.maxBodyBytes))) {
          req.resume();
          return reply(overloaded);
        }
        let decoded = 0;
        const charge = (bytes: number) => {
          decoded += bytes;
          return decoded <= held || take(decoded - held);
        };
        let body: Buffer;
        try {
          body = await readBody(req, routes.maxBodyBytes, { acceptGzip: true, charge });
        } catch (err) {
          if (err instanceof BodyTooLarge) {
            res.setHeader('connection', 'close');
            const answer = { status: 413, body: { error: 'BODY_TOO_LARGE', detail: `more than ${routes.maxBodyBytes} bytes` } };
            if (req.complete) reply(answer);
            else req.once('end', () => reply(answer));
            return;
          }
          if (err instanceof BodyOverBudget) return reply(overloaded);
          if (err instanceof BodyUndecodable) return reply({ status: 415, body: { error: 'BODY_ENCODING_UNSUPPORTED', detail: err.message } });
          return; // the client went away
        }
        reply(await routes.impressions({ route: intakeRoute, headers: headersOf(req), body, receivedAt: Date.now() }));
      } finally {
        inflightBytes -= held;
      }
    })().catch((err: unknown) => {
      console.error('intake: unexpected failure', err);
      if (!res.headersSent) reply({ status: 500, body: { error: 'INTERNAL', detail: 'unexpected failure; see the service log' } });
    });
  };
  return tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createHttpServer(handler);
}
