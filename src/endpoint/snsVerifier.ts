import { createVerify } from 'node:crypto';
import { isSnsCertificateUrl, SnsMessage, snsStringToSign } from '../domain/notifications/snsMessage';

/** Fetches a certificate PEM by its URL (already checked to be SNS's own); tests and local peers inject their own. */
export type CertificateFetcher = (url: string) => Promise<string>;

/** `failure`: the certificate URL is not SNS's own, or the signature does not match (or cannot be checked). */
export type Verdict = { ok: true } | { ok: false; failure: 'foreign-certificate-host' | 'bad-signature'; reason: string };

/**
 * Verifies an SNS message's signature, versions 1 (SHA1) and 2 (SHA256). The certificate comes
 * only from SNS's host for the topic's region; certificates are cached by URL (SNS rotates them
 * rarely), so a steady stream of notifications costs no fetch.
 */
/**
 * The certificate host answered, but not with a certificate (3xx, 4xx, not a PEM): a made-up URL
 * on SNS's own host, so the message is refused (403), not retried as if SNS were down.
 */
export class CertificateRefused extends Error {}

/** How long a refused certificate URL is remembered: a forger's repeated URL costs no fetch. */
const REFUSED_TTL_MS = 60_000;

export function createSnsVerifier(fetchCertificate: CertificateFetcher, cacheSize = 64): (m: SnsMessage) => Promise<Verdict> {
  const cache = new Map<string, Promise<string>>();
  function certificate(url: string): Promise<string> {
    let pem = cache.get(url);
    if (!pem) {
      pem = fetchCertificate(url).then((text) => {
        if (!text.includes('-----BEGIN')) throw new CertificateRefused(`${url} did not answer with a PEM`);
        return text;
      });
      // A fault (network, 5xx) is forgotten at once, so the next message tries again; a refusal is kept a while.
      pem.catch((err: unknown) => {
        if (err instanceof CertificateRefused) setTimeout(() => cache.delete(url), REFUSED_TTL_MS).unref();
        else cache.delete(url);
      });
      cache.set(url, pem);
      if (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
    }
    return pem;
  }

  return async (m) => {
    if (!isSnsCertificateUrl(m.SigningCertURL, m.TopicArn)) {
      return { ok: false, failure: 'foreign-certificate-host', reason: `SigningCertURL is not an SNS certificate of the topic's region: ${m.SigningCertURL.slice(0, 200)}` };
    }
    let pem: string;
    try {
      pem = await certificate(m.SigningCertURL);
    } catch (err) {
      if (err instanceof CertificateRefused) return { ok: false, failure: 'bad-signature', reason: `no certificate at ${m.SigningCertURL.slice(0, 200)}: ${err.message}` };
      throw err;
    }
    const verifier = createVerify(m.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
    verifier.update(snsStringToSign(m), 'utf8');
    let valid: boolean;
    try {
      valid = verifier.verify(pem, m.Signature, 'base64');
    } catch (err) {
      return { ok: false, failure: 'bad-signature', reason: `signature could not be checked: ${(err as Error).message}` };
    }
    return valid ? { ok: true } : { ok: false, failure: 'bad-signature', reason: 'signature does not match the message' };
  };
}
