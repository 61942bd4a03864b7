import assert from 'node:assert/strict';
import { MockActivityEnvironment } from '@temporalio/testing';
import { CancelledFailure } from '@temporalio/common';
import { createAdmissionActivities } from '../../src/activities/admission/admissionActivities';
import { CapacityLedger } from '../../src/activities/admission/capacityLedger';

const MiB = 2 ** 20;

describe('admission activities: claim and lease', () => {
  function setup() {
    const ledger = new CapacityLedger({ capacityBytes: 10 * MiB, minFileBytes: MiB, unadoptedTtlMs: 60_000 });
    const acts = createAdmissionActivities({ ledger, workerTaskQueue: 'q/worker/w1', leaseTaskQueue: 'q/worker/w1/lease', heartbeatEveryMs: 20 });
    return { ledger, acts };
  }

  it('a claim waits, heartbeating, until the worker has room, then names the worker queues', async () => {
    const { ledger, acts } = setup();
    await ledger.reserve('held', 8 * MiB);
    const beats: unknown[] = [];
    const env = new MockActivityEnvironment();
    env.on('heartbeat', (d: unknown) => beats.push(d));
    const claim = env.run(acts.claimFile, { fileId: 'next', bytes: 5 * MiB });
    await new Promise((r) => setTimeout(r, 100));
    assert.ok(beats.length >= 2, 'heartbeats while waiting');
    ledger.release('held');
    assert.deepEqual(await claim, { workerTaskQueue: 'q/worker/w1', leaseTaskQueue: 'q/worker/w1/lease' });
  });

  it("a lease ended by cancellation (its workflow terminated or done) frees the file's room for the next claim", async () => {
    const { ledger, acts } = setup();
    const first = new MockActivityEnvironment();
    await first.run(acts.claimFile, { fileId: 'a', bytes: 8 * MiB });
    const lease = first.run(acts.holdFile, { fileId: 'a' });
    const waiting = new MockActivityEnvironment().run(acts.claimFile, { fileId: 'b', bytes: 5 * MiB });
    await new Promise((r) => setTimeout(r, 60));
    assert.equal(ledger.heldFiles, 1, 'b waits while a is held');
    first.cancel(); // as the server does when the lease's workflow is terminated or lets it go
    await assert.rejects(lease, CancelledFailure);
    await waiting;
    assert.equal(ledger.heldFiles, 1);
    assert.equal(ledger.adopt('b'), true, 'b holds the room a gave back');
  });

  it('a lease for a file this worker does not hold (it restarted, or the claim expired) ends at once: the workflow takes that as a lost worker', async () => {
    const { acts } = setup();
    await new MockActivityEnvironment().run(acts.holdFile, { fileId: 'unknown' });
  });
});
