import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { request as httpRequest, type ClientRequest, type Server } from 'node:http';
import { postToIntake } from '../src/dev/sdkImpressions';
import type { Answer, ImpressionRequest } from '../src/intake/impressionHandler';
import { createIntakeServer } from '../src/intake/intakeServer';

/** The intake's HTTP surface on its own: limits and encodings, with a handler standing in. */
describe('intake server: bodies, encodings and the in-flight limit', () => {
  let server: Server;
  let url: string;
  const seen: ImpressionRequest[] = [];
  const holds: (() => void)[] = [];
  /** The release of the next held body, once the handler holds it. */
  async function heldBody(): Promise<() => void> {
    while (holds.length === 0) await new Promise((r) => setTimeout(r, 5));
    return holds.shift()!;
  }

  before(async () => {
    server = createIntakeServer({
      async impressions(req): Promise<Answer> {
        seen.push(req);
        // A body marked "hold" waits until the test lets it go, holding its bytes in flight.
        if (req.body.toString().includes('hold')) await new Promise<void>((r) => holds.push(r));
        return { status: 200, body: { stored: 1 } };
      },
      metrics: () => '',
      maxBodyBytes: 1_000,
      maxInflightBytes: 1_500,
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/testImpressions/bulk`;
  });

  after(() => new Promise<void>((r) => (server.close(() => r()), server.closeAllConnections())));

  it('hands the decoded body of a gzipped post to the handler', async () => {
    const res = await postToIntake(url, {}, '{"gz": true}', { gzip: true });
    assert.equal(res.status, 200);
    assert.equal(seen.at(-1)!.body.toString(), '{"gz": true}');
  });

  it('answers 415 for an encoding other than gzip, and for a corrupt gzip stream', async () => {
    const br = await postToIntake(url, { 'content-encoding': 'br' }, 'x');
    assert.deepEqual([br.status, br.body.error], [415, 'BODY_ENCODING_UNSUPPORTED']);
    const corrupt = await postToIntake(url, { 'content-encoding': 'gzip' }, Buffer.from('not gzip at all'));
    assert.deepEqual([corrupt.status, corrupt.body.error], [415, 'BODY_ENCODING_UNSUPPORTED']);
  });

  it('answers 503 OVERLOADED at once while other bodies fill the in-flight limit, and accepts again once they are answered', async () => {
    const held = postToIntake(url, {}, 'hold'.padEnd(900, ' '));
    const release = await heldBody();
    const refused = await postToIntake(url, {}, 'x'.padEnd(900, ' '));
    assert.deepEqual([refused.status, refused.body.error, refused.headers['retry-after']], [503, 'OVERLOADED', '5']);
    release();
    assert.equal((await held).status, 200);
    assert.equal((await postToIntake(url, {}, 'x'.padEnd(900, ' '))).status, 200);
  });

  /** A post that declares `declared` bytes (or is chunked) and sends `first` of them now. */
  function partialPost(first: number, declared?: number): { req: ClientRequest; answer: Promise<number> } {
    const req = httpRequest(url, { method: 'POST', headers: declared === undefined ? {} : { 'content-length': declared } });
    const answer = new Promise<number>((resolve) => {
      req.on('response', (res) => (res.resume(), resolve(res.statusCode ?? 0)));
      req.on('error', () => resolve(-1));
    });
    req.write(' '.repeat(first));
    return { req, answer };
  }

  it('reserves the declared length before reading: a second slow body that would pass the limit is refused at once', async () => {
    const first = partialPost(100, 900);
    await new Promise((r) => setTimeout(r, 50));
    const second = partialPost(100, 900);
    assert.equal(await second.answer, 503);
    first.req.end(' '.repeat(800));
    assert.equal(await first.answer, 200);
  });

  it('charges a chunked body (no length declared) as its bytes arrive', async () => {
    const held = postToIntake(url, {}, 'hold'.padEnd(900, ' '));
    const release = await heldBody();
    const chunked = partialPost(400);
    chunked.req.end(' '.repeat(400));
    assert.equal(await chunked.answer, 503);
    release();
    assert.equal((await held).status, 200);
  });

  it('gives back the bytes of a client that went away mid-body', async () => {
    const gone = partialPost(100, 900);
    await new Promise((r) => setTimeout(r, 50));
    gone.req.destroy();
    await gone.answer;
    await new Promise((r) => setTimeout(r, 50));
    assert.equal((await postToIntake(url, {}, 'x'.padEnd(900, ' '))).status, 200);
  });
});
