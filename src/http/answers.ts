import type { ServerResponse } from 'node:http';
import { PROMETHEUS_CONTENT_TYPE } from './prometheus';

/** An HTTP answer with a JSON body: `{error, detail}` for every refusal. */
export interface JsonAnswer {
  status: number;
  body: Record<string, unknown>;
  headers?: Record<string, string>;
}

export function sendJson(res: ServerResponse, answer: JsonAnswer): void {
  const body = JSON.stringify(answer.body);
  res.writeHead(answer.status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...answer.headers });
  res.end(body);
}

/** The metrics' `outcome` label: 'ok' for a 2xx, else the answer's error code. */
export const outcomeOf = (a: JsonAnswer): string => (a.status >= 200 && a.status < 300 ? 'ok' : typeof a.body.error === 'string' ? a.body.error : `HTTP_${a.status}`);

/** GET /metrics: Prometheus's text exposition format. */
export function sendMetrics(res: ServerResponse, text: string): void {
  res.writeHead(200, { 'content-type': PROMETHEUS_CONTENT_TYPE, 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
