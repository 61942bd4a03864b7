import { createServer as createHttpServer, IncomingMessage, Server, ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import type { Answer } from './notificationHandler';
import type { EndpointRoute } from './metrics';
import { outcomeOf, sendJson, sendMetrics } from '../http/answers';
import { BodyTooLarge, BodyUndecodable, readBody } from '../http/requestBody';

/** SNS messages are at most 256 KiB; a bigger body is not one. */
export const MAX_BODY_BYTES = 256 * 1024;

const NOTIFICATION_PATH = /^\/v1\/integrations\/([a-z0-9][a-z0-9-]{0,62})\/notifications\/?$/;

/** One answered request, as the metrics count it. */
export interface AnsweredRequest {
  route: EndpointRoute;
  /** The SNS message's Type, when the body was read as one. */
  type?: string;
  /** 'ok' for a 2xx, else the answer's error code. */
  outcome: string;
  /** From the request's arrival to its answer. */
  seconds: number;
}

export interface EndpointRoutes {
  notification(integrationId: string, body: string): Promise<Answer>;
  /** What GET /metrics shows: Prometheus's text exposition format. */
  metrics(): string;
  /** Called once per answered request. */
  answered?(request: AnsweredRequest): void;
}

/**
 * The endpoint's HTTP surface: POST /v1/integrations/<id>/notifications (one URL per
 * integration, what SNS is subscribed to), GET /healthz and GET /metrics. Plain HTTP behind a
 * TLS-terminating proxy, or HTTPS when certificate files are given.
 */
export function createEndpointServer(routes: EndpointRoutes, tls?: { cert: Buffer; key: Buffer }): Server {
  const handler = (req: IncomingMessage, res: ServerResponse) => {
    const arrived = process.hrtime.bigint();
    const path = (req.url ?? '/').split('?')[0]!;
    let route: EndpointRoute = 'unknown';
    const counted = (answer: Answer) => {
      const seconds = Number(process.hrtime.bigint() - arrived) / 1e9;
      routes.answered?.({ route, ...(answer.type ? { type: answer.type } : {}), outcome: outcomeOf(answer), seconds });
    };
    const reply = (answer: Answer) => {
      sendJson(res, answer);
      counted(answer);
    };
    void (async () => {
      if (req.method === 'GET' && path === '/healthz') {
        route = 'healthz';
        return reply({ status: 200, body: { ok: true } });
      }
      if (req.method === 'GET' && path === '/metrics') {
        route = 'metrics';
        // Counted before rendering, so a scrape sees itself.
        counted({ status: 200, body: {} });
        return sendMetrics(res, routes.metrics());
      }
      const match = NOTIFICATION_PATH.exec(path);
      if (!match) return reply({ status: 404, body: { error: 'NOT_FOUND', detail: 'POST to /v1/integrations/<id>/notifications' } });
      route = 'notifications';
      if (req.method !== 'POST') {
        res.setHeader('allow', 'POST');
        return reply({ status: 405, body: { error: 'METHOD_NOT_ALLOWED', detail: 'SNS delivers with POST' } });
      }
      let body: string;
      try {
        body = (await readBody(req, MAX_BODY_BYTES)).toString('utf8');
      } catch (err) {
        if (err instanceof BodyTooLarge) {
          res.setHeader('connection', 'close');
          const answer = { status: 413, body: { error: 'BODY_TOO_LARGE', detail: `more than ${MAX_BODY_BYTES} bytes` } };
          if (req.complete) reply(answer);
          else req.once('end', () => reply(answer));
          return;
        }
        // SNS never encodes its bodies: anything else is not SNS.
        if (err instanceof BodyUndecodable) return reply({ status: 415, body: { error: 'BODY_ENCODING_UNSUPPORTED', detail: err.message } });
        return; // the client went away
      }
      reply(await routes.notification(match[1]!, body));
    })().catch((err: unknown) => {
      // The handler answers every failure itself; this is a bug, and still not a crash.
      console.error('endpoint: unexpected failure', err);
      if (!res.headersSent) reply({ status: 500, body: { error: 'INTERNAL', detail: 'unexpected failure; see the service log' } });
    });
  };
  return tls ? createHttpsServer({ cert: tls.cert, key: tls.key }, handler) : createHttpServer(handler);
}
