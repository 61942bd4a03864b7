import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { postToIntake } from '../src/dev/sdkImpressions';
import { createEndpointServer } from '../src/endpoint/httpServer';

/** The notification endpoint's HTTP surface with a handler standing in: every request is answered. */
describe('endpoint server: bodies it cannot read are answered, never left hanging', () => {
  let server: Server;
  let url: string;

  before(async () => {
    server = createEndpointServer({ notification: async () => ({ status: 200, body: {} }), metrics: () => '' });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/integrations/demo/notifications`;
  });

  after(() => new Promise<void>((r) => (server.close(() => r()), server.closeAllConnections())));

  it('answers 415 BODY_ENCODING_UNSUPPORTED for an encoded body (SNS never encodes)', async () => {
    const res = await postToIntake(url, {}, '{}', { gzip: true });
    assert.deepEqual([res.status, res.body.error], [415, 'BODY_ENCODING_UNSUPPORTED']);
  });

  it('answers 413 for a body over 256 KiB', async () => {
    const res = await postToIntake(url, {}, ' '.repeat(300 * 1024));
    assert.deepEqual([res.status, res.body.error], [413, 'BODY_TOO_LARGE']);
  });
});
