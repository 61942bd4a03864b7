import assert from 'node:assert/strict';
import { createHash, randomUUID } from 'node:crypto';
import { mkdtemp, readdir, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, GetObjectAclCommand, ListMultipartUploadsCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { MockActivityEnvironment } from '@temporalio/testing';
import { DefaultLogger } from '@temporalio/worker';
import { createExportActivities } from '../src/activities/export/exportActivities';
import type { WireBulkBody } from '../src/dev/sdkImpressions';
import { manifestKey, successKey, windowFolder } from '../src/domain/export/exportKeys';
import { exportManifestSchema } from '../src/domain/export/manifest';
import { intakeObjectKey } from '../src/domain/impressions/intakeKeys';
import type { ExportTargetV1, ExportWindowInputV1, ExportWindowResultV1 } from '../src/messages/exportMessages';
import { type DuckDBInstance, openDuckDb } from '../src/parquet/duckdb';
import { downloadObjects, getText, listKeys, newBucket, s3For, sharedMoto } from './support/harness';
import { batchContext, contractRow, distinctBody, inExportOrder, intakeFile, readParts, readTextParts } from './support/exportFiles';
import { spyOn, type SentCommand } from './support/sendSpy';

const MIN = 60_000;
const LOOKBACK = 60 * MIN;
const isPartPut = (c: SentCommand) => c.name === 'PutObjectCommand' && /\/part-\d{5}\./.test(String(c.input.Key));
/** An activity context whose log (a line per exported window) stays out of the test output. */
const quiet = () => new MockActivityEnvironment({}, { logger: new DefaultLogger('ERROR') });
const WRITES = new Set(['PutObjectCommand', 'DeleteObjectCommand', 'DeleteObjectsCommand']);

/**
 * The export activities against moto: intake objects in a warehouse bucket (made as the intake
 * makes them), one window exported to a customer's bucket, and what a consumer finds there.
 */
describe('export activities: one window to the customer bucket (moto)', function () {
  this.timeout(180_000);
  let s3: S3Client;
  let db: DuckDBInstance;
  let dir: string;
  let workDir: string;

  before(async () => {
    s3 = s3For(await sharedMoto());
    dir = await mkdtemp(join(tmpdir(), 'export-e2e-'));
    workDir = await mkdtemp(join(tmpdir(), 'export-work-'));
    db = await openDuckDb({ memoryLimit: '512MB', threads: 2, tempDirectory: dir });
  });
  after(() => db?.closeSync());

  /** A warehouse and a customer bucket of their own, and activities whose customer client is spied on. */
  async function setUp(opts: { partRows: number; failWhen?: Parameters<typeof spyOn>[1] }) {
    const warehouse = await newBucket(s3, 'exp-wh');
    const customer = await newBucket(s3, 'exp-cust');
    return { warehouse, customer, ...activities(warehouse, opts) };
  }
  function activities(warehouse: string, opts: { partRows: number; failWhen?: Parameters<typeof spyOn>[1] }) {
    const spy = spyOn(s3, opts.failWhen);
    const regions: (string | undefined)[] = [];
    const acts = createExportActivities({ warehouse: s3, warehouseBucket: warehouse, s3ForRegion: (r) => (regions.push(r), spy.client), workDir, db, partRows: opts.partRows });
    const run = {
      exportWindow: (input: ExportWindowInputV1): Promise<ExportWindowResultV1> => quiet().run(acts.exportWindow, input),
      lastExportedEnd: (target: ExportTargetV1, before: number): Promise<number | undefined> => quiet().run(acts.lastExportedEnd, { target, before }),
    };
    return { run, sent: spy.sent, regions };
  }

  /** Stores one SDK batch in the warehouse as the intake does: env and reception minute in the key. */
  async function storeBatch(warehouse: string, body: WireBulkBody, env: string, receptionMs: number): Promise<string> {
    const local = await intakeFile(db, join(dir, 'in'), body, batchContext(env, receptionMs));
    await s3.send(new PutObjectCommand({ Bucket: warehouse, Key: intakeObjectKey('batches', env, receptionMs, randomUUID()), Body: await readFile(local) }));
    return local;
  }

  const target = (bucket: string, writePrefix = 'exports/fme', compression: ExportTargetV1['compression'] = 'snappy'): ExportTargetV1 => ({ bucket, region: 'eu-west-1', writePrefix, compression });
  const input = (t: ExportTargetV1, start: number, minutes = 30): ExportWindowInputV1 => ({
    integrationId: 'out-1',
    configVersion: 3,
    target: t,
    environments: ['env-a'],
    window: { start, end: start + minutes * MIN },
    dedupLookbackMs: LOOKBACK,
  });
  async function manifestOf(t: ExportTargetV1, start: number) {
    return exportManifestSchema.parse(JSON.parse(await getText(s3, t.bucket, manifestKey(t.writePrefix, { start }))));
  }
  /** What a consumer of a complete window finds: every key of the folder, and the manifest's parts' rows. */
  async function completeSet(t: ExportTargetV1, start: number) {
    const manifest = await manifestOf(t, start);
    const keys = await listKeys(s3, t.bucket, windowFolder(t.writePrefix, { start }));
    const files = await downloadObjects(s3, t.bucket, manifest.parts.map((p) => p.key));
    for (const [i, p] of manifest.parts.entries()) {
      const bytes = await readFile(files[i]!);
      assert.equal(createHash('md5').update(bytes).digest('hex'), p.md5, `${p.key}: the manifest's MD5`);
      assert.equal(bytes.length, p.bytes, `${p.key}: the manifest's size`);
    }
    return { manifest, keys, rows: await readParts(db, files) };
  }
  const allOf = (t: ExportTargetV1, start: number, partKeys: string[]) => [...partKeys, manifestKey(t.writePrefix, { start }), successKey(t.writePrefix, { start })].sort();

  it('writes parts, then the manifest, then _SUCCESS, with the window rows deduplicated, each PUT single with the bucket owner full control', async () => {
    const { warehouse, customer, run, sent, regions } = await setUp({ partRows: 2 });
    const T = Date.UTC(2026, 0, 5, 12, 0);
    const a = distinctBody(3, T, 'flag_a');
    const expected = [
      ...(await readParts(db, [await storeBatch(warehouse, a, 'env-a', T + 1 * MIN)])),
      ...(await readParts(db, [await storeBatch(warehouse, distinctBody(2, T, 'flag_b'), 'env-a', T + 30 * MIN - 1)])),
    ];
    await storeBatch(warehouse, a, 'env-a', T + 2 * MIN); // the SDK's retry of the same batch
    await storeBatch(warehouse, distinctBody(2, T, 'next_window'), 'env-a', T + 30 * MIN);
    await storeBatch(warehouse, distinctBody(2, T, 'other_env'), 'env-b', T + 5 * MIN);
    const lookback = distinctBody(2, T, 'exported_before');
    await storeBatch(warehouse, lookback, 'env-a', T - 10 * MIN);
    await storeBatch(warehouse, lookback, 'env-a', T + 3 * MIN);

    const t = target(customer);
    const result = await run.exportWindow(input(t, T));
    assert.deepEqual(result, { rows: 5, duplicatesDropped: 5, parts: 3, sourceObjects: 5, manifestKey: 'exports/fme/window_start=20260105T1200Z/_manifest.json' });
    assert.deepEqual(regions, ['eu-west-1']);

    const { manifest, keys, rows } = await completeSet(t, T);
    const parts = [0, 1, 2].map((i) => `exports/fme/window_start=20260105T1200Z/part-0000${i}.snappy.parquet`);
    assert.deepEqual(keys, allOf(t, T, parts));
    assert.deepEqual(await getText(s3, customer, successKey(t.writePrefix, { start: T })), '');
    assert.deepEqual(
      { ...manifest, exportedAt: undefined, parts: manifest.parts.map((p) => [p.key, p.rows]) },
      {
        version: 1, integrationId: 'out-1', configVersion: 3, format: 'parquet', compression: 'snappy', environments: ['env-a'], rows: 5, duplicatesDropped: 5, sourceObjects: 5, exportedAt: undefined,
        window: { start: '2026-01-05T12:00:00.000Z', end: '2026-01-05T12:30:00.000Z', startMs: T, endMs: T + 30 * MIN },
        parts: [[parts[0], 2], [parts[1], 2], [parts[2], 1]],
      },
    );
    assert.deepEqual(rows, inExportOrder(expected.map(contractRow)));

    // The order of writes: _SUCCESS away first, the manifest before and after its parts, _SUCCESS last.
    const writes = sent.filter((c) => WRITES.has(c.name)).map((c) => `${c.name.replace('Command', '')} ${String(c.input.Key).split('/').pop()}`);
    const m = 'PutObject _manifest.json';
    assert.deepEqual(writes, ['DeleteObject _SUCCESS', m, ...parts.map((p) => `PutObject ${p.split('/').pop()}`), m, 'PutObject _SUCCESS']);
    for (const c of sent.filter((x) => x.name === 'PutObjectCommand')) {
      assert.equal(c.input.ACL, 'bucket-owner-full-control', String(c.input.Key));
      assert.match(String(c.input.ContentMD5), /^[A-Za-z0-9+/]{22}==$/, String(c.input.Key));
    }
    assert.ok(!sent.some((c) => /Multipart|UploadPart/.test(c.name)), 'no multipart upload was started');
    assert.equal((await s3.send(new ListMultipartUploadsCommand({ Bucket: customer }))).Uploads, undefined);
    // moto reports a canned ACL as grants; in a same-account bucket bucket-owner-full-control is the owner's FULL_CONTROL alone.
    for (const key of keys) {
      const grants = (await s3.send(new GetObjectAclCommand({ Bucket: customer, Key: key }))).Grants ?? [];
      assert.deepEqual(grants.map((g) => [g.Grantee?.Type, g.Permission]), [['CanonicalUser', 'FULL_CONTROL']], key);
    }
    assert.deepEqual(await readdir(join(workDir, 'exports')), [], 'the scratch directory is removed');
  });

  it('gives a window without impressions a manifest of zero rows and _SUCCESS, and no parts', async () => {
    const { warehouse, customer, run } = await setUp({ partRows: 2 });
    const T = Date.UTC(2026, 0, 5, 14, 0);
    await storeBatch(warehouse, distinctBody(2, T, 'lookback_only'), 'env-a', T - 5 * MIN);
    const t = target(customer, '');
    const result = await run.exportWindow(input(t, T));
    assert.deepEqual(result, { rows: 0, duplicatesDropped: 0, parts: 0, sourceObjects: 1, manifestKey: 'window_start=20260105T1400Z/_manifest.json' });
    const { manifest, keys } = await completeSet(t, T);
    assert.deepEqual(keys, allOf(t, T, []));
    assert.deepEqual([manifest.rows, manifest.parts], [0, []]);
  });

  it('replaces a re-exported window: the part it no longer writes is removed, customer objects beside it stay', async () => {
    const { warehouse, customer, run } = await setUp({ partRows: 2 });
    const T = Date.UTC(2026, 0, 5, 16, 0);
    await storeBatch(warehouse, distinctBody(5, T, 'flag_a'), 'env-a', T + MIN);
    const t = target(customer);
    const folder = windowFolder(t.writePrefix, { start: T });
    const theirs = [`${folder}notes.txt`, `${folder}part-00007.snappy.parquet`, 'exports/fme/readme.txt', 'exports/readme.txt'];
    for (const key of theirs) await s3.send(new PutObjectCommand({ Bucket: customer, Key: key, Body: `customer's ${key}` }));
    await run.exportWindow(input(t, T));
    const before = await completeSet(t, T);
    assert.equal(before.manifest.parts.length, 3);

    const again = activities(warehouse, { partRows: 3 });
    assert.equal((await again.run.exportWindow(input(t, T))).parts, 2);
    const after = await completeSet(t, T);
    assert.deepEqual(after.keys, allOf(t, T, [...after.manifest.parts.map((p) => p.key), `${folder}notes.txt`, `${folder}part-00007.snappy.parquet`]));
    assert.deepEqual(after.rows, before.rows);
    const deleted = again.sent.filter((c) => c.name === 'DeleteObjectsCommand').flatMap((c) => (c.input.Delete as { Objects: { Key: string }[] }).Objects.map((o) => o.Key));
    assert.deepEqual(deleted, [`${folder}part-00002.snappy.parquet`]);
    for (const key of theirs) assert.equal(await getText(s3, customer, key), `customer's ${key}`);
  });

  it('replaces a window exported as Parquet with gzip CSV after a format change: the Parquet parts go, the CSV parts are stored as gzip files', async () => {
    const { warehouse, customer, run } = await setUp({ partRows: 2 });
    const T = Date.UTC(2026, 0, 5, 17, 0);
    await storeBatch(warehouse, distinctBody(3, T, 'flag_a'), 'env-a', T + MIN);
    const parquetTarget = target(customer);
    await run.exportWindow(input(parquetTarget, T));
    const before = await completeSet(parquetTarget, T);

    const again = activities(warehouse, { partRows: 2 });
    const csvTarget: ExportTargetV1 = { ...parquetTarget, format: 'csv', compression: 'gzip' };
    assert.equal((await again.run.exportWindow(input(csvTarget, T))).parts, 2);
    const manifest = await manifestOf(csvTarget, T);
    const folder = windowFolder(csvTarget.writePrefix, { start: T });
    const csvParts = [`${folder}part-00000.csv.gz`, `${folder}part-00001.csv.gz`];
    assert.deepEqual([manifest.format, manifest.compression, manifest.parts.map((p) => p.key)], ['csv', 'gzip', csvParts]);
    assert.deepEqual(await listKeys(s3, customer, folder), allOf(csvTarget, T, csvParts));
    const deleted = again.sent.filter((c) => c.name === 'DeleteObjectsCommand').flatMap((c) => (c.input.Delete as { Objects: { Key: string }[] }).Objects.map((o) => o.Key));
    assert.deepEqual(deleted.sort(), before.manifest.parts.map((p) => p.key).sort());
    for (const c of again.sent.filter(isPartPut)) assert.equal(c.input.ContentType, 'application/gzip');
    const files = await downloadObjects(s3, customer, csvParts);
    const rows = await readTextParts(db, 'csv', files, 'gzip');
    assert.deepEqual(rows.map(contractRow), before.rows.map(contractRow));
  });

  it('fails when the second part cannot be PUT, leaving no _SUCCESS, and its retry leaves exactly one complete set', async () => {
    const { warehouse, customer, run } = await setUp({ partRows: 2 });
    const T = Date.UTC(2026, 0, 5, 18, 0);
    await storeBatch(warehouse, distinctBody(3, T, 'flag_a'), 'env-a', T + MIN);
    const t = target(customer);
    await run.exportWindow(input(t, T)); // an earlier complete set, replaced below
    await storeBatch(warehouse, distinctBody(2, T, 'flag_b'), 'env-a', T + 2 * MIN);

    const failing = activities(warehouse, { partRows: 2, failWhen: (c, sent) => isPartPut(c) && sent.filter(isPartPut).length === 1 });
    await assert.rejects(failing.run.exportWindow(input(t, T)), /injected failure of PutObjectCommand .*part-00001/);
    const keys = await listKeys(s3, customer, windowFolder(t.writePrefix, { start: T }));
    assert.ok(!keys.includes(successKey(t.writePrefix, { start: T })), 'no _SUCCESS after a failed export');
    assert.deepEqual(await readdir(join(workDir, 'exports')), [], 'the scratch directory is removed after a failure too');

    assert.equal((await run.exportWindow(input(t, T))).rows, 5);
    const after = await completeSet(t, T);
    assert.deepEqual(after.keys, allOf(t, T, after.manifest.parts.map((p) => p.key)));
    assert.deepEqual(after.manifest.parts.map((p) => p.rows), [2, 2, 1]);
    assert.deepEqual(after.rows.map((r) => r.splitName), ['flag_a', 'flag_a', 'flag_a', 'flag_b', 'flag_b']);
  });

  it('removes the parts an attempt that died among its uploads wrote, when its retry writes fewer', async () => {
    const { warehouse, customer } = await setUp({ partRows: 1 });
    const T = Date.UTC(2026, 0, 5, 20, 0);
    await storeBatch(warehouse, distinctBody(5, T, 'flag_a'), 'env-a', T + MIN);
    const t = target(customer);
    // Parts 0-3 written, the fifth refused: as if the worker died there.
    const dying = activities(warehouse, { partRows: 1, failWhen: (c, sent) => isPartPut(c) && sent.filter(isPartPut).length === 4 });
    await assert.rejects(dying.run.exportWindow(input(t, T)), /part-00004/);
    assert.equal((await listKeys(s3, customer, windowFolder(t.writePrefix, { start: T }))).filter((k) => k.includes('/part-')).length, 4);
    // The retry runs with bigger parts (as after a change of data or settings): one part.
    await activities(warehouse, { partRows: 5 }).run.exportWindow(input(t, T));
    const after = await completeSet(t, T);
    assert.deepEqual(after.keys, allOf(t, T, ['exports/fme/window_start=20260105T2000Z/part-00000.snappy.parquet']));
    assert.equal(after.rows.length, 5);
  });

  it('finds the end of the latest complete window before a time, passing over one without _SUCCESS', async () => {
    const { customer, run } = await setUp({ partRows: 2 });
    const T = Date.UTC(2026, 0, 6, 8, 0);
    const t = target(customer, 'exports/last');
    assert.equal(await run.lastExportedEnd(t, T + 600 * MIN), undefined, 'nothing exported yet');
    for (const start of [T, T + 30 * MIN, T + 60 * MIN]) await run.exportWindow(input(t, start));
    for (const key of ['exports/last/other/file.txt', 'exports/last/unrelated', 'exports/last/window_start=junk/x']) await s3.send(new PutObjectCommand({ Bucket: customer, Key: key, Body: 'x' }));
    // The third window lost its _SUCCESS (an export that failed): a consumer would not take it, nor does the export.
    await s3.send(new DeleteObjectCommand({ Bucket: customer, Key: successKey(t.writePrefix, { start: T + 60 * MIN }) }));

    assert.equal(await run.lastExportedEnd(t, T + 600 * MIN), T + 60 * MIN);
    assert.equal(await run.lastExportedEnd(t, T + 10 * 24 * 60 * MIN), T + 60 * MIN, 'found by the full listing when the last window is older than the first, recent listing');
    assert.equal(await run.lastExportedEnd(t, T + 61 * MIN), T + 60 * MIN);
    assert.equal(await run.lastExportedEnd(t, T + 60 * MIN), T + 30 * MIN, 'an end equal to `before` is not before it');
    assert.equal(await run.lastExportedEnd(t, T + 45 * MIN), T + 30 * MIN);
    assert.equal(await run.lastExportedEnd(t, T + 30 * MIN), undefined);
    assert.equal(await run.lastExportedEnd(target(customer, 'exports/elsewhere'), T + 600 * MIN), undefined);
  });
});
