import assert from 'node:assert/strict';
import { CertificateRefused, createSnsVerifier } from '../src/endpoint/snsVerifier';
import { SnsSigner } from '../src/dev/snsSigner';

describe('SNS signature verifier: certificate faults versus refusals', () => {
  const signer = new SnsSigner();
  const topicArn = 'arn:aws:sns:us-east-1:123456789012:t';
  const message = signer.notification(topicArn, '{}');

  it('verifies a signed message with the certificate fetched once, then cached', async () => {
    let fetches = 0;
    const verify = createSnsVerifier(async () => (fetches++, signer.publicKeyPem));
    assert.deepEqual(await verify(message), { ok: true });
    assert.deepEqual(await verify(signer.notification(topicArn, '{"x":1}')), { ok: true });
    assert.equal(fetches, 1);
  });

  it("a made-up certificate URL on SNS's own host (the host answers 404) is a refusal, remembered, not a fault", async () => {
    let fetches = 0;
    const verify = createSnsVerifier(async (url) => {
      fetches++;
      throw new CertificateRefused(`GET ${url} answered 404`);
    });
    for (let i = 0; i < 3; i++) {
      const verdict = await verify(message);
      assert.equal(verdict.ok, false);
      assert.match(!verdict.ok ? verdict.reason : '', /^no certificate at https:\/\/sns\.us-east-1\.amazonaws\.com\/.*answered 404/);
    }
    assert.equal(fetches, 1, 'a forger repeating the URL costs one fetch');
  });

  it('an answer that is not a PEM is a refusal too', async () => {
    const verdict = await createSnsVerifier(async () => '<html>hello</html>')(message);
    assert.equal(verdict.ok, false);
  });

  it('a certificate host that cannot be reached is a fault (the endpoint answers 503), tried again on the next message', async () => {
    let fetches = 0;
    const verify = createSnsVerifier(async () => {
      fetches++;
      if (fetches === 1) throw new Error('connect ETIMEDOUT');
      return signer.publicKeyPem;
    });
    await assert.rejects(verify(message), /ETIMEDOUT/);
    assert.deepEqual(await verify(message), { ok: true });
    assert.equal(fetches, 2);
  });
});
