import { request as httpRequest } from 'node:http';
import { gzipSync } from 'node:zlib';

/** One impression as an SDK posts it (fields without a value left out). */
export interface WireImpression {
  k: string;
  b?: string;
  t: string;
  r?: string;
  c?: number;
  m: number;
  pt?: number;
  properties?: string;
}
export type WireBulkBody = { f: string; i: WireImpression[] }[];

/**
 * A bulk body as the Node SDK posts its queue: `flags` flags with `perFlag` impressions each,
 * every field filled in the way real SDKs fill them, a few left out (no bucketing key, no
 * previous time, properties on one in three). Deterministic for a given `startMs`.
 */
export function sdkBulkBody(flags: number, perFlag: number, startMs: number): WireBulkBody {
  const body: WireBulkBody = [];
  for (let f = 0; f < flags; f++) {
    const i: WireImpression[] = [];
    for (let n = 0; n < perFlag; n++) {
      // Keys as real users' ids look (uuid-like), so a 30,000-impression queue is the 4.6 MB the Node SDK posts.
      const imp: WireImpression = { k: `${(startMs + f * 1_000_003 + n * 7919).toString(16).padStart(12, '0')}-4a1b-9c2d-user-${f}-${n}`, t: n % 3 === 0 ? 'on' : 'off', r: 'default rule', c: 1_764_000_000_000 + f, m: startMs + n };
      if (n % 2 === 0) imp.b = `account-${n % 17}`;
      if (n % 5 !== 0) imp.pt = startMs - 60_000;
      if (n % 3 === 0) imp.properties = JSON.stringify({ plan: n % 2 ? 'gold' : 'free', seat: n });
      i.push(imp);
    }
    body.push({ f: `flag_${f}`, i });
  }
  return body;
}

export interface SdkHeaders {
  sdkVersion?: string;
  machineName?: string;
  machineIp?: string;
  mode?: string;
}

/** The headers an SDK sends with its posts. */
export function sdkHeaders(sdkKey: string | undefined, h: SdkHeaders = {}): Record<string, string> {
  const out: Record<string, string> = { 'content-type': 'application/json' };
  if (sdkKey !== undefined) out.authorization = `Bearer ${sdkKey}`;
  if (h.sdkVersion !== undefined) out.SplitSDKVersion = h.sdkVersion;
  if (h.machineName !== undefined) out.SplitSDKMachineName = h.machineName;
  if (h.machineIp !== undefined) out.SplitSDKMachineIP = h.machineIp;
  if (h.mode !== undefined) out.SplitSDKImpressionsMode = h.mode;
  return out;
}

export interface PostResult {
  status: number;
  body: Record<string, unknown>;
  headers: Record<string, string | string[] | undefined>;
}

/** POSTs a body (a string or bytes as is, anything else as JSON) to the intake; optionally gzipped. */
export function postToIntake(url: string, headers: Record<string, string>, body: unknown, opts: { gzip?: boolean; agent?: import('node:http').Agent } = {}): Promise<PostResult> {
  let bytes = Buffer.isBuffer(body) ? body : Buffer.from(typeof body === 'string' ? body : JSON.stringify(body));
  const h: Record<string, string | number> = { ...headers };
  if (opts.gzip) {
    bytes = gzipSync(bytes);
    h['content-encoding'] = 'gzip';
  }
  h['content-length'] = bytes.length;
  return new Promise((resolve, reject) => {
    const req = httpRequest(url, { method: 'POST', headers: h, agent: opts.agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let parsed: Record<string, unknown> = {};
        try {
          parsed = JSON.parse(text) as Record<string, unknown>;
        } catch {
          parsed = { text };
        }
        resolve({ status: res.statusCode ?? 0, body: parsed, headers: res.headers });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(bytes);
  });
}
