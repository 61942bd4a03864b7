import { request } from 'node:https';
import { request as httpRequest } from 'node:http';
import { createHash, createHmac, Hash, Hmac } from 'node:crypto';
import { SignatureV4 } from '@smithy/signature-v4';
import { CertificateFetcher, CertificateRefused } from './snsVerifier';

const MAX_PEM_BYTES = 16 * 1024;
const TIMEOUT_MS = 5_000;

/** A GET with a timeout, a size cap and no redirects: the URL was checked, a redirect target would not be. */
export function get(url: URL, headers: Record<string, string> = {}): Promise<string> {
  return new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? request : httpRequest;
    const req = send(url, { method: 'GET', headers, timeout: TIMEOUT_MS }, (res) => {
      if (res.statusCode !== 200) {
        res.resume();
        const message = `GET ${url.host}${url.pathname} answered ${res.statusCode} (redirects are not followed)`;
        // 3xx and 4xx: the host answered, and not with a certificate; 5xx: a fault, tried again.
        reject(res.statusCode !== undefined && res.statusCode < 500 ? new CertificateRefused(message) : new Error(message));
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_PEM_BYTES) req.destroy(new Error(`answer larger than ${MAX_PEM_BYTES} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${url.host} timed out after ${TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end();
  });
}

type SourceData = string | ArrayBuffer | ArrayBufferView;
const bytes = (d: SourceData) => (typeof d === 'string' ? Buffer.from(d) : ArrayBuffer.isView(d) ? Buffer.from(d.buffer, d.byteOffset, d.byteLength) : Buffer.from(d));

/** SigV4's hash, from node:crypto (HMAC when given a secret). */
class NodeSha256 {
  private readonly hash: Hash | Hmac;
  constructor(secret?: SourceData) {
    this.hash = secret === undefined ? createHash('sha256') : createHmac('sha256', bytes(secret));
  }
  update(data: SourceData): void {
    this.hash.update(bytes(data));
  }
  async digest(): Promise<Uint8Array> {
    return new Uint8Array(this.hash.digest());
  }
}

/** Production: the certificate from SNS itself. */
export const httpsCertificateFetcher: CertificateFetcher = (url) => get(new URL(url));

/**
 * A local SNS peer (moto) serves the certificate it signed with at the same path on its own
 * endpoint, and only to a SigV4-signed GET scoped to `sns`. The URL is still checked as SNS's
 * own before this runs; only where it is fetched from changes (setting SNS_CERTIFICATE_ENDPOINT).
 */
export function localPeerCertificateFetcher(endpoint: string, credentials: { accessKeyId: string; secretAccessKey: string }): CertificateFetcher {
  const base = new URL(endpoint);
  return async (url) => {
    const original = new URL(url);
    const region = original.hostname.split('.')[1] ?? 'us-east-1';
    const target = new URL(original.pathname, base);
    const signer = new SignatureV4({ service: 'sns', region, credentials, sha256: NodeSha256 });
    const signed = await signer.sign({
      method: 'GET',
      protocol: target.protocol,
      hostname: target.hostname,
      port: target.port ? Number(target.port) : undefined,
      path: target.pathname,
      headers: { host: target.host },
    });
    return get(target, signed.headers as Record<string, string>);
  };
}
