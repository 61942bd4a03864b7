import assert from 'node:assert/strict';
import type { SdkKeyRecord } from '../src/domain/impressions/sdkKeys';
import { sdkBulkBody, sdkHeaders } from '../src/dev/sdkImpressions';
import { handleImpressions, ImpressionDeps, ImpressionRequest } from '../src/intake/impressionHandler';
import { SdkKeyCache } from '../src/intake/sdkKeyCache';
import { hashSdkKey } from '../src/s3/sdkKeyStore';
import type { BatchContext } from '../src/parquet/impressionBatch';

const GOOD = 'fmesdk_' + 'g'.repeat(32);
const OLD = 'fmesdk_' + 'o'.repeat(32);
const NEW = 'fmesdk_' + 'n'.repeat(32);

const record = (over: Partial<SdkKeyRecord> = {}): SdkKeyRecord => ({
  version: 1,
  id: 'abcdefabcdef',
  sha256: hashSdkKey(GOOD),
  environmentId: 'env',
  trafficTypeId: 'user',
  flagTrafficTypes: {},
  createdAt: '2026-12-02T00:00:00.000Z',
  ...over,
});

const silent = { debug() {}, info() {}, warn() {} };

function request(over: Partial<ImpressionRequest> = {}): ImpressionRequest {
  const headers = Object.fromEntries(Object.entries(sdkHeaders('good', { sdkVersion: 'nodejs-11.11.2', mode: 'DEBUG' })).map(([k, v]) => [k.toLowerCase(), v]));
  return { route: 'bulk', headers, body: Buffer.from(JSON.stringify(sdkBulkBody(2, 3, 1))), receivedAt: Date.now(), ...over };
}

function deps(store: ImpressionDeps['store'], over: Partial<ImpressionDeps> = {}): ImpressionDeps {
  return { keys: { authenticate: async (k) => (k === 'good' ? { ok: true, record: record() } : { ok: false, reason: 'unknown' }) }, store, log: silent, deadlineMs: 300, ...over };
}

/**
 * The intake's answers when the warehouse or the key store misbehaves: never a verdict about
 * the SDK's data, always an answer within the deadline the SDK can retry on.
 */
describe('impression handler: faults become 503s within the deadline', () => {
  it('answers 200 with what was stored, stamping every impression with the reception time', async () => {
    let seen: BatchContext | undefined;
    const req = request();
    const answer = await handleImpressions(
      deps({ store: async (_kind, _body, ctx) => ((seen = ctx), { key: 'k', rows: 6, bytes: 1 }) }),
      req,
    );
    assert.deepEqual(answer, { status: 200, body: { stored: 6, batch: 'k' } });
    assert.equal(seen?.receptionMs, req.receivedAt);
    assert.deepEqual([seen?.environmentId, seen?.sdkKeyId, seen?.identity.sdk], ['env', 'abcdefabcdef', 'nodejs']);
  });

  it('answers 503 NOT_DURABLE_IN_TIME at the deadline when the store hangs, and aborts the write', async () => {
    let aborted = false;
    const started = Date.now();
    const answer = await handleImpressions(
      deps({
        store: (_k, _b, _c, signal) =>
          new Promise((_, reject) => {
            signal?.addEventListener('abort', () => {
              aborted = true;
              reject(new Error('aborted'));
            });
          }),
      }),
      request(),
    );
    const took = Date.now() - started;
    assert.equal(answer.status, 503);
    assert.equal(answer.body.error, 'NOT_DURABLE_IN_TIME');
    assert.equal(answer.headers?.['retry-after'], '5');
    assert.ok(aborted, 'the write was told to stop');
    assert.ok(took >= 290 && took < 1_000, `answered at the 300 ms deadline (${took} ms)`);
  });

  it('answers 503 KEY_STORE_UNAVAILABLE at the deadline when the key lookup hangs', async () => {
    const started = Date.now();
    const answer = await handleImpressions(deps({ store: async () => ({ key: 'k', rows: 1, bytes: 1 }) }, { keys: { authenticate: () => new Promise(() => undefined) } }), request());
    const took = Date.now() - started;
    assert.deepEqual([answer.status, answer.body.error], [503, 'KEY_STORE_UNAVAILABLE']);
    assert.ok(took >= 290 && took < 1_000, `answered at the 300 ms deadline (${took} ms)`);
  });

  it('answers 500, not 200, when the stored file holds another number of rows than the body checked', async () => {
    const answer = await handleImpressions(deps({ store: async () => ({ key: 'k', rows: 5, bytes: 1 }) }), request());
    assert.deepEqual([answer.status, answer.body.error], [500, 'INTERNAL']);
  });

  it('answers 503 STORE_FAILED when the warehouse refuses the write', async () => {
    const answer = await handleImpressions(deps({ store: async () => Promise.reject(new Error('SlowDown')) }), request());
    assert.deepEqual([answer.status, answer.body.error], [503, 'STORE_FAILED']);
  });

  it('answers 503 KEY_STORE_UNAVAILABLE when the key records cannot be read, storing nothing', async () => {
    let stores = 0;
    const answer = await handleImpressions(
      deps({ store: async () => (stores++, { key: 'k', rows: 1, bytes: 1 }) }, { keys: { authenticate: () => Promise.reject(new Error('ECONNREFUSED')) } }),
      request(),
    );
    assert.deepEqual([answer.status, answer.body.error, stores], [503, 'KEY_STORE_UNAVAILABLE', 0]);
  });

  it('refuses a bulk body posted to the count route with 400 BODY_INVALID', async () => {
    const answer = await handleImpressions(deps({ store: async () => ({ key: 'k', rows: 1, bytes: 1 }) }), request({ route: 'count' }));
    assert.deepEqual([answer.status, answer.body.error], [400, 'BODY_INVALID']);
  });
});

