import assert from 'node:assert/strict';
import type { S3Client } from '@aws-sdk/client-s3';
import { ScheduleNotFoundError } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { manifestKey, successKey } from '../src/domain/export/exportKeys';
import { exportManifestSchema } from '../src/domain/export/manifest';
import { MINUTE_MS } from '../src/domain/export/windows';
import { outboundPolicies } from '../src/domain/integration/outboundPolicies';
import { exportScheduleIdOf } from '../src/domain/keys';
import type { Moto } from '../src/dev/moto';
import type { ExportScheduleView } from '../src/exportClient';
import { createIntegration, deleteIntegration } from '../src/integrationClient';
import type { OutboundIntegrationStateV1 } from '../src/messages';
import type { ExportSetup } from '../src/cli/export/exportOutput';
import type { ExportStatus } from '../src/cli/export/statusCommand';
import { runCli } from './support/cli';
import { deploymentEnv, getText, listKeys, newBucket, RunningWorker, s3For, sharedMoto, startWorker } from './support/harness';
import { localTemporal } from './support/temporal';

const SETTLE_MS = 10_000;
const ROLE = 'arn:aws:iam::111122223333:role/fme-writer';
const ACCOUNT = '123456789012';

interface BackfillResult {
  scheduleId: string;
  intervalMinutes: number;
  windows: { startMs: number; endMs: number; rows?: number; parts?: number; exportedAt?: string }[];
}

/**
 * `cli export ...` against the dev server and moto: the CLI creates, changes, shows and deletes
 * outbound integrations and their schedules, backfills through the schedule, and reports the gap
 * check. (What the exported files hold is test/export.e2e.test.ts's.)
 */
