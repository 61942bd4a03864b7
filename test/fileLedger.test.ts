import assert from 'node:assert/strict';
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { ContentLedgerEntryV1, FileLedger } from '../src/activities/integrations/fileLedger';
import type { ContentGroup } from '../src/domain/integration/integrationEntries';
import { fileIdOf, ObjectVersion, objectVersionOf } from '../src/domain/keys';
import { contentDecisionKey, contentLedgerKey, generationMarkerKey } from '../src/domain/ledgerKeys';
import { getText, newBucket, s3For, sharedMoto } from './support/harness';

const VALID: ContentGroup[] = [{ valid: true, errors: [], warnings: [], numberOfRows: 100 }];
const MIXED: ContentGroup[] = [
  { valid: true, errors: [], warnings: [], numberOfRows: 90 },
  { valid: false, errors: ['INVALID_TIMESTAMP'], warnings: [], numberOfRows: 10 },
];

/**
 * The file ledger against moto: generation markers (who reserved a generation), pinned content
 * decisions, and the content ledger's rule for who keeps a record. Its conditional writes
 * (`If-None-Match: *`) are what makes the first writer win.
 */
describe('FileLedger (moto)', () => {
  let s3: S3Client;
  let bucket: string;
  let ledger: FileLedger;
  let seq = 0;

  before(async () => {
    s3 = s3For(await sharedMoto());
    bucket = await newBucket(s3, 'ledger');
    ledger = new FileLedger(s3, bucket);
  });

  /** A fresh object version (and its file id) per call. */
  function version(stem = 'f'): { object: ObjectVersion; fileId: string } {
    const object = objectVersionOf('customer', `in/${stem}-${seq++}.parquet`, undefined, `etag-${seq}`);
    return { object, fileId: fileIdOf(object) };
  }
  const sha = () => `${seq++}`.padStart(64, 'a');
  const readEntry = async (integrationId: string, sha256: string) => JSON.parse(await getText(s3, bucket, contentLedgerKey(integrationId, sha256))) as ContentLedgerEntryV1;

  describe('reserveGeneration', () => {
    it("is 'reserved' for the run that wrote the marker, every time it asks, and 'taken' for any other run", async () => {
      const { fileId } = version();
      assert.equal(await ledger.reserveGeneration(fileId, 0, 'run-1'), 'reserved');
      assert.equal(await ledger.reserveGeneration(fileId, 0, 'run-1'), 'reserved', 'a retried download of the same run');
      assert.equal(await ledger.reserveGeneration(fileId, 0, 'run-2'), 'taken');
      assert.deepEqual(JSON.parse(await getText(s3, bucket, generationMarkerKey(fileId, 0))), { version: 1, runId: 'run-1' }, 'the first run keeps the marker');
      assert.equal(await ledger.reserveGeneration(fileId, 1, 'run-2'), 'reserved', 'another generation is another marker');
    });

    it("counts a marker without a run id (the empty body older code wrote) as reserved by whoever asks", async () => {
      const { fileId } = version();
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: generationMarkerKey(fileId, 0), Body: new Uint8Array(0) }));
      assert.equal(await ledger.reserveGeneration(fileId, 0, 'run-1'), 'reserved');
      assert.equal(await ledger.reserveGeneration(fileId, 0, 'run-2'), 'reserved');
      assert.equal(await getText(s3, bucket, generationMarkerKey(fileId, 0)), '', 'the old marker is left as it was');
    });

    it('highestReservedGeneration is -1 before any pass and then the highest generation reserved, whichever run reserved it', async () => {
      const { fileId } = version();
      const other = version();
      assert.equal(await ledger.highestReservedGeneration(fileId), -1);
      await ledger.reserveGeneration(fileId, 0, 'run-1');
      await ledger.reserveGeneration(fileId, 1, 'run-1');
      await ledger.reserveGeneration(fileId, 12, 'run-2');
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: generationMarkerKey(fileId, 3), Body: new Uint8Array(0) }));
      await ledger.reserveGeneration(other.fileId, 40, 'run-3');
      assert.equal(await ledger.highestReservedGeneration(fileId), 12);
      assert.equal(await ledger.highestReservedGeneration(other.fileId), 40);
    });
  });

  describe('decideContent', () => {
    it('finds no duplicate when the content is not in the ledger, and keeps that answer after another file version records the content (pinned)', async () => {
      const { fileId } = version();
      const first = version('first');
      const sha256 = sha();
      const check = { integrationId: 'it-pin', configVersion: 1 };
      assert.deepEqual(await ledger.decideContent(fileId, 0, check, sha256), { version: 1 });
      await ledger.recordContent({ ...check, sha256, groups: VALID }, first.object, first.fileId, 0);
      assert.deepEqual(await ledger.decideContent(fileId, 0, check, sha256), { version: 1 }, 'a retry or restart of the pass decides the same');
      assert.deepEqual(
        await ledger.decideContent(fileId, 1, check, sha256),
        { version: 1, duplicateOf: { object: first.object, groups: VALID } },
        'the decision is per generation: another generation decides afresh',
      );
    });

    it('reports a duplicate of another file version under the same configuration version, and keeps it after the ledger entry changes (pinned)', async () => {
      const { fileId } = version();
      const first = version('first');
      const later = version('later');
      const sha256 = sha();
      const check = { integrationId: 'it-dup', configVersion: 2 };
      await ledger.recordContent({ ...check, sha256, groups: VALID }, first.object, first.fileId, 0);
      const decided = { version: 1, duplicateOf: { object: first.object, groups: VALID } };
      assert.deepEqual(await ledger.decideContent(fileId, 0, check, sha256), decided);
      await ledger.recordContent({ integrationId: 'it-dup', configVersion: 3, sha256, groups: MIXED }, later.object, later.fileId, 0);
      assert.equal((await readEntry('it-dup', sha256)).fileId, later.fileId, 'the ledger entry did change');
      assert.deepEqual(await ledger.decideContent(fileId, 0, check, sha256), decided);
      assert.deepEqual(JSON.parse(await getText(s3, bucket, contentDecisionKey(fileId, 0))), decided, 'pinned in the warehouse bucket');
    });

    it('is no duplicate when the ledger entry is under another configuration version, or is this file version itself', async () => {
      const sha256 = sha();
      const recorded = version('recorded');
      await ledger.recordContent({ integrationId: 'it-other', configVersion: 4, sha256, groups: VALID }, recorded.object, recorded.fileId, 0);
      const older = version();
      assert.deepEqual(await ledger.decideContent(older.fileId, 0, { integrationId: 'it-other', configVersion: 3 }, sha256), { version: 1 });
      const newer = version();
      assert.deepEqual(await ledger.decideContent(newer.fileId, 0, { integrationId: 'it-other', configVersion: 5 }, sha256), { version: 1 });
      assert.deepEqual(await ledger.decideContent(recorded.fileId, 1, { integrationId: 'it-other', configVersion: 4 }, sha256), { version: 1 }, 'its own record');
      const otherIntegration = version();
      assert.deepEqual(await ledger.decideContent(otherIntegration.fileId, 0, { integrationId: 'it-unrelated', configVersion: 4 }, sha256), { version: 1 }, 'another integration');
    });

    it('a decision pinned by an earlier attempt wins over what this attempt would decide', async () => {
      const { fileId } = version();
      const first = version('first');
      const sha256 = sha();
      const check = { integrationId: 'it-race', configVersion: 1 };
      // An attempt that timed out pinned "duplicate of first"; the ledger entry is gone since (replaced).
      const pinned = { version: 1, duplicateOf: { object: first.object, groups: MIXED } };
      await s3.send(new PutObjectCommand({ Bucket: bucket, Key: contentDecisionKey(fileId, 0), Body: JSON.stringify(pinned) }));
      assert.deepEqual(await ledger.decideContent(fileId, 0, check, sha256), pinned);
    });
  });

  describe('recordContent', () => {
    it('the first file version to commit content under a configuration version keeps the record; another file version under the same version does not replace it', async () => {
      const a = version('a');
      const b = version('b');
      const sha256 = sha();
      await ledger.recordContent({ integrationId: 'it-first', configVersion: 1, sha256, groups: VALID }, a.object, a.fileId, 0);
      await ledger.recordContent({ integrationId: 'it-first', configVersion: 1, sha256, groups: MIXED }, b.object, b.fileId, 0);
      assert.deepEqual(await readEntry('it-first', sha256), {
        version: 1,
        integrationId: 'it-first',
        configVersion: 1,
        sha256,
        groups: VALID,
        object: a.object,
        fileId: a.fileId,
        generation: 0,
      });
    });

    it('a higher configuration version replaces the record; a lower one never does, not even from the same file version', async () => {
      const a = version('a');
      const b = version('b');
      const c = version('c');
      const sha256 = sha();
      await ledger.recordContent({ integrationId: 'it-versions', configVersion: 2, sha256, groups: VALID }, a.object, a.fileId, 0);
      await ledger.recordContent({ integrationId: 'it-versions', configVersion: 3, sha256, groups: MIXED }, b.object, b.fileId, 0);
      let entry = await readEntry('it-versions', sha256);
      assert.deepEqual([entry.fileId, entry.configVersion, entry.groups], [b.fileId, 3, MIXED]);
      await ledger.recordContent({ integrationId: 'it-versions', configVersion: 2, sha256, groups: VALID }, c.object, c.fileId, 0);
      await ledger.recordContent({ integrationId: 'it-versions', configVersion: 2, sha256, groups: VALID }, b.object, b.fileId, 1);
      entry = await readEntry('it-versions', sha256);
      assert.deepEqual([entry.fileId, entry.configVersion, entry.generation], [b.fileId, 3, 0], 'still the configuration version 3 record');
    });

    it("the same file version's reprocess replaces its own record under the same configuration version", async () => {
      const a = version('a');
      const sha256 = sha();
      await ledger.recordContent({ integrationId: 'it-reprocess', configVersion: 1, sha256, groups: VALID }, a.object, a.fileId, 0);
      await ledger.recordContent({ integrationId: 'it-reprocess', configVersion: 1, sha256, groups: MIXED }, a.object, a.fileId, 1);
      const entry = await readEntry('it-reprocess', sha256);
      assert.deepEqual([entry.fileId, entry.generation, entry.groups], [a.fileId, 1, MIXED]);
    });
  });
});
