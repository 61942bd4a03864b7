import assert from 'node:assert/strict';
import { mkdtemp, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DeleteObjectCommand, PutBucketVersioningCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { createIntegrationGoneActivities } from '../src/activities/integrations/integrationGoneActivities';
import { fileIdOf, ObjectVersion, objectVersionOf } from '../src/domain/keys';
import { integrationNotFoundMarkerKey } from '../src/domain/ledgerKeys';
import { openDuckDb } from '../src/parquet/duckdb';
import type { ReportEntriesInputV1, ReportIntegrationGoneInputV1 } from '../src/messages';
import { compressWhole, writeEventFile } from './support/eventFiles';
import { activityEnvironment } from './support/fileActivities';
import { getText, listKeys, newBucket, putFile, s3For, sharedMoto } from './support/harness';

const ROWS = 1_234;

/**
 * reportIntegrationGone against moto: a file that arrived for a deleted integration gets one
 * INTEGRATION_CONFIG_NOT_FOUND entry counted from its footer (two ranged GETs, no download),
 * once; an object version that no longer exists gets nothing.
 */
describe('reportIntegrationGone (moto)', () => {
  let s3: S3Client;
  let customer: string;
  let versionedCustomer: string;
  let warehouse: string;
  let parquetPath: string;
  let parquetBytes: number;
  let reports: ReportEntriesInputV1[];
  /** reportEntries fails this many times (the status workflow unreachable). */
  let reportFailures: number;
  let regionsAsked: string[];
  let acts: ReturnType<typeof createIntegrationGoneActivities>;
  let seq = 0;

  before(async () => {
    s3 = s3For(await sharedMoto());
    customer = await newBucket(s3, 'gone-in');
    versionedCustomer = await newBucket(s3, 'gone-in-v');
    await s3.send(new PutBucketVersioningCommand({ Bucket: versionedCustomer, VersioningConfiguration: { Status: 'Enabled' } }));
    warehouse = await newBucket(s3, 'gone-wh');
    const dir = await mkdtemp(join(tmpdir(), 'fme-gone-'));
    const db = await openDuckDb({ memoryLimit: '128MB', threads: 1, tempDirectory: dir });
    parquetPath = join(dir, 'events.parquet');
    await writeEventFile(db, parquetPath, ROWS);
    db.closeSync();
    parquetBytes = (await stat(parquetPath)).size;
    acts = createIntegrationGoneActivities({
      s3,
      s3ForRegion: (region) => {
        regionsAsked.push(region ?? '(default)');
        return s3;
      },
      warehouseBucket: warehouse,
      reportEntries: async (input) => {
        if (reportFailures > 0) {
          reportFailures--;
          throw new Error('status workflow unreachable');
        }
        reports.push(input);
      },
    });
  });

  beforeEach(() => {
    reports = [];
    reportFailures = 0;
    regionsAsked = [];
  });

  const inputFor = (object: ObjectVersion, objectBytes: number): ReportIntegrationGoneInputV1 => ({
    object,
    region: 'eu-west-1',
    objectBytes,
    fileId: fileIdOf(object),
    originalCreationTime: 1_700_000_000_000,
    integrationId: 'it-deleted',
    statusPrefix: 'tomb-st',
    flushDelayMs: 5_000,
    passWaitMs: 60_000,
  });
  const run = (input: ReportIntegrationGoneInputV1) => activityEnvironment().env.run(acts.reportIntegrationGone, input);
  const markerOf = async (object: ObjectVersion) => (await listKeys(s3, warehouse, integrationNotFoundMarkerKey(fileIdOf(object)))).length > 0;

  async function putParquet(bucket = customer): Promise<ObjectVersion> {
    const key = `in/gone-${seq++}.parquet`;
    const res = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: await readFile(parquetPath) }));
    return objectVersionOf(bucket, key, res.VersionId, res.ETag);
  }

  it("reports one INTEGRATION_CONFIG_NOT_FOUND entry (entry id 2147483647) with the footer's row count to the tombstone's status folder, then writes its marker", async () => {
    const object = await putParquet();
    const input = inputFor(object, parquetBytes);
    assert.deepEqual(await run(input), { reported: true });
    assert.equal(reports.length, 1);
    const [report] = reports;
    assert.deepEqual(
      { ...report!, entries: [] },
      { bucket: customer, region: 'eu-west-1', statusPrefix: 'tomb-st', flushDelayMs: 5_000, passWaitMs: 60_000, entries: [], passEnded: true },
    );
    assert.equal(report!.entries.length, 1);
    const { fileName, entry } = report!.entries[0]!;
    assert.equal(fileName, object.key);
    assert.equal(entry.entryId, 2147483647);
    assert.equal(entry.valid, false);
    assert.equal(entry.numberOfRows, ROWS);
    assert.equal(entry.originalCreationTime, 1_700_000_000_000);
    assert.deepEqual(entry.errors, ['INTEGRATION_CONFIG_NOT_FOUND']);
    assert.match(entry.errorsDetails[0]!, /integration "it-deleted" was deleted; the file was not read \(1234 rows in the footer\)/);
    assert.ok(regionsAsked.length > 0 && regionsAsked.every((r) => r === 'eu-west-1'), 'the footer is read with the bucket region\'s client');
    assert.deepEqual(JSON.parse(await getText(s3, warehouse, integrationNotFoundMarkerKey(input.fileId))), {
      integrationId: 'it-deleted',
      object,
      entryId: 2147483647,
      numberOfRows: ROWS,
    });
  });

  it('a second call for the same file version (a later pass or a retry after the marker) reports nothing', async () => {
    const object = await putParquet();
    assert.deepEqual(await run(inputFor(object, parquetBytes)), { reported: true });
    assert.deepEqual(await run(inputFor(object, parquetBytes)), { reported: false });
    assert.equal(reports.length, 1);
  });

  it('a report that fails leaves no marker, so the retry reports it', async () => {
    const object = await putParquet();
    reportFailures = 1;
    await assert.rejects(run(inputFor(object, parquetBytes)), /status workflow unreachable/);
    assert.equal(await markerOf(object), false);
    assert.deepEqual(await run(inputFor(object, parquetBytes)), { reported: true });
    assert.equal(reports.length, 1);
    assert.equal(await markerOf(object), true);
  });

  it('an object version that no longer exists reports nothing and leaves no marker: a deleted version, a deleted unversioned object, an unversioned object overwritten since (its ETag no longer matches)', async () => {
    const deletedVersion = await putParquet(versionedCustomer);
    assert.equal(deletedVersion.versioned, true);
    await s3.send(new DeleteObjectCommand({ Bucket: versionedCustomer, Key: deletedVersion.key, VersionId: deletedVersion.version }));

    const deletedObject = await putParquet();
    await s3.send(new DeleteObjectCommand({ Bucket: customer, Key: deletedObject.key }));

    const overwritten = await putParquet();
    await s3.send(new PutObjectCommand({ Bucket: customer, Key: overwritten.key, Body: 'not the same bytes' }));

    for (const object of [deletedVersion, deletedObject, overwritten]) {
      assert.deepEqual(await run(inputFor(object, parquetBytes)), { reported: false }, object.key);
      assert.equal(await markerOf(object), false, object.key);
    }
    assert.deepEqual(reports, []);
  });

  it('a file that is not plain Parquet (a CSV, or Parquet compressed whole with gzip) is reported with 0 rows', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'fme-gone-other-'));
    const csv = join(dir, 'events.csv');
    await writeFile(csv, 'a,b,c\n'.repeat(100));
    for (const path of [csv, compressWhole(parquetPath, 'gzip')]) {
      const key = `in/gone-${seq++}-${path.slice(path.lastIndexOf('/') + 1)}`;
      const { etag } = await putFile(s3, customer, key, path);
      const object = objectVersionOf(customer, key, undefined, etag);
      reports = [];
      assert.deepEqual(await run(inputFor(object, (await stat(path)).size)), { reported: true }, key);
      const entry = reports[0]!.entries[0]!.entry;
      assert.equal(entry.numberOfRows, 0, key);
      assert.deepEqual(entry.errors, ['INTEGRATION_CONFIG_NOT_FOUND']);
      assert.match(entry.errorsDetails[0]!, /the row count could not be read/);
      assert.equal((JSON.parse(await getText(s3, warehouse, integrationNotFoundMarkerKey(fileIdOf(object)))) as { numberOfRows: number }).numberOfRows, 0);
    }
  });
});
