import { createVerify } from 'node:crypto';
import { isSnsCertificateUrl, SnsMessage, snsStringToSign } from '../domain/notifications/snsMessage';

/** Fetches a certificate PEM by its URL (already checked to be SNS's own); tests and local peers inject their own. */
export type CertificateFetcher = (url: string) => Promise<string>;

export type Verdict = { ok: true } | { ok: false; reason: string };

/**
 * Verifies an SNS message's signature, versions 1 (SHA1) and 2 (SHA256). The certificate comes
 * only from SNS's host for the topic's region; certificates are cached by URL (SNS rotates them
 * rarely), so a steady stream of notifications costs no fetch.
 */
export function createSnsVerifier(fetchCertificate: CertificateFetcher, cacheSize = 64): (m: SnsMessage) => Promise<Verdict> {
  const cache = new Map<string, Promise<string>>();
  function certificate(url: string): Promise<string> {
    let pem = cache.get(url);
    if (!pem) {
      pem = fetchCertificate(url).then((text) => {
        if (!text.includes('-----BEGIN')) throw new Error(`${url} did not answer with a PEM`);
        return text;
      });
      // A failed fetch is not remembered: the next message tries again.
      pem.catch(() => cache.delete(url));
      cache.set(url, pem);
      if (cache.size > cacheSize) cache.delete(cache.keys().next().value!);
    }
    return pem;
  }

  return async (m) => {
    if (!isSnsCertificateUrl(m.SigningCertURL, m.TopicArn)) {
      return { ok: false, reason: `SigningCertURL is not an SNS certificate of the topic's region: ${m.SigningCertURL.slice(0, 200)}` };
    }
    const pem = await certificate(m.SigningCertURL);
    const verifier = createVerify(m.SignatureVersion === '1' ? 'RSA-SHA1' : 'RSA-SHA256');
    verifier.update(snsStringToSign(m), 'utf8');
    let valid: boolean;
    try {
      valid = verifier.verify(pem, m.Signature, 'base64');
    } catch (err) {
      return { ok: false, reason: `signature could not be checked: ${(err as Error).message}` };
    }
    return valid ? { ok: true } : { ok: false, reason: 'signature does not match the message' };
  };
}
