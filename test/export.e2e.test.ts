import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { loadSettings } from '../src/config/settings';
import { manifestKey, successKey, windowFolder } from '../src/domain/export/exportKeys';
import { exportManifestSchema, type ExportManifest } from '../src/domain/export/manifest';
import { MINUTE_MS } from '../src/domain/export/windows';
import { IMPRESSION_COLUMNS } from '../src/domain/impressions/impressionSchema';
import { intakeObjectKey, minuteOf } from '../src/domain/impressions/intakeKeys';
import { exportScheduleIdOf } from '../src/domain/keys';
import type { Moto } from '../src/dev/moto';
import { postToIntake, sdkBulkBody, sdkHeaders } from '../src/dev/sdkImpressions';
import { createOutboundIntegration } from '../src/integrationClient';
import { IntakeProcess, startIntakeProcess } from '../src/intake/intakeProcess';
import { SdkKeyStore } from '../src/s3/sdkKeyStore';
import { batchContext, distinctBody, intakeFile, readParts } from './support/exportFiles';
import { deploymentEnv, downloadObjects, getText, listKeys, newBucket, RunningWorker, s3For, sharedMoto, startWorker, waitFor } from './support/harness';
import { runCli } from './support/cli';
import { TEMPORAL_CLI } from './support/paths';
import { localTemporal } from './support/temporal';
import { maybeRecordHistory } from './support/histories';
// parquetjs-lite has no types of its own.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const parquet = require('parquetjs-lite') as { ParquetReader: { openFile(path: string): Promise<{ getCursor(): { next(): Promise<unknown> }; close(): Promise<void> }> } };

const SETTLE_MS = 10_000;
const PREFIX = 'fme/impressions';

/**
 * Impressions to the customer's bucket on a Temporal Schedule, end to end on the dev server and
 * moto: SDK posts through the intake, the schedule's runs and its backfill, and the files read
 * back as a customer would.
 */
