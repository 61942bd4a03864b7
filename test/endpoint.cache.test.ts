import assert from 'node:assert/strict';
import { IntegrationCache, IntegrationRecords } from '../src/endpoint/integrationCache';
import type { IntegrationState } from '../src/messages';

const TTL = 5_000;

const state = (id: string, deletedAt?: number): IntegrationState => ({
  version: 1,
  id,
  kind: 'inbound',
  configVersion: 1,
  createdAt: 0,
  updatedAt: 0,
  ...(deletedAt === undefined ? {} : { deletedAt }),
  inbound: {
    environments: ['env-1'],
    bucket: 'b',
    region: 'us-east-1',
    prefix: id,
    suffixes: [],
    topicArn: 'arn:aws:sns:us-east-1:123456789012:t',
    statusPrefix: `${id}-status`,
  },
});

/**
 * The integrations' published records, as a fake: counts lists, and each list waits for the test
 * to release it (so concurrent lookups can be made to overlap) or fails when told to.
 */
class FakeRecords implements IntegrationRecords {
  states: IntegrationState[] = [];
  lists = 0;
  failNext = 0;
  private held: (() => void)[] = [];
  hold = false;

  list(): Promise<IntegrationState[]> {
    this.lists++;
    const snapshot = [...this.states];
    const fail = this.failNext > 0;
    if (fail) this.failNext--;
    const settle = () => (fail ? Promise.reject(new Error('S3 is unreachable')) : Promise.resolve(snapshot));
    if (!this.hold) return settle();
    return new Promise<void>((r) => this.held.push(r)).then(settle);
  }

  release(): void {
    const held = this.held;
    this.held = [];
    held.forEach((r) => r());
  }
}

describe('endpoint: IntegrationCache (fake records, injected clock)', () => {
  let clock: number;
  let records: FakeRecords;
  let cache: IntegrationCache;

  beforeEach(() => {
    clock = 1_000_000;
    records = new FakeRecords();
    records.states = [state('a'), state('b'), state('gone', 10)];
    cache = new IntegrationCache(records, TTL, () => clock);
  });

  it('concurrent lookups share one list, and the records are listed again only once the TTL has passed', async () => {
    records.hold = true;
    const pending = [cache.lookup('a'), cache.lookup('b'), cache.lookup('a'), cache.lookup('gone')];
    await new Promise((r) => setImmediate(r));
    assert.equal(records.lists, 1, 'one list in flight for all four');
    records.release();
    const views = await Promise.all(pending);
    assert.deepEqual(views.map((v) => v.integration?.id), ['a', 'b', 'a', 'gone']);
    assert.equal(records.lists, 1);
    records.hold = false;

    clock += TTL - 1;
    await cache.lookup('a');
    await cache.lookup('b');
    assert.equal(records.lists, 1, 'within the TTL nothing is listed');

    clock += 1;
    records.hold = true;
    const again = [cache.lookup('a'), cache.lookup('b'), cache.lookup('a')];
    await new Promise((r) => setImmediate(r));
    records.release();
    await Promise.all(again);
    assert.equal(records.lists, 2, 'one list for the TTL that expired, shared again');
  });

  it('every view carries all integrations, tombstones included and marked deleted, for the loop rules', async () => {
    const view = await cache.lookup('a');
    assert.deepEqual(
      view.all.map((i) => [i.id, i.deleted, i.deletedAt]),
      [
        ['a', false, undefined],
        ['b', false, undefined],
        ['gone', true, 10],
      ],
    );
    assert.equal(view.all[0]!.config.prefix, 'a');
    assert.equal((await cache.lookup('gone')).integration?.deletedAt, 10, 'a tombstone is found, not unknown');
  });

  it('an unknown id lists again at most once a second, and a just-created integration is found by the first lookup a second later', async () => {
    assert.equal((await cache.lookup('new')).integration, undefined);
    assert.equal(records.lists, 1, 'the first list was just made: no second one for the miss');

    clock += 500;
    assert.equal((await cache.lookup('new')).integration, undefined);
    assert.equal((await cache.lookup('other-unknown')).integration, undefined);
    assert.equal(records.lists, 1, 'a miss within a second of the last list lists nothing');

    records.states.push(state('new'));
    clock += 499;
    assert.equal((await cache.lookup('new')).integration, undefined, 'still within the second');
    assert.equal(records.lists, 1);

    clock += 1;
    records.hold = true;
    const both = [cache.lookup('new'), cache.lookup('new'), cache.lookup('nobody')];
    await new Promise((r) => setImmediate(r));
    records.release();
    const views = await Promise.all(both);
    assert.equal(records.lists, 2, 'concurrent misses share one list');
    assert.deepEqual(views.map((v) => v.integration?.id), ['new', 'new', undefined]);
    records.hold = false;

    // A steady stream of unknown ids (a 404 flood) costs at most one list per second.
    for (let i = 0; i < 50; i++) {
      clock += 100;
      await cache.lookup(`unknown-${i}`);
    }
    assert.equal(records.lists, 2 + 5, '50 misses over 5 s: 5 lists');
  });

  it('a known id does not list again before the TTL, however often it is looked up', async () => {
    await cache.lookup('a');
    for (let i = 0; i < 40; i++) {
      clock += 100;
      await cache.lookup('a');
    }
    assert.equal(records.lists, 1);
  });

  it('a failed list rejects every lookup waiting on it, is not cached, and the next lookup lists again', async () => {
    records.failNext = 1;
    records.hold = true;
    const waiting = [cache.lookup('a'), cache.lookup('b')];
    await new Promise((r) => setImmediate(r));
    records.release();
    for (const w of waiting) await assert.rejects(w, /S3 is unreachable/);
    assert.equal(records.lists, 1);
    records.hold = false;

    // No time passes: a failure leaves nothing behind that would delay the retry.
    assert.equal((await cache.lookup('a')).integration?.id, 'a');
    assert.equal(records.lists, 2);
  });

  it('a failed refresh after the TTL rejects (the endpoint answers 5xx) instead of answering from the expired records, and the next lookup tries again', async () => {
    await cache.lookup('a');
    clock += TTL;
    records.failNext = 1;
    await assert.rejects(cache.lookup('a'), /S3 is unreachable/);
    assert.equal((await cache.lookup('a')).integration?.id, 'a');
    assert.equal(records.lists, 3);
  });

  it('a failed refresh for an unknown id rejects rather than saying the integration does not exist', async () => {
    await cache.lookup('a');
    clock += 1_000;
    records.failNext = 1;
    await assert.rejects(cache.lookup('new'), /S3 is unreachable/);
    records.states.push(state('new'));
    assert.equal((await cache.lookup('new')).integration?.id, 'new', 'the next lookup lists again at once');
    assert.equal(records.lists, 3);
  });
});
