import assert from 'node:assert/strict';
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { S3Client } from '@aws-sdk/client-s3';
import { loadSettings } from '../src/config/settings';
import { IMPRESSION_COLUMNS } from '../src/domain/impressions/impressionSchema';
import { minuteLabel } from '../src/domain/impressions/intakeKeys';
import type { Moto } from '../src/dev/moto';
import { postToIntake, sdkBulkBody, sdkHeaders, type WireBulkBody } from '../src/dev/sdkImpressions';
import { IntakeProcess, startIntakeProcess } from '../src/intake/intakeProcess';
import { DuckDBInstance, openDuckDb, queryObjects, sqlString, withConnection } from '../src/parquet/duckdb';
import { INTAKE_COLUMNS } from '../src/parquet/impressionSql';
import { hashSdkKey } from '../src/s3/sdkKeyStore';
import { runCli } from './support/cli';
import { expectedHash } from './support/impressionFiles';
import { readdir } from 'node:fs/promises';
import { downloadObjects, listKeys, newBucket, s3For, sharedMoto } from './support/harness';

const NODE_SDK = { sdkVersion: 'nodejs-11.11.2', machineName: 'web-7', machineIp: '10.0.0.7', mode: 'DEBUG' };

/**
 * The impression intake as an SDK meets it, against moto's S3: keys from the CLI, SDK-format
 * posts, and the Parquet it stores read back with DuckDB.
 */