describe('export: impressions to the customer bucket on the export schedule (dev server, moto)', function () {
  this.timeout(180_000);
  let env: TestWorkflowEnvironment;
  let moto: Moto;
  let s3: S3Client;
  let worker: RunningWorker;
  let intake: IntakeProcess;
  let warehouse: string;
  let customer: string;
  const taskQueue = `export-${process.pid}`;
  const id = `out-${process.pid}`;
  const posted: { batch: string; reception: number }[] = [];

  const windowOfMs = (ms: number) => ({ start: minuteOf(ms), end: minuteOf(ms) + MINUTE_MS });
  const manifestOf = async (start: number): Promise<ExportManifest> => exportManifestSchema.parse(JSON.parse(await getText(s3, customer, manifestKey(PREFIX, { start }))));
  const complete = (start: number) => waitFor(`_SUCCESS of the window at ${new Date(start).toISOString()}`, async () => ((await listKeys(s3, customer, successKey(PREFIX, { start }))).length > 0 ? true : undefined), 120_000);

  before(async function () {
    this.timeout(240_000);
    env = await localTemporal();
    moto = await sharedMoto();
    s3 = s3For(moto);
    warehouse = await newBucket(s3, 'exp-wh');
    customer = await newBucket(s3, 'exp-cust');
    worker = await startWorker(env, s3, { taskQueue, warehouseBucket: warehouse, export: { settleMs: SETTLE_MS, dedupLookbackMs: 60 * MINUTE_MS, concurrency: 2 } });
    intake = await startIntakeProcess(
      loadSettings({ S3_ENDPOINT: moto.endpoint, S3_FORCE_PATH_STYLE: 'true', WAREHOUSE_BUCKET: warehouse, HTTP_HOST: '127.0.0.1', INTAKE_PORT: '0', WORK_DIR: await mkdtemp(join(tmpdir(), 'exp-intake-')), LOG_LEVEL: 'ERROR' }),
    );
    await createOutboundIntegration(env.client, taskQueue, id, { environments: ['env-x'], bucket: customer, region: 'us-east-1', writePrefix: PREFIX, compression: 'snappy', intervalMinutes: 1 });
    // Posted first, so the minute they arrive in has ended by the time the test that reads them runs.
    const { key } = await new SdkKeyStore(s3, warehouse).add({ environmentId: 'env-x', trafficTypeId: 'user', flagTrafficTypes: {} });
    const url = `http://127.0.0.1:${intake.port}/api/testImpressions/bulk`;
    const headers = sdkHeaders(key, { sdkVersion: 'nodejs-11.11.2', machineName: 'web-1', machineIp: '10.0.0.1', mode: 'DEBUG' });
    const once = sdkBulkBody(3, 20, Date.now() - 5_000);
    const twice = sdkBulkBody(2, 10, Date.now() - 4_000).map((f) => ({ ...f, f: `${f.f}_retried` }));
    for (const body of [once, twice, twice]) {
      const res = await postToIntake(url, headers, body);
      assert.equal(res.status, 200, JSON.stringify(res.body));
      posted.push({ batch: String(res.body.batch), reception: Number(String(res.body.batch).split('/').pop()!.split('-')[0]) });
    }
  });

  after(async () => {
    await intake?.close();
    await worker?.stop();
  });

  it('creates the schedule export/<id>, listed by `temporal schedule list`', async () => {
    const { stdout } = await promisify(execFile)(TEMPORAL_CLI, ['schedule', 'list', '--address', env.address, '--output', 'json']);
    assert.match(stdout, new RegExp(`"${exportScheduleIdOf(id).replace('/', '\\/')}"`));
  });

  it('a backfill of six windows from the CLI writes six complete sets, the empty windows with a manifest and _SUCCESS and no parts', async () => {
    const first = minuteOf(Date.now()) - 3 * 60 * MINUTE_MS;
    const starts = Array.from({ length: 6 }, (_, i) => first + i * MINUTE_MS);
    const dir = await mkdtemp(join(tmpdir(), 'exp-files-'));
    // Windows 1, 3 and 5 hold impressions (stored as the intake stores them); 0, 2 and 4 none.
    for (const i of [1, 3, 5]) {
      const file = await intakeFile(worker.db, dir, distinctBody(4 + i, starts[i]! - 60_000), batchContext('env-x', starts[i]! + 1_000));
      await s3.send(new PutObjectCommand({ Bucket: warehouse, Key: intakeObjectKey('batches', 'env-x', starts[i]! + 1_000, `b${i}`), Body: await readFile(file) }));
    }
    // From the CLI, as an operator backfills: it waits for each window's _SUCCESS.
    const run = await runCli(
      ['export', 'backfill', '--integration', id, '--from', new Date(starts[0]!).toISOString(), '--to', new Date(starts[5]! + MINUTE_MS).toISOString(), '--wait', '--json'],
      deploymentEnv(env, moto, taskQueue, { WAREHOUSE_BUCKET: warehouse, EXPORT_SETTLE_DELAY: '10s' }) as Record<string, string>,
    );
    assert.equal(run.code, 0, run.stderr);
    const printed = JSON.parse(run.stdout) as { windows: { startMs: number; rows?: number }[] };
    assert.deepEqual(printed.windows.map((w) => [w.startMs, w.rows]), starts.map((s, i) => [s, i % 2 === 1 ? 4 + i : 0]));
    for (const s of starts) await complete(s);
    for (const [i, s] of starts.entries()) {
      const m = await manifestOf(s);
      assert.deepEqual([m.window.startMs, m.window.endMs], [s, s + MINUTE_MS]);
      const objects = (await listKeys(s3, customer, windowFolder(PREFIX, { start: s }))).map((k) => k.split('/').pop());
      if (i % 2 === 0) {
        assert.equal(m.rows, 0);
        assert.deepEqual(objects, ['_SUCCESS', '_manifest.json'], 'an empty window: its manifest and _SUCCESS, no data files');
      } else {
        assert.equal(m.rows, 4 + i);
        assert.deepEqual(objects, ['_SUCCESS', '_manifest.json', 'part-00000.snappy.parquet']);
      }
    }
  });

  it('exports impressions posted through the intake, one batch posted twice, once, in the window of their reception, with the seed\'s schema', async () => {
    const windows = [...new Map(posted.map((p) => [windowOfMs(p.reception).start, windowOfMs(p.reception)])).values()];
    // The schedule runs every minute by itself: wait for its runs of these windows.
    for (const w of windows) await complete(w.start);
    const parts: string[] = [];
    let rows = 0;
    let dropped = 0;
    for (const w of windows) {
      const m = await manifestOf(w.start);
      rows += m.rows;
      dropped += m.duplicatesDropped;
      const keys = m.parts.map((p) => p.key);
      parts.push(...keys);
      // Each window's files hold exactly its own receptions: nothing from a neighbouring window.
      const own = await readParts(worker.db, await downloadObjects(s3, customer, keys));
      assert.equal(own.length, m.rows);
      for (const r of own) assert.ok(Number(r.receptionTimestamp) >= w.start && Number(r.receptionTimestamp) < w.end, `a row of ${new Date(w.start).toISOString()}'s window`);
    }
    assert.equal(rows, 3 * 20 + 2 * 10, 'every impression once');
    assert.equal(dropped, 2 * 10, 'the batch posted twice counted once');
    const files = await downloadObjects(s3, customer, parts);
    const read = await readParts(worker.db, files);
    assert.equal(read.length, rows);
    assert.deepEqual(Object.keys(read[0]!), IMPRESSION_COLUMNS.map((c) => c.name), "exactly the seed's columns, in its order");
    for (const r of read) {
      assert.deepEqual([r.environmentId, r.trafficTypeId, r.sdk, r.sdkVersion, r.machineName], ['env-x', 'user', 'nodejs', '11.11.2', 'web-1']);
      assert.equal(typeof r.timestamp, 'bigint', 'Long as INT64');
    }
    // And as a customer reading the snappy parts with parquetjs-lite.
    let n = 0;
    for (const f of files) {
      const reader = await parquet.ParquetReader.openFile(f);
      const cursor = reader.getCursor();
      while (await cursor.next()) n++;
      await reader.close();
    }
    assert.equal(n, rows);
  });

  it('records an export run for the replay test', async () => {
    const runs = [];
    for await (const w of env.client.workflow.list({ query: `WorkflowType = "exportWorkflow" AND ExecutionStatus = "Completed"` })) runs.push(w);
    assert.ok(runs.length > 0, 'export runs completed');
    await maybeRecordHistory(env.address, env.client.workflow.getHandle(runs[0]!.workflowId, runs[0]!.runId), 'exportWorkflow-window-exported', runs[0]!.runId);
  });
});
