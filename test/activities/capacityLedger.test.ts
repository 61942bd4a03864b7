import assert from 'node:assert/strict';
import { CapacityLedger } from '../../src/activities/admission/capacityLedger';

const MiB = 2 ** 20;

function ledger(now = () => 0) {
  return new CapacityLedger({ capacityBytes: 100 * MiB, minFileBytes: 10 * MiB, unadoptedTtlMs: 60_000, now });
}

/** Whether the promise has settled after the microtasks queued so far. */
async function settled(p: Promise<unknown>): Promise<boolean> {
  let done = false;
  void p.then(
    () => (done = true),
    () => (done = true),
  );
  await new Promise((r) => setImmediate(r));
  return done;
}

describe('capacity ledger (admission by bytes)', () => {
  it('admits files while their bytes fit, counting each at least the minimum cost', async () => {
    const l = ledger();
    await l.reserve('a', 60 * MiB);
    await l.reserve('b', 1); // costs 10 MiB
    assert.equal(l.heldBytes, 70 * MiB);
    assert.equal(await settled(l.reserve('c', 40 * MiB)), false, 'c would exceed the capacity: it waits');
    assert.equal(l.waitingFiles, 1);
  });

  it('admits the next waiting file when a held one is released, first come first served', async () => {
    const l = ledger();
    await l.reserve('a', 90 * MiB);
    const big = l.reserve('big', 80 * MiB);
    const small = l.reserve('small', 5 * MiB);
    assert.equal(await settled(small), false, 'a small file does not overtake the big one waiting before it');
    l.release('a');
    assert.equal(await settled(big), true);
    assert.equal(await settled(small), true, '80 + 10 fit together');
  });

  it('admits a file bigger than the whole capacity when nothing else is held', async () => {
    const l = ledger();
    await l.reserve('huge', 500 * MiB);
    assert.equal(l.heldFiles, 1);
    assert.equal(await settled(l.reserve('next', 1)), false);
    l.release('huge');
    assert.equal(l.heldFiles, 1);
  });

  it('a retried claim of a file already held is admitted at once, without counting it twice', async () => {
    const l = ledger();
    await l.reserve('a', 60 * MiB);
    await l.reserve('a', 60 * MiB);
    assert.equal(l.heldBytes, 60 * MiB);
  });

  it('a cancelled claim leaves the queue, and the files behind it move up', async () => {
    const l = ledger();
    await l.reserve('a', 85 * MiB);
    const abort = new AbortController();
    const cancelled = l.reserve('b', 50 * MiB, abort.signal);
    const behind = l.reserve('c', 5 * MiB);
    abort.abort(new Error('claim cancelled'));
    await assert.rejects(cancelled, /claim cancelled/);
    assert.equal(await settled(behind), true);
  });

  it('gives back a reservation no lease took over in time, but never an adopted one', async () => {
    let now = 0;
    const l = ledger(() => now);
    await l.reserve('orphan', 50 * MiB);
    await l.reserve('held', 50 * MiB);
    assert.equal(l.adopt('held'), true);
    now = 61_000;
    l.expireUnadopted();
    assert.equal(l.heldBytes, 50 * MiB);
    assert.equal(l.adopt('orphan'), false, 'too late: its room went to others');
  });
});
