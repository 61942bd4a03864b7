import assert from 'node:assert/strict';
import type { S3Client } from '@aws-sdk/client-s3';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { successKey } from '../src/domain/export/exportKeys';
import { pauseNote } from '../src/domain/export/gaps';
import { MINUTE_MS } from '../src/domain/export/windows';
import { exportScheduleIdOf } from '../src/domain/keys';
import type { Moto } from '../src/dev/moto';
import { createOutboundIntegration, deleteIntegration } from '../src/integrationClient';
import { runCli } from './support/cli';
import { deploymentEnv, listKeys, newBucket, RunningWorker, s3For, sharedMoto, startWorker, waitFor } from './support/harness';
import { localTemporal } from './support/temporal';

const SETTLE_MS = 10_000;

/**
 * DECISIONS: a paused schedule skips its windows; on unpause the CLI backfills the paused range.
 * `export pause` notes when; `export resume` unpauses and runs every window skipped meanwhile.
 */
describe('cli export pause and resume: the windows skipped while paused are backfilled (dev server, moto)', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let moto: Moto;
  let s3: S3Client;
  let worker: RunningWorker;
  let warehouse: string;
  let customer: string;
  const taskQueue = `cli-pause-${process.pid}`;
  const id = `paused-${process.pid}`;

  before(async function () {
    this.timeout(240_000);
    env = await localTemporal();
    moto = await sharedMoto();
    s3 = s3For(moto);
    warehouse = await newBucket(s3, 'pause-wh');
    customer = await newBucket(s3, 'pause-cust');
    worker = await startWorker(env, s3, { taskQueue, warehouseBucket: warehouse, export: { settleMs: SETTLE_MS, dedupLookbackMs: 60 * MINUTE_MS, concurrency: 2 } });
    await createOutboundIntegration(env.client, taskQueue, id, { environments: ['env-p'], bucket: customer, region: 'us-east-1', writePrefix: 'out', intervalMinutes: 1 });
  });

  after(async () => {
    await deleteIntegration(env.client, id).catch(() => undefined);
    await worker?.stop();
  });

  const cli = (args: string[]) => runCli(args, deploymentEnv(env, moto, taskQueue, { WAREHOUSE_BUCKET: warehouse, EXPORT_SETTLE_DELAY: '10s' }) as Record<string, string>);

  it('pauses the schedule, refuses a second pause, and resumes it backfilling each window skipped meanwhile', async () => {
    const paused = await cli(['export', 'pause', '--integration', id, '--reason', 'policy change']);
    assert.equal(paused.code, 0, paused.stderr);
    const handle = env.client.schedule.getHandle(exportScheduleIdOf(id));
    const described = await handle.describe();
    assert.equal(described.state.paused, true);
    assert.match(described.state.note ?? '', /^fme:paused-at=\d+; policy change$/);
    assert.equal((await cli(['export', 'pause', '--integration', id])).code, 2, 'already paused');

    // As if paused four minutes ago: the note says since when, and `resume` trusts it.
    const since = Date.now() - 4 * MINUTE_MS;
    await handle.pause(pauseNote(since, 'policy change'));
    const resumed = await cli(['export', 'resume', '--integration', id, '--json']);
    assert.equal(resumed.code, 0, resumed.stderr);
    const out = JSON.parse(resumed.stdout) as { pausedAt: number; backfilled: { start: number; end: number }[] };
    assert.equal(out.pausedAt, since);
    assert.ok(out.backfilled.length >= 3 && out.backfilled.length <= 5, `the minutes skipped in four minutes (${out.backfilled.length})`);
    for (const [i, w] of out.backfilled.entries()) {
      assert.equal(w.end - w.start, MINUTE_MS);
      if (i > 0) assert.equal(w.start, out.backfilled[i - 1]!.end, 'back to back');
    }
    assert.equal((await handle.describe()).state.paused, false);
    for (const w of out.backfilled) {
      await waitFor(`the window at ${new Date(w.start).toISOString()}`, async () => ((await listKeys(s3, customer, successKey('out', w))).length > 0 ? true : undefined), 90_000);
    }
    assert.equal((await cli(['export', 'resume', '--integration', id])).code, 2, 'not paused any more');
  });
});