describe('cli export: outbound integrations, their schedules, backfills and the gap check (dev server, moto)', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let moto: Moto;
  let s3: S3Client;
  let worker: RunningWorker;
  let warehouse: string;
  let customer: string;
  /** The backfilled integration writes at this bucket's root. */
  let rootBucket: string;
  const taskQueue = `cli-export-${process.pid}`;
  /** Paused at once and never exported: the gap check's subject. */
  const gapId = `gap-${process.pid}`;
  /** Changed, shown and deleted. */
  const cfgId = `cfg-${process.pid}`;
  /** Backfilled. */
  const bfId = `bf-${process.pid}`;
  const inboundId = `in-${process.pid}`;
  let gapCreatedAt = 0;
  /** The end of the last window `backfill` exported. */
  let backfilledTo = 0;

  before(async function () {
    this.timeout(240_000);
    env = await localTemporal();
    moto = await sharedMoto();
    s3 = s3For(moto);
    warehouse = await newBucket(s3, 'cliexp-wh');
    customer = await newBucket(s3, 'cliexp-cust');
    rootBucket = await newBucket(s3, 'cliexp-root');
    worker = await startWorker(env, s3, { taskQueue, warehouseBucket: warehouse, export: { settleMs: SETTLE_MS, dedupLookbackMs: 60 * MINUTE_MS, concurrency: 2 } });
  });

  after(async () => {
    for (const id of [gapId, bfId, inboundId]) await deleteIntegration(env.client, id).catch(() => undefined);
    await worker?.stop();
  });

  const cli = (args: string[]) =>
    runCli(args, deploymentEnv(env, moto, taskQueue, { WAREHOUSE_BUCKET: warehouse, FME_ROLE_ARN: ROLE, EXPORT_SETTLE_DELAY: '10s' }) as Record<string, string>);
  const json = async <T>(args: string[]): Promise<T> => {
    const r = await cli([...args, '--json']);
    assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
    return JSON.parse(r.stdout) as T;
  };
  const scheduleIds = async () => {
    const ids: string[] = [];
    for await (const s of env.client.schedule.list()) ids.push(s.scheduleId);
    return ids;
  };
  const pause = (id: string) => env.client.schedule.getHandle(exportScheduleIdOf(id)).pause('test: nothing runs unless backfilled');

  it("create prints the role ARN, the seed's outbound bucket and KMS policies filled in, and the schedule, which exists", async () => {
    const setup = await json<ExportSetup>(['export', 'create', '--id', gapId, '--bucket', customer, '--environments', 'env-x', '--write-prefix', '/exports/gap/', '--interval', '1', '--account-id', ACCOUNT]);
    await pause(gapId);
    gapCreatedAt = setup.integration.createdAt;
    assert.deepEqual(setup.integration.outbound, { environments: ['env-x'], bucket: customer, region: 'us-east-1', writePrefix: 'exports/gap', format: 'parquet', compression: 'snappy', intervalMinutes: 1 });
    assert.equal(setup.roleArn, ROLE);
    assert.deepEqual(setup.policies, outboundPolicies({ bucket: customer, writePrefix: 'exports/gap' }, ROLE, ACCOUNT));
    assert.equal(setup.policies.bucketPolicy.Statement[1]!.Resource, `arn:aws:s3:::${customer}/exports/gap/*`);
    assert.equal(setup.scheduleId, `export/${gapId}`);

    // The text a person reads: no prefix (the bucket root) and no account id (the seed's placeholder).
    const text = await cli(['export', 'create', '--id', cfgId, '--bucket', customer, '--environments', 'env-x,env-y', '--write-prefix', 'cfg', '--compression', 'zstd']);
    assert.equal(text.code, 0, text.stderr);
    await pause(cfgId);
    assert.match(text.stdout, new RegExp(`^created outbound integration ${cfgId} \\(configuration version 1\\); its windows run on the Temporal Schedule export/${cfgId}`));
    assert.ok(text.stdout.includes(JSON.stringify(outboundPolicies({ bucket: customer, writePrefix: 'cfg' }, ROLE).bucketPolicy, null, 2).replace(/^/gm, '  ')), text.stdout);
    assert.ok(text.stdout.includes(JSON.stringify(outboundPolicies({ bucket: customer, writePrefix: 'cfg' }, ROLE).kmsKeyPolicy, null, 2).replace(/^/gm, '  ')), 'the KMS statement, the account left for the customer');
    assert.match(text.stdout, /\{your-aws-account-id\}/);
    assert.match(text.stdout, /every 30 minutes/);

    const root = await json<ExportSetup>(['export', 'create', '--id', bfId, '--bucket', rootBucket, '--environments', 'env-x', '--interval', '1']);
    await pause(bfId);
    assert.equal(root.policies.bucketPolicy.Statement[1]!.Resource, `arn:aws:s3:::${rootBucket}/*`, 'the bucket root, never //*');

    const ids = await scheduleIds();
    for (const id of [gapId, cfgId, bfId]) assert.ok(ids.includes(`export/${id}`), `export/${id} in ${ids.join(', ')}`);
  });

  it("create refuses what the schema refuses, with its reasons (exit 2, nothing created)", async () => {
    const codec = await cli(['export', 'create', '--id', `${cfgId}-x`, '--bucket', customer, '--environments', 'env-x', '--write-prefix', 'x', '--format', 'csv', '--compression', 'lzo']);
    assert.equal(codec.code, 2);
    assert.match(codec.stderr, /"lzo" is not a compression for csv files; choose one of: gzip, bzip2, none \(lzo is one for parquet\)/);
    const interval = await cli(['export', 'create', '--id', `${cfgId}-x`, '--bucket', customer, '--environments', 'env-x', '--write-prefix', 'x', '--interval', '7']);
    assert.equal(interval.code, 2);
    assert.match(interval.stderr, /7 does not divide it \(the nearest that do: 6 and 8\)/);
    const shown = await cli(['export', 'show', '--id', `${cfgId}-x`]);
    assert.equal(shown.code, 2);
    assert.match(shown.stderr, /no integration/);
    assert.ok(!(await scheduleIds()).includes(`export/${cfgId}-x`));
  });

  it('update of the interval adds to the interval history and changes the schedule; a new write prefix prints the policies again', async () => {
    const updated = await json<ExportSetup>(['export', 'update', '--id', cfgId, '--interval', '2']);
    assert.equal(updated.integration.configVersion, 2);
    assert.deepEqual(updated.integration.intervals.map((p) => p.intervalMinutes), [30, 2]);
    assert.equal(updated.integration.intervals[0]!.fromMs, updated.integration.createdAt);
    const desc = await env.client.schedule.getHandle(exportScheduleIdOf(cfgId)).describe();
    assert.equal(desc.spec.intervals?.[0]?.every, 2 * MINUTE_MS);
    assert.equal(desc.state.paused, true, 'the change keeps the schedule paused');

    const moved = await cli(['export', 'update', '--id', cfgId, '--write-prefix', 'out/cfg']);
    assert.equal(moved.code, 0, moved.stderr);
    assert.match(moved.stdout, /The bucket or write prefix changed: update the policies/);
    assert.ok(moved.stdout.includes(`"arn:aws:s3:::${customer}/out/cfg/*"`));
    const envs = await cli(['export', 'update', '--id', cfgId, '--environments', 'env-z']);
    assert.equal(envs.code, 0, envs.stderr);
    assert.doesNotMatch(envs.stdout, /update the policies/);
    // No flags: the repair. The schedule deleted by hand comes back, and nothing else changes.
    await env.client.schedule.getHandle(exportScheduleIdOf(cfgId)).delete();
    const repaired = await cli(['export', 'update', '--id', cfgId]);
    assert.equal(repaired.code, 0, repaired.stderr);
    assert.ok((await scheduleIds()).includes(exportScheduleIdOf(cfgId)), 'the schedule is back');
    // Re-created running; paused again, as the tests below expect of this integration.
    await pause(cfgId);
  });

  it('update --format alone takes the new format\'s default compression when the current one does not fit it; an explicit misfit is refused', async () => {
    const jsonl = await json<ExportSetup>(['export', 'update', '--id', cfgId, '--format', 'jsonl']);
    assert.deepEqual([jsonl.integration.outbound.format, jsonl.integration.outbound.compression], ['jsonl', 'gzip'], 'zstd is no JSON lines compression: gzip, the first');
    const misfit = await cli(['export', 'update', '--id', cfgId, '--compression', 'snappy']);
    assert.equal(misfit.code, 2);
    assert.match(misfit.stderr, /"snappy" is not a compression for jsonl files; choose one of: gzip, bzip2, none \(snappy is one for parquet\)/);
    const back = await json<ExportSetup>(['export', 'update', '--id', cfgId, '--format', 'parquet', '--compression', 'zstd']);
    assert.deepEqual([back.integration.outbound.format, back.integration.outbound.compression], ['parquet', 'zstd']);
  });

  it("show prints the configuration, the interval history and the schedule's state", async () => {
    const shown = await json<ExportSetup & { schedule: ExportScheduleView }>(['export', 'show', '--id', cfgId]);
    assert.deepEqual(shown.integration.outbound, { environments: ['env-z'], bucket: customer, region: 'us-east-1', writePrefix: 'out/cfg', format: 'parquet', compression: 'zstd', intervalMinutes: 2 });
    assert.equal(shown.integration.intervals.length, 2);
    assert.equal(shown.schedule.scheduleId, `export/${cfgId}`);
    assert.equal(shown.schedule.paused, true);
    assert.deepEqual([shown.schedule.intervalMinutes, shown.schedule.offsetMs, shown.schedule.settleMs, shown.schedule.overlap], [2, SETTLE_MS, SETTLE_MS, 'BUFFER_ALL']);
    assert.deepEqual(shown.schedule.recentRuns, []);
    const text = await cli(['export', 'show', '--id', cfgId]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /interval history:\n {2}from \S+: every 30 minutes\n {2}from \S+: every 2 minutes {2}\(now\)/);
    assert.match(text.stdout, /schedule state: +PAUSED/);
    assert.match(text.stdout, /schedule spec: +every 2 min, offset 10s; overlap BUFFER_ALL/);
  });

  it("backfill refuses a range not aligned to the interval or across an interval change (exit 2); an older interval's range runs when the schedule runs at its ends", async () => {
    const hourAgo = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 60 * MINUTE_MS;
    const unaligned = await cli(['export', 'backfill', '--integration', gapId, '--from', String(hourAgo + 30_000), '--to', String(hourAgo + 3 * MINUTE_MS)]);
    assert.equal(unaligned.code, 2);
    assert.match(unaligned.stderr, /--from \S+:30\.000Z is not aligned to the 1-minute interval/);

    const change = (await json<ExportSetup>(['export', 'show', '--id', cfgId])).integration.intervals[1]!.fromMs;
    const across = await cli(['export', 'backfill', '--integration', cfgId, '--from', new Date(change - (change % (30 * MINUTE_MS))).toISOString(), '--to', new Date(change + 10 * MINUTE_MS).toISOString()]);
    assert.equal(across.code, 2);
    assert.match(across.stderr, /crosses the interval change at .* \(every 30 minutes, then every 2\).*backfill each side separately/);

    const longAgo = new Date(hourAgo - (hourAgo % (30 * MINUTE_MS)) - 60 * MINUTE_MS);
    const older = await json<BackfillResult>(['export', 'backfill', '--integration', cfgId, '--from', longAgo.toISOString(), '--to', new Date(longAgo.getTime() + 30 * MINUTE_MS).toISOString(), '--wait']);
    assert.equal(older.intervalMinutes, 30, 'a window from before the change is one of the interval then in force');
    assert.deepEqual(older.windows.map((w) => [w.startMs, w.endMs, w.rows]), [[longAgo.getTime(), longAgo.getTime() + 30 * MINUTE_MS, 0]], 'run by the 2-minute schedule at its end');
    const toUnaligned = await cli(['export', 'backfill', '--integration', gapId, '--from', String(hourAgo), '--to', String(hourAgo + 3 * MINUTE_MS + 1)]);
    assert.equal(toUnaligned.code, 2);
    assert.match(toUnaligned.stderr, /--to \S+ is not aligned/);
    assert.deepEqual((await env.client.schedule.getHandle(exportScheduleIdOf(gapId)).describe()).info.recentActions, [], 'nothing ran');
  });

  it("backfill --wait runs the windows through the paused schedule and prints each window's rows; a second backfill waits for the new sets", async () => {
    const from = Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - 90 * MINUTE_MS;
    const to = from + 2 * MINUTE_MS;
    backfilledTo = to;
    const first = await cli(['export', 'backfill', '--integration', bfId, '--from', new Date(from).toISOString(), '--to', new Date(to).toISOString(), '--wait']);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, new RegExp(`^backfill of 2 windows of 1 min through the schedule export/${bfId}`));
    assert.match(first.stdout, /the schedule is paused: backfills run all the same/);
    assert.match(first.stdout, /every window is complete:\n {2}\[\S+, \S+\): 0 rows in 0 parts\n {2}\[\S+, \S+\): 0 rows in 0 parts\n$/);
    assert.match(first.stderr, /waiting for 2 windows to complete/, 'plain progress lines when stderr is not a terminal');
    for (const start of [from, from + MINUTE_MS]) assert.deepEqual(await listKeys(s3, rootBucket, successKey('', { start })), [successKey('', { start })]);
    const firstExports = await Promise.all([from, from + MINUTE_MS].map(async (start) => exportManifestSchema.parse(JSON.parse(await getText(s3, rootBucket, manifestKey('', { start })))).exportedAt));

    const again = await json<BackfillResult>(['export', 'backfill', '--integration', bfId, '--from', String(from), '--to', String(to), '--wait']);
    assert.deepEqual(again.windows.map((w) => [w.startMs, w.endMs, w.rows, w.parts]), [[from, from + MINUTE_MS, 0, 0], [from + MINUTE_MS, to, 0, 0]]);
    // The old _SUCCESS was there when it started: it waited for the sets the new runs wrote.
    again.windows.forEach((w, i) => assert.ok(Date.parse(w.exportedAt!) > Date.parse(firstExports[i]!), `${w.exportedAt} after ${firstExports[i]}`));
    const runs = (await env.client.schedule.getHandle(exportScheduleIdOf(bfId)).describe()).info.recentActions;
    assert.equal(runs.length, 4, 'two runs per backfill');
    assert.deepEqual(runs.map((r) => r.scheduledAt.getTime()), [from + MINUTE_MS, to, from + MINUTE_MS, to].map((e) => e + SETTLE_MS));
  });

  it('status reports the last complete window, its rows and the lag, and the owed windows nothing exported as missing', async function () {
    this.timeout(240_000);
    // The gap integration's first owed window: from its creation rounded up to the minute, due its settle delay after its end.
    const firstStart = Math.ceil(gapCreatedAt / MINUTE_MS) * MINUTE_MS;
    const due = firstStart + MINUTE_MS + SETTLE_MS;
    if (Date.now() < due + 500) await new Promise((r) => setTimeout(r, due + 500 - Date.now()));

    const before = Date.now();
    const [gap] = await json<ExportStatus[]>(['export', 'status', '--integration', gapId]);
    assert.ok(gap);
    assert.equal(gap.lastComplete, null);
    assert.equal(gap.lagMs, null);
    assert.equal(gap.schedule?.paused, true);
    assert.ok(gap.missing.length >= 1);
    assert.equal(gap.missing.length, gap.checked.windows, 'every owed window is missing');
    assert.equal(gap.missing[0]!.startMs, firstStart);
    gap.missing.forEach((w, i) => assert.deepEqual([w.startMs, w.endMs], [firstStart + i * MINUTE_MS, firstStart + (i + 1) * MINUTE_MS]));
    assert.ok(gap.missing.at(-1)!.endMs + SETTLE_MS <= Date.now());
    assert.ok(gap.missing.at(-1)!.endMs + SETTLE_MS + MINUTE_MS > before, 'up to the last window due');

    const all = await json<ExportStatus[]>(['export', 'status']);
    assert.deepEqual(all.map((s) => s.integrationId).filter((id) => [gapId, cfgId, bfId].includes(id)).sort(), [bfId, cfgId, gapId].sort());
    const bf = all.find((s) => s.integrationId === bfId)!;
    assert.deepEqual([bf.lastComplete?.endMs, bf.lastComplete?.rows, bf.lastComplete?.parts], [backfilledTo, 0, 0], 'the last backfilled window');
    assert.ok(bf.lagMs! >= before - backfilledTo && bf.lagMs! <= Date.now() - backfilledTo, String(bf.lagMs));

    const text = await cli(['export', 'status', '--integration', gapId]);
    assert.equal(text.code, 0, text.stderr);
    assert.match(text.stdout, /last complete window: \(none yet\)/);
    assert.match(text.stdout, new RegExp(`gap check: +\\d+ windows? due, \\[${new Date(firstStart).toISOString()}, \\S+\\): \\d+ MISSING`));
  });

  it("delete removes the schedule; an inbound integration's id is refused and pointed to `integration delete`", async () => {
    const deleted = await cli(['export', 'delete', '--id', cfgId]);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.match(deleted.stdout, new RegExp(`deleted outbound integration ${cfgId}: its export schedule is gone`));
    assert.ok(!(await scheduleIds()).includes(`export/${cfgId}`));
    await assert.rejects(env.client.schedule.getHandle(exportScheduleIdOf(cfgId)).describe(), ScheduleNotFoundError);
    assert.equal((await cli(['export', 'delete', '--id', cfgId])).code, 2, 'a tombstone is not deleted twice');
    const tombstone = await json<{ integration: OutboundIntegrationStateV1; schedule: null }>(['export', 'show', '--id', cfgId]);
    assert.ok(tombstone.integration.deletedAt);
    assert.equal(tombstone.schedule, null);

    const inboundBucket = await newBucket(s3, 'cliexp-in');
    await createIntegration(env.client, taskQueue, inboundId, {
      environments: ['env-a'],
      bucket: inboundBucket,
      region: 'us-east-1',
      topicArn: 'arn:aws:sns:us-east-1:123456789012:fme-events',
      prefix: 'in',
      statusPrefix: 'status',
    });
    const refused = await cli(['export', 'delete', '--id', inboundId]);
    assert.equal(refused.code, 2);
    assert.match(refused.stderr, new RegExp(`integration "${inboundId}" is inbound: delete it with \`cli integration delete --id ${inboundId}\``));
    assert.equal((await cli(['export', 'delete', '--id', `nobody-${process.pid}`])).code, 2);
  });
});
