import { createServer, IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One request the fake received, as it arrived. */
export interface RecordedRequest {
  method: string;
  /** Path and query, e.g. `/api/splitChanges?s=1.3&since=-1&rbSince=-1`. */
  url: string;
  headers: IncomingHttpHeaders;
  body: string;
}

/** A feature flag as `/splitChanges` serves it (the SDK's `ISplit` DTO, flag spec 1.3). */
export interface FlagDefinition {
  name: string;
  changeNumber: number;
  trafficTypeName: string;
  status: 'ACTIVE' | 'ARCHIVED';
  killed: boolean;
  defaultTreatment: string;
  seed: number;
  trafficAllocation: number;
  trafficAllocationSeed: number;
  algo: number;
  configurations: Record<string, string> | null;
  sets: string[];
  impressionsDisabled: boolean;
  conditions: unknown[];
}

/**
 * A flag that gives `treatment` to every key (one ROLLOUT condition on ALL_KEYS at 100 %, the
 * SDK labels it 'default rule'), and `whitelist` treatments to the keys listed there first (a
 * WHITELIST condition, label 'whitelisted').
 */
export function rolloutFlag(name: string, changeNumber: number, treatment: string, whitelist: Record<string, string> = {}): FlagDefinition {
  const whitelisted = Object.entries(whitelist).map(([key, t]) => ({
    conditionType: 'WHITELIST',
    matcherGroup: { combiner: 'AND', matchers: [{ matcherType: 'WHITELIST', negate: false, keySelector: null, whitelistMatcherData: { whitelist: [key] } }] },
    partitions: [{ treatment: t, size: 100 }],
    label: 'whitelisted',
  }));
  const treatments = [...new Set([treatment, 'off', ...Object.values(whitelist)])];
  return {
    name,
    changeNumber,
    trafficTypeName: 'user',
    status: 'ACTIVE',
    killed: false,
    defaultTreatment: 'off',
    seed: 1_234_567,
    trafficAllocation: 100,
    trafficAllocationSeed: 7_654_321,
    algo: 2,
    configurations: null,
    sets: [],
    impressionsDisabled: false,
    conditions: [
      ...whitelisted,
      {
        conditionType: 'ROLLOUT',
        matcherGroup: { combiner: 'AND', matchers: [{ matcherType: 'ALL_KEYS', negate: false, keySelector: { trafficType: 'user', attribute: null } }] },
        partitions: treatments.map((t) => ({ treatment: t, size: t === treatment ? 100 : 0 })),
        label: 'default rule',
      },
    ],
  };
}

export interface FakeSplitServer {
  /** `http://127.0.0.1:<port>/api`: the SDK's `urls.sdk`, `urls.auth` and `urls.telemetry`. */
  apiUrl: string;
  /** Every request received, in order. */
  requests: RecordedRequest[];
  close(): Promise<void>;
}

/**
 * A stand-in for the definitions server an FME (Split) SDK talks to in standalone mode, enough
 * for a Node SDK 11.x with streaming off: `GET /api/splitChanges?s=1.3&since=…&rbSince=…` answers
 * the flags once (flag spec 1.3: `{ff: {d, s, t}, rbs: {d, s, t}}`) and then "no change";
 * `GET /api/segmentChanges/<name>` an empty segment; anything else (telemetry: `/api/v1/metrics/…`,
 * `/api/v1/keys/…`) 200 `{}`. Every request is recorded.
 */
export async function startFakeSplitServer(flags: FlagDefinition[]): Promise<FakeSplitServer> {
  const till = Math.max(-1, ...flags.map((f) => f.changeNumber));
  const requests: RecordedRequest[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const url = req.url ?? '/';
      requests.push({ method: req.method ?? 'GET', url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      const u = new URL(url, 'http://fake');
      let answer: unknown = {};
      if (req.method === 'GET' && u.pathname === '/api/splitChanges') {
        const since = Number(u.searchParams.get('since') ?? -1);
        const rbSince = Number(u.searchParams.get('rbSince') ?? -1);
        answer = {
          ff: since < till ? { d: flags, s: since, t: till } : { d: [], s: since, t: since },
          rbs: { d: [], s: rbSince, t: rbSince },
        };
      } else if (req.method === 'GET' && u.pathname.startsWith('/api/segmentChanges/')) {
        const since = Number(u.searchParams.get('since') ?? -1);
        answer = { name: decodeURIComponent(u.pathname.slice('/api/segmentChanges/'.length)), added: [], removed: [], since, till: since < 1 ? 1 : since };
      }
      const body = JSON.stringify(answer);
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  return {
    apiUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}/api`,
    requests,
    async close() {
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
