import assert from 'node:assert/strict';
import { mkdtemp } from 'node:fs/promises';
import { hostname, tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { SplitFactory } from '@splitsoftware/splitio';
import { loadSettings } from '../src/config/settings';
import { IMPRESSION_COLUMNS } from '../src/domain/impressions/impressionSchema';
import { minuteLabel } from '../src/domain/impressions/intakeKeys';
import type { Moto } from '../src/dev/moto';
import { IntakeProcess, startIntakeProcess } from '../src/intake/intakeProcess';
import { DuckDBInstance, openDuckDb, queryObjects, sqlString, withConnection } from '../src/parquet/duckdb';
import { SdkKeyStore } from '../src/s3/sdkKeyStore';
import { FakeSplitServer, rolloutFlag, startFakeSplitServer } from './support/fakeSplitServer';
import { downloadObjects, listKeys, newBucket, s3For, sharedMoto } from './support/harness';

const SDK_VERSION = '11.11.2';
const FLAG_A = rolloutFlag('flag_a', 1_764_000_000_001, 'on', { 'user-vip': 'v2' });
const FLAG_B = rolloutFlag('flag_b', 1_764_000_000_002, 'blue');
const HOUR_MS = 3_600_000;

type Impression = SplitIO.ImpressionDTO;
type Row = Record<string, unknown>;

/**
 * The real Node SDK (`@splitsoftware/splitio` 11.11.2, the version issue 15 observed) pointed at
 * the intake by `urls.events`, its flag definitions served by a fake of the definitions server:
 * what it posts is what the intake stores, read back from the warehouse with DuckDB.
 */
describe(`impression intake: the real Node SDK ${SDK_VERSION} posts to it and its impressions are stored (moto)`, function () {
  this.timeout(30_000);
  let moto: Moto;
  let s3: S3Client;
  let warehouse: string;
  let intake: IntakeProcess;
  let fake: FakeSplitServer;
  let db: DuckDBInstance;
  let intakeUrl: string;
  let sdkKey: string;
  let sdkKeyId: string;

  before(async function () {
    this.timeout(120_000);
    moto = await sharedMoto();
    s3 = s3For(moto);
    warehouse = await newBucket(s3, 'intake-sdk');
    intake = await startIntakeProcess(
      loadSettings({
        S3_ENDPOINT: moto.endpoint,
        S3_FORCE_PATH_STYLE: 'true',
        WAREHOUSE_BUCKET: warehouse,
        AWS_ACCESS_KEY_ID: 'testing',
        AWS_SECRET_ACCESS_KEY: 'testing',
        HTTP_HOST: '127.0.0.1',
        INTAKE_PORT: '0',
        WORK_DIR: await mkdtemp(join(tmpdir(), 'intake-sdk-')),
        LOG_LEVEL: 'ERROR',
      }),
    );
    intakeUrl = `http://127.0.0.1:${intake.port}`;
    const added = await new SdkKeyStore(s3, warehouse).add({ environmentId: 'env-sdk', trafficTypeId: 'user', flagTrafficTypes: {} });
    sdkKey = added.key;
    sdkKeyId = added.record.id;
    fake = await startFakeSplitServer([FLAG_A, FLAG_B]);
    db = await openDuckDb({ memoryLimit: '256MB', threads: 2, tempDirectory: tmpdir() });
  });

  after(async () => {
    await intake?.close();
    await fake?.close();
    db?.closeSync();
  });

  /**
   * One SDK factory's life: ready, `evaluate`, then `destroy()`, which posts the queued
   * impressions (and counts) and resolves once the intake has answered. Returns the
   * impressions the SDK generated, as its impression listener saw them, and the time span.
   */
  async function withSdk(
    options: { mode: 'DEBUG' | 'OPTIMIZED'; ipAddressesEnabled?: boolean },
    evaluate: (client: SplitIO.IClient) => void,
  ): Promise<{ impressions: Impression[]; start: number; end: number }> {
    const impressions: Impression[] = [];
    const start = Date.now();
    const factory = SplitFactory({
      core: { authorizationKey: sdkKey, IPAddressesEnabled: options.ipAddressesEnabled ?? true },
      urls: { sdk: fake.apiUrl, auth: fake.apiUrl, telemetry: fake.apiUrl, streaming: fake.apiUrl, events: `${intakeUrl}/api` },
      streamingEnabled: false,
      sync: { impressionsMode: options.mode },
      // Long enough that nothing is posted before destroy(): one post per factory.
      scheduler: { impressionsRefreshRate: 60, featuresRefreshRate: 60, segmentsRefreshRate: 60, eventsPushRate: 60 },
      startup: { readyTimeout: 10, requestTimeoutBeforeReady: 5 },
      impressionListener: { logImpression: (data) => void impressions.push(data.impression) },
      debug: false,
    });
    const client = factory.client();
    try {
      await client.whenReady();
      evaluate(client);
    } finally {
      await client.destroy();
    }
    return { impressions, start, end: Date.now() };
  }

  /** The keys stored under `impressions/<kind>/` since `before` was listed. */
  async function newKeys(kind: 'batches' | 'counts', before: readonly string[]): Promise<string[]> {
    return (await listKeys(s3, warehouse, `impressions/${kind}/`)).filter((k) => !before.includes(k));
  }

  async function rowsOf(keys: readonly string[], orderBy: string): Promise<Row[]> {
    const files = await downloadObjects(s3, warehouse, keys);
    return withConnection(db, (c) => queryObjects(c, `SELECT * FROM read_parquet([${files.map(sqlString).join(', ')}]) ORDER BY ${orderBy}`));
  }

  /** A series' value in GET /metrics (0 when absent). */
  async function metric(series: string): Promise<number> {
    const text = await (await fetch(`${intakeUrl}/metrics`)).text();
    const line = text.split('\n').find((l) => l.startsWith(`${series} `));
    return line ? Number(line.slice(series.length + 1)) : 0;
  }

  /** The stored row each SDK impression should become, in the contract's columns plus bucketingKey and previousTime. */
  function expectedRow(imp: Impression, machine: { name: string | null; ip: string | null }, reception: number): Row {
    return {
      key: imp.keyName,
      label: imp.label,
      treatment: imp.treatment,
      splitName: imp.feature,
      splitVersion: BigInt(imp.changeNumber),
      properties: imp.properties ?? null,
      environmentId: 'env-sdk',
      trafficTypeId: 'user',
      sdk: 'nodejs',
      sdkVersion: SDK_VERSION,
      machineName: machine.name,
      machineIp: machine.ip,
      timestamp: BigInt(imp.time),
      receptionTimestamp: BigInt(reception),
      bucketingKey: imp.bucketingKey ?? null,
      previousTime: imp.pt === undefined ? null : BigInt(imp.pt),
    };
  }
  const storedView = (r: Row): Row =>
    Object.fromEntries([...IMPRESSION_COLUMNS.map((c) => c.name), 'bucketingKey', 'previousTime'].map((name) => [name, r[name]]));
  const byFlagKeyTime = (a: Impression, b: Impression) =>
    a.feature.localeCompare(b.feature) || a.keyName.localeCompare(b.keyName) || a.time - b.time || (a.pt ?? -1) - (b.pt ?? -1);
  const ORDER = 'splitName, "key", "timestamp", previousTime NULLS FIRST';

  it('fetches flag definitions with flag spec 1.3 and the SDK key, from the configured URL only', async () => {
    const { impressions } = await withSdk({ mode: 'DEBUG' }, (client) => assert.equal(client.getTreatment('user-probe', 'flag_b'), 'blue'));
    assert.equal(impressions.length, 1);
    const first = fake.requests[0]!;
    assert.equal(first.method, 'GET');
    assert.equal(first.url, '/api/splitChanges?s=1.3&since=-1&rbSince=-1');
    assert.equal(first.headers.authorization, `Bearer ${sdkKey}`);
    assert.equal(first.headers.splitsdkversion, `nodejs-${SDK_VERSION}`);
    // Streaming off: no /auth, no SSE; the rest is telemetry.
    const paths = new Set(fake.requests.map((r) => `${r.method} ${new URL(r.url, 'http://x').pathname}`));
    for (const p of paths) assert.ok(['GET /api/splitChanges', 'POST /api/v1/metrics/config', 'POST /api/v1/metrics/usage'].includes(p), `unexpected request ${p}`);
  });

  it('DEBUG mode: every impression the SDK generated is stored once, with every field mapped, after a 200', async () => {
    const okBefore = await metric('fme_intake_requests_total{route="bulk",outcome="ok"}');
    const storedBefore = await metric('fme_intake_impressions_total{route="bulk",mode="DEBUG"}');
    const keysBefore = await listKeys(s3, warehouse, 'impressions/');
    const seenBefore = fake.requests.length;

    const run = await withSdk({ mode: 'DEBUG' }, (client) => {
      const attrs = { plan: 'gold', age: 41 };
      assert.equal(client.getTreatment('user-1', 'flag_a', attrs), 'on');
      assert.equal(client.getTreatment('user-1', 'flag_a', attrs), 'on'); // a repeat: DEBUG sends it, with pt
      assert.equal(client.getTreatment('user-2', 'flag_a'), 'on');
      assert.equal(client.getTreatment('user-vip', 'flag_a'), 'v2');
      assert.equal(client.getTreatment({ matchingKey: 'user-3', bucketingKey: 'acct-9' }, 'flag_b'), 'blue');
      assert.equal(client.getTreatment('user-4', 'flag_a', undefined, { properties: { plan: 'gold', seat: 3 } }), 'on');
    });

    // What the SDK generated (its impression listener's view) is what it should have posted.
    const sdkImpressions = [...run.impressions].sort(byFlagKeyTime);
    assert.deepEqual(
      sdkImpressions.map((i) => [i.feature, i.keyName, i.treatment, i.label, i.bucketingKey ?? null, i.pt !== undefined, i.properties ?? null]),
      [
        ['flag_a', 'user-1', 'on', 'default rule', null, false, null],
        ['flag_a', 'user-1', 'on', 'default rule', null, true, null],
        ['flag_a', 'user-2', 'on', 'default rule', null, false, null],
        ['flag_a', 'user-4', 'on', 'default rule', null, false, '{"plan":"gold","seat":3}'],
        ['flag_a', 'user-vip', 'v2', 'whitelisted', null, false, null],
        ['flag_b', 'user-3', 'blue', 'default rule', 'acct-9', false, null],
      ],
    );

    // The intake answered the SDK's one post with 200 and stored all six.
    assert.equal(await metric('fme_intake_requests_total{route="bulk",outcome="ok"}'), okBefore + 1);
    assert.equal(await metric('fme_intake_impressions_total{route="bulk",mode="DEBUG"}'), storedBefore + 6);
    const keys = await newKeys('batches', keysBefore);
    assert.equal(keys.length, 1, `one batch file: ${keys.join(', ')}`);
    assert.deepEqual(await newKeys('counts', keysBefore), [], 'DEBUG mode posts no counts');

    const rows = await rowsOf(keys, ORDER);
    const reception = Number(rows[0]!.receptionTimestamp);
    assert.ok(reception >= Math.max(...run.impressions.map((i) => i.time)) && reception <= run.end, 'received after the evaluations, before destroy() resolved');
    for (const i of run.impressions) assert.ok(i.time >= run.start && i.time <= run.end, 'impression times are the test run\'s');
    assert.match(keys[0]!, new RegExp(`^impressions/batches/env=env-sdk/minute=${minuteLabel(reception)}/${reception}-[0-9a-f-]{36}\\.parquet$`));

    // The machine headers are the SDK's (same on every request it makes): the host name and IP.
    const sent = fake.requests[seenBefore]!.headers;
    const machine = { name: (sent.splitsdkmachinename as string | undefined) ?? null, ip: (sent.splitsdkmachineip as string | undefined) ?? null };
    assert.equal(machine.name, hostname());
    assert.deepEqual(
      rows.map(storedView),
      sdkImpressions.map((i) => expectedRow(i, machine, reception)),
    );
    assert.ok(rows.every((r) => r.sdkKeyId === sdkKeyId));
    // The content hash leaves out pt (DECISIONS, "Impressions and export"): a DEBUG repeat in the
    // same millisecond as the first evaluation (usual for back-to-back calls) shares its hash, and
    // the export will keep one of the two. Both are stored.
    const hashed = (i: Impression) => JSON.stringify([i.feature, i.keyName, i.bucketingKey ?? null, i.treatment, i.time, i.changeNumber, i.label, i.properties ?? null]);
    assert.equal(new Set(rows.map((r) => String(r.contentHash))).size, new Set(run.impressions.map(hashed)).size, 'one content hash per distinct impression, pt aside');
  });

  it('stores null machine columns when the SDK is told not to send its IP and host name (IPAddressesEnabled false)', async () => {
    const keysBefore = await listKeys(s3, warehouse, 'impressions/');
    const seenBefore = fake.requests.length;
    const run = await withSdk({ mode: 'DEBUG', ipAddressesEnabled: false }, (client) => {
      assert.equal(client.getTreatment('user-anon', 'flag_a'), 'on');
    });
    const sent = fake.requests[seenBefore]!.headers;
    assert.deepEqual([sent.splitsdkmachinename, sent.splitsdkmachineip], [undefined, undefined], 'the SDK sends neither header');
    const keys = await newKeys('batches', keysBefore);
    assert.equal(keys.length, 1);
    const rows = await rowsOf(keys, ORDER);
    assert.deepEqual(rows.map(storedView), run.impressions.map((i) => expectedRow(i, { name: null, ip: null }, Number(rows[0]!.receptionTimestamp))));
  });

  it('OPTIMIZED mode: a repeated evaluation is posted once as an impression and once as a count (at destroy), both stored', async () => {
    const countOkBefore = await metric('fme_intake_requests_total{route="count",outcome="ok"}');
    const keysBefore = await listKeys(s3, warehouse, 'impressions/');
    const run = await withSdk({ mode: 'OPTIMIZED' }, (client) => {
      assert.equal(client.getTreatment('user-5', 'flag_a'), 'on');
      assert.equal(client.getTreatment('user-5', 'flag_a'), 'on');
    });
    // The listener sees both evaluations; the second (with pt in the same hour) is deduplicated.
    assert.equal(run.impressions.length, 2);
    const [first] = [...run.impressions].sort(byFlagKeyTime);

    const batchKeys = await newKeys('batches', keysBefore);
    assert.equal(batchKeys.length, 1);
    const rows = await rowsOf(batchKeys, ORDER);
    assert.deepEqual(
      rows.map((r) => [r.key, r.splitName, r.treatment, r.label, r.splitVersion, r.timestamp, r.previousTime]),
      [['user-5', 'flag_a', 'on', 'default rule', BigInt(FLAG_A.changeNumber), BigInt(first!.time), null]],
    );

    assert.equal(await metric('fme_intake_requests_total{route="count",outcome="ok"}'), countOkBefore + 1);
    const countKeys = await newKeys('counts', keysBefore);
    assert.equal(countKeys.length, 1);
    assert.match(countKeys[0]!, /^impressions\/counts\/env=env-sdk\/minute=\d{8}T\d{4}Z\//);
    const counts = await rowsOf(countKeys, 'splitName');
    assert.deepEqual(
      counts.map((r) => [r.splitName, r.count, r.environmentId, r.trafficTypeId]),
      [['flag_a', 1n, 'env-sdk', 'user']],
    );
    const hour = Number(counts[0]!.hourTimestamp);
    assert.equal(hour % HOUR_MS, 0, 'the SDK counts per hour');
    assert.ok(hour >= Math.floor(run.start / HOUR_MS) * HOUR_MS && hour <= run.end);
  });
});