describe('impression intake: SDK posts stored as Parquet before the answer (moto)', function () {
  this.timeout(120_000);
  let moto: Moto;
  let s3: S3Client;
  let warehouse: string;
  let intake: IntakeProcess;
  let db: DuckDBInstance;
  let url: string;
  let key: string;
  let keyId: string;
  let cliEnv: Record<string, string>;
  let workDir: string;

  const post = (route: 'bulk' | 'count', body: unknown, headers = sdkHeaders(key, NODE_SDK), opts: { gzip?: boolean } = {}) =>
    postToIntake(`${url}/api/testImpressions/${route}`, headers, body, opts);
  const stored = (kind = 'batches') => listKeys(s3, warehouse, `impressions/${kind}/`);

  /** Every row of the stored files, as DuckDB reads them. */
  async function storedRows(keys: string[]): Promise<Record<string, unknown>[]> {
    const files = await downloadObjects(s3, warehouse, keys);
    return withConnection(db, (c) =>
      queryObjects(c, `SELECT *, filename AS file FROM read_parquet([${files.map(sqlString).join(', ')}], filename = true) ORDER BY splitName, key, timestamp`),
    );
  }

  before(async function () {
    this.timeout(180_000);
    moto = await sharedMoto();
    s3 = s3For(moto);
    warehouse = await newBucket(s3, 'intake-wh');
    cliEnv = {
      S3_ENDPOINT: moto.endpoint,
      S3_FORCE_PATH_STYLE: 'true',
      WAREHOUSE_BUCKET: warehouse,
      INTAKE_PUBLIC_URL: 'https://intake.example.com',
      AWS_ACCESS_KEY_ID: 'testing',
      AWS_SECRET_ACCESS_KEY: 'testing',
    };
    const settings = loadSettings({
      ...cliEnv,
      HTTP_HOST: '127.0.0.1',
      INTAKE_PORT: '0',
      INTAKE_MAX_BODY_BYTES: '10MiB',
      INTAKE_KEY_CACHE_TTL: '0ms',
      WORK_DIR: (workDir = await mkdtemp(join(tmpdir(), 'intake-'))),
      LOG_LEVEL: 'ERROR',
    });
    intake = await startIntakeProcess(settings);
    url = `http://127.0.0.1:${intake.port}`;
    db = await openDuckDb({ memoryLimit: '512MB', threads: 2, tempDirectory: tmpdir() });
    const add = await runCli(['intake', 'key', 'add', '--environment', 'env-prod', '--traffic-type', 'user', '--flag-traffic-type', 'flag_1=account', '--label', 'web', '--json'], cliEnv);
    assert.equal(add.code, 0, add.stderr);
    const added = JSON.parse(add.stdout) as { key: string; id: string; eventsUrl: string };
    key = added.key;
    keyId = added.id;
    assert.equal(added.eventsUrl, 'https://intake.example.com/api');
  });

  after(async () => {
    await intake?.close();
    db?.closeSync();
  });

  it('stores only the hash of an SDK key, and lists its id without the key', async () => {
    const list = await runCli(['intake', 'key', 'list', '--json'], cliEnv);
    assert.equal(list.code, 0, list.stderr);
    const records = JSON.parse(list.stdout) as Record<string, unknown>[];
    assert.deepEqual(records.map((r) => r.id), [keyId]);
    assert.ok(!list.stdout.includes(key), 'the key itself is never listed');
    const objects = await listKeys(s3, warehouse, 'impressions/sdk-keys/');
    assert.deepEqual(objects, [`impressions/sdk-keys/${hashSdkKey(key)}.json`]);
    const [file] = await downloadObjects(s3, warehouse, objects);
    assert.ok(!(await readFile(file!, 'utf8')).includes(key), 'the stored record does not hold the key');
  });

  it('maps every field of an SDK batch to the seed schema, partitioned by environment and reception minute', async () => {
    const body: WireBulkBody = [
      { f: 'flag_0', i: [{ k: 'alice', b: 'acct-1', t: 'on', r: 'default rule', c: 1764000000001, m: 1764670000123, pt: 1764660000000, properties: '{"plan":"gold"}' }] },
      { f: 'flag_1', i: [{ k: 'bob', t: 'off', m: 1764670000456 }] },
    ];
    const before = Date.now();
    const res = await post('bulk', body);
    const after = Date.now();
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.stored, 2);
    const keys = await stored();
    assert.equal(keys.length, 1);
    assert.equal(keys[0], res.body.batch);
    const rows = await storedRows(keys);
    const reception = Number(rows[0]!.receptionTimestamp);
    assert.ok(reception >= before && reception <= after, 'received while the post was answered');
    assert.match(keys[0]!, new RegExp(`^impressions/batches/env=env-prod/minute=${minuteLabel(reception)}/${reception}-[0-9a-f-]{36}\\.parquet$`));
    const contract = (r: Record<string, unknown>) => Object.fromEntries(IMPRESSION_COLUMNS.map((c) => [c.name, r[c.name]]));
    assert.deepEqual(rows.map(contract), [
      {
        key: 'alice', label: 'default rule', treatment: 'on', splitName: 'flag_0', splitVersion: 1764000000001n, properties: '{"plan":"gold"}',
        environmentId: 'env-prod', trafficTypeId: 'user', sdk: 'nodejs', sdkVersion: '11.11.2', machineName: 'web-7', machineIp: '10.0.0.7',
        timestamp: 1764670000123n, receptionTimestamp: BigInt(reception),
      },
      {
        key: 'bob', label: null, treatment: 'off', splitName: 'flag_1', splitVersion: null, properties: null,
        environmentId: 'env-prod', trafficTypeId: 'account', sdk: 'nodejs', sdkVersion: '11.11.2', machineName: 'web-7', machineIp: '10.0.0.7',
        timestamp: 1764670000456n, receptionTimestamp: BigInt(reception),
      },
    ]);
    assert.deepEqual([rows[0]!.bucketingKey, rows[0]!.previousTime, rows[0]!.sdkKeyId], ['acct-1', 1764660000000n, keyId]);
    assert.deepEqual([rows[1]!.bucketingKey, rows[1]!.previousTime], [null, null]);
    // The content hash, computed here without DuckDB: SDK key id, environment, flag, key, bucketing key, treatment, time, change number, label, properties.
    assert.deepEqual(
      rows.map((r) => r.contentHash),
      rows.map((r) => expectedHash({ ...r, timestamp: BigInt(r.timestamp as bigint), splitVersion: r.splitVersion as bigint | null } as never, keyId)),
    );
    const files = await downloadObjects(s3, warehouse, keys);
    const schema = await withConnection(db, (c) => queryObjects(c, `SELECT name, type FROM parquet_schema(${sqlString(files[0]!)}) WHERE name <> 'duckdb_schema'`));
    assert.deepEqual(schema.map((s) => s.name), INTAKE_COLUMNS.map((c) => c.name), 'the columns in the contract order, then ours');
  });

  it("takes machine headers of 'unknown' or absent as null, and the SDK's language and version apart", async () => {
    const a = await post('bulk', [{ f: 'f', i: [{ k: 'u1', t: 'on', m: 1 }] }], sdkHeaders(key, { sdkVersion: 'python-10.2.0', machineName: 'unknown', machineIp: 'unknown' }));
    const b = await post('bulk', [{ f: 'f', i: [{ k: 'u2', t: 'on', m: 2 }] }], sdkHeaders(key, { sdkVersion: 'react-native-1.0.0-rc.1' }));
    assert.deepEqual([a.status, b.status], [200, 200]);
    const rows = await storedRows([a.body.batch as string, b.body.batch as string]);
    assert.deepEqual(
      rows.map((r) => [r.key, r.sdk, r.sdkVersion, r.machineName, r.machineIp]),
      [
        ['u1', 'python', '10.2.0', null, null],
        ['u2', 'react-native', '1.0.0-rc.1', null, null],
      ],
    );
  });

  describe('refused requests store nothing', () => {
    let before: string[];
    beforeEach(async () => {
      before = await stored();
    });
    afterEach(async () => {
      assert.deepEqual(await stored(), before, 'nothing stored');
    });

    it('answers 401 SDK_KEY_UNKNOWN for a key never added', async () => {
      const res = await post('bulk', sdkBulkBody(1, 3, 1), sdkHeaders('fmesdk_not-a-key', NODE_SDK));
      assert.deepEqual([res.status, res.body.error], [401, 'SDK_KEY_UNKNOWN']);
    });

    it('answers 401 SDK_KEY_MISSING without an Authorization header', async () => {
      const res = await post('bulk', sdkBulkBody(1, 3, 1), sdkHeaders(undefined, NODE_SDK));
      assert.deepEqual([res.status, res.body.error], [401, 'SDK_KEY_MISSING']);
    });

    it('answers 400 BODY_NOT_JSON with the parser\'s reason', async () => {
      const res = await post('bulk', '[{"f": "flag", "i": [');
      assert.deepEqual([res.status, res.body.error], [400, 'BODY_NOT_JSON']);
      assert.match(String(res.body.detail), /not JSON/);
    });

    it('answers 400 BODY_INVALID naming the field, for a timestamp that is not a number', async () => {
      const res = await post('bulk', [{ f: 'flag', i: [{ k: 'a', t: 'on', m: 5 }, { k: 'b', t: 'on', m: 'yesterday' }] }]);
      assert.deepEqual([res.status, res.body.error], [400, 'BODY_INVALID']);
      assert.match(String(res.body.detail), /^\[0\]\.i\[1\]\.m: /);
    });

    it('answers 400 BODY_INVALID for an impression without a key, and for a fractional timestamp', async () => {
      const noKey = await post('bulk', [{ f: 'flag', i: [{ t: 'on', m: 5 }] }]);
      const fractional = await post('bulk', [{ f: 'flag', i: [{ k: 'a', t: 'on', m: 5.5 }] }]);
      assert.deepEqual([noKey.status, noKey.body.error, fractional.status, fractional.body.error], [400, 'BODY_INVALID', 400, 'BODY_INVALID']);
      assert.match(String(noKey.body.detail), /^\[0\]\.i\[0\]\.k: /);
    });

    it('answers 400 SDK_HEADER_INVALID without SplitSDKVersion', async () => {
      const res = await post('bulk', sdkBulkBody(1, 3, 1), sdkHeaders(key, { machineName: 'x' }));
      assert.deepEqual([res.status, res.body.error], [400, 'SDK_HEADER_INVALID']);
    });

    it('answers 413 for a body over INTAKE_MAX_BODY_BYTES, gzipped or not', async () => {
      const big = Buffer.alloc(11 * 2 ** 20, ' ');
      const plain = await post('bulk', big);
      const gzipped = await post('bulk', big, undefined, { gzip: true });
      assert.deepEqual([plain.status, plain.body.error, gzipped.status, gzipped.body.error], [413, 'BODY_TOO_LARGE', 413, 'BODY_TOO_LARGE']);
    });

    it('answers 400 BODY_INVALID for what JSON allows but the stored strings cannot hold (a lone surrogate), not a retryable 503', async () => {
      const res = await post('bulk', '[{"f": "flag", "i": [{"k": "\\ud800", "t": "on", "m": 5}]}]');
      assert.deepEqual([res.status, res.body.error], [400, 'BODY_INVALID']);
    });

    it('answers 404 with the routes for another path, and 405 for a GET', async () => {
      const other = await postToIntake(`${url}/api/events/bulk`, sdkHeaders(key, NODE_SDK), []);
      assert.deepEqual([other.status, other.body.error], [404, 'NOT_FOUND']);
      const get = await fetch(`${url}/api/testImpressions/bulk`);
      assert.equal(get.status, 405);
    });
  });

  it('answers 401 SDK_KEY_REVOKED once a key is revoked from the CLI', async () => {
    const add = await runCli(['intake', 'key', 'add', '--environment', 'env-old', '--traffic-type', 'user', '--json'], cliEnv);
    const old = JSON.parse(add.stdout) as { key: string; id: string };
    assert.equal((await post('bulk', sdkBulkBody(1, 1, 1), sdkHeaders(old.key, NODE_SDK))).status, 200);
    const revoke = await runCli(['intake', 'key', 'revoke', old.id], cliEnv);
    assert.equal(revoke.code, 0, revoke.stderr);
    const res = await post('bulk', sdkBulkBody(1, 1, 1), sdkHeaders(old.key, NODE_SDK));
    assert.deepEqual([res.status, res.body.error], [401, 'SDK_KEY_REVOKED']);
    const list = JSON.parse((await runCli(['intake', 'key', 'list', '--json'], cliEnv)).stdout) as { id: string; revokedAt?: string }[];
    assert.ok(list.find((r) => r.id === old.id)?.revokedAt, 'listed as revoked');
  });

  it('stores a 30,000-impression (about 5 MB) batch whole, and a gzipped one', async () => {
    const body = sdkBulkBody(50, 600, 1_764_670_000_000);
    assert.ok(JSON.stringify(body).length > 4 * 2 ** 20, 'a Node SDK queue of about 5 MB');
    const res = await post('bulk', body);
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal(res.body.stored, 30_000);
    const gz = await post('bulk', sdkBulkBody(2, 10, 1), undefined, { gzip: true });
    assert.deepEqual([gz.status, gz.body.stored], [200, 20]);
    const [file] = await downloadObjects(s3, warehouse, [res.body.batch as string]);
    const [counts] = await withConnection(db, (c) =>
      queryObjects(c, `SELECT count(*) AS n, count(DISTINCT contentHash) AS hashes, count(DISTINCT splitName) AS flags, count(properties) AS withProperties FROM read_parquet(${sqlString(file!)})`),
    );
    assert.deepEqual(counts, { n: 30_000n, hashes: 30_000n, flags: 50n, withProperties: 10_000n });
  });

  it('stores the same batch posted twice as two batches with the same content hashes, for the export to keep once', async () => {
    const body = sdkBulkBody(3, 5, 1_764_680_000_000);
    const first = await post('bulk', body);
    const second = await post('bulk', body);
    assert.deepEqual([first.status, second.status], [200, 200]);
    assert.notEqual(first.body.batch, second.body.batch);
    const rows = await storedRows([first.body.batch as string, second.body.batch as string]);
    const hashesOf = (batch: unknown) => rows.filter((r) => String(r.file).endsWith(String(batch).split('/').pop()!)).map((r) => String(r.contentHash)).sort();
    assert.equal(hashesOf(first.body.batch).length, 15);
    assert.deepEqual(hashesOf(first.body.batch), hashesOf(second.body.batch));
  });

  it('stores OPTIMIZED-mode counts beside the batches, never among them', async () => {
    const res = await post('count', { pf: [{ f: 'flag_0', m: 1764669600000, rc: 42 }, { f: 'flag_1', m: 1764669600000, rc: 7 }] }, sdkHeaders(key, { ...NODE_SDK, mode: 'OPTIMIZED' }));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.match(String(res.body.batch), /^impressions\/counts\/env=env-prod\//);
    const [file] = await downloadObjects(s3, warehouse, [res.body.batch as string]);
    const rows = await withConnection(db, (c) => queryObjects(c, `SELECT splitName, hourTimestamp, "count", trafficTypeId FROM read_parquet(${sqlString(file!)}) ORDER BY splitName`));
    assert.deepEqual(rows, [
      { splitName: 'flag_0', hourTimestamp: 1764669600000n, count: 42n, trafficTypeId: 'user' },
      { splitName: 'flag_1', hourTimestamp: 1764669600000n, count: 7n, trafficTypeId: 'account' },
    ]);
    const bad = await post('count', { pf: [{ f: 'flag_0', m: 1, rc: -1 }] });
    assert.deepEqual([bad.status, bad.body.error], [400, 'BODY_INVALID']);
  });

  it('answers an empty batch 200 and stores nothing for it', async () => {
    const before = await stored();
    const res = await post('bulk', []);
    assert.deepEqual([res.status, res.body.stored], [200, 0]);
    assert.deepEqual(await stored(), before);
  });

  describe('after the posts above', () => {
    it('leaves no work files behind, whatever the outcome of each post', async () => {
      const files: string[] = [];
      const walk = async (dir: string): Promise<void> => {
        for (const e of await readdir(dir, { withFileTypes: true })) {
          if (e.isDirectory()) await walk(join(dir, e.name));
          else if (!e.name.startsWith('duckdb')) files.push(join(dir, e.name));
        }
      };
      await walk(workDir);
      assert.deepEqual(files, []);
    });

    it('counts stored impressions and answers in GET /metrics', async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      assert.match(text, /fme_intake_impressions_total\{route="bulk",mode="DEBUG"\} \d+/);
      assert.match(text, /fme_intake_requests_total\{route="bulk",outcome="SDK_KEY_UNKNOWN"\} 1/);
      assert.match(text, /fme_intake_request_duration_seconds_count\{route="bulk"\} \d+/);
    });
  });
});