describe('SDK key cache', () => {
  const store = (records: Map<string, SdkKeyRecord>) => {
    const calls: string[] = [];
    return { calls, lookup: async (h: string) => (calls.push(h), records.get(h)) };
  };

  it('reads a key once per TTL, and shares one read among concurrent requests', async () => {
    let now = 0;
    const s = store(new Map([[hashSdkKey(GOOD), record()]]));
    const cache = new SdkKeyCache(s, 1_000, () => now);
    await Promise.all([cache.authenticate(GOOD), cache.authenticate(GOOD), cache.authenticate(GOOD)]);
    assert.equal(s.calls.length, 1);
    now = 999;
    await cache.authenticate(GOOD);
    assert.equal(s.calls.length, 1);
    now = 1_000;
    await cache.authenticate(GOOD);
    assert.equal(s.calls.length, 2);
  });

  it('tells a revoked key from an unknown one, and asks again for an unknown key after two seconds', async () => {
    let now = 0;
    const records = new Map([[hashSdkKey(OLD), record({ revokedAt: '2026-12-02T00:00:00.000Z' })]]);
    const s = store(records);
    const cache = new SdkKeyCache(s, 60_000, () => now);
    assert.deepEqual(await cache.authenticate(OLD), { ok: false, reason: 'revoked' });
    assert.deepEqual(await cache.authenticate(NEW), { ok: false, reason: 'unknown' });
    records.set(hashSdkKey(NEW), record());
    now = 1_999;
    assert.deepEqual(await cache.authenticate(NEW), { ok: false, reason: 'unknown' });
    now = 2_000;
    assert.equal((await cache.authenticate(NEW)).ok, true);
  });

  it('refuses a value not shaped like our keys without reading the store', async () => {
    const s = store(new Map());
    const cache = new SdkKeyCache(s, 60_000);
    assert.deepEqual(await cache.authenticate('not-a-key'), { ok: false, reason: 'unknown' });
    assert.deepEqual(s.calls, []);
  });

  it('does not remember a failed read: the next request reads again', async () => {
    let fail = true;
    const cache = new SdkKeyCache({ lookup: async () => (fail ? Promise.reject(new Error('down')) : record()) }, 60_000);
    await assert.rejects(cache.authenticate(GOOD), /down/);
    fail = false;
    assert.equal((await cache.authenticate(GOOD)).ok, true);
  });
});
