import assert from 'node:assert/strict';
import {
  fileIdOf,
  fileWorkflowIdOf,
  nextReportTime,
  normalizePrefix,
  objectVersionOf,
  reportKeyOf,
  statusWorkflowIdOf,
  warehouseManifestKey,
  warehouseChunkPrefix,
  warehouseObjectKey,
} from '../../src/domain/keys';

describe('keys', () => {
  describe('reportKeyOf', () => {
    it('matches the contract example', () => {
      const at = new Date(Date.UTC(2022, 0, 3, 12, 34, 20, 345));
      assert.equal(reportKeyOf('my_statuses', at), 'my_statuses/2022-01-03/12-34-20.345.UTC_report.status');
    });

    it('normalizes slashes around the prefix, and works without a prefix', () => {
      const at = new Date(Date.UTC(2022, 0, 3, 12, 34, 20, 345));
      assert.equal(reportKeyOf('/my_statuses/', at), 'my_statuses/2022-01-03/12-34-20.345.UTC_report.status');
      assert.equal(reportKeyOf('a/b//', at), 'a/b/2022-01-03/12-34-20.345.UTC_report.status');
      assert.equal(reportKeyOf('', at), '2022-01-03/12-34-20.345.UTC_report.status');
      assert.equal(reportKeyOf('/', at), '2022-01-03/12-34-20.345.UTC_report.status');
    });

    it('zero-pads every field and uses a 24-hour clock', () => {
      assert.equal(reportKeyOf('s', new Date(Date.UTC(2023, 8, 9, 1, 2, 3, 4))), 's/2023-09-09/01-02-03.004.UTC_report.status');
      assert.equal(reportKeyOf('s', new Date(Date.UTC(2023, 11, 31, 23, 59, 59, 999))), 's/2023-12-31/23-59-59.999.UTC_report.status');
      assert.equal(reportKeyOf('s', new Date(Date.UTC(2024, 1, 29, 0, 0, 0, 0))), 's/2024-02-29/00-00-00.000.UTC_report.status');
    });

    it('is in UTC whatever the offset the time was given in', () => {
      assert.equal(reportKeyOf('s', new Date('2022-01-03T23:30:00.000-02:00')), 's/2022-01-04/01-30-00.000.UTC_report.status');
    });
  });

  it('nextReportTime never reuses a millisecond', () => {
    assert.equal(nextReportTime(undefined, 1000), 1000);
    assert.equal(nextReportTime(500, 1000), 1000);
    assert.equal(nextReportTime(1000, 1000), 1001);
    assert.equal(nextReportTime(2000, 1000), 2001);
  });

  it('normalizePrefix strips leading and trailing slashes only', () => {
    assert.equal(normalizePrefix('//a/b//'), 'a/b');
    assert.equal(normalizePrefix('a'), 'a');
    assert.equal(normalizePrefix(''), '');
  });

  describe('object versions', () => {
    it('uses the versionId when the bucket is versioned', () => {
      assert.deepEqual(objectVersionOf('b', 'k', 'v1', '"etag"'), { bucket: 'b', key: 'k', version: 'v1', versioned: true });
    });

    it('falls back to the ETag without quotes (unversioned, or versionId "null")', () => {
      assert.deepEqual(objectVersionOf('b', 'k', undefined, '"abc123"'), { bucket: 'b', key: 'k', version: 'abc123', versioned: false });
      assert.deepEqual(objectVersionOf('b', 'k', 'null', 'abc123'), { bucket: 'b', key: 'k', version: 'abc123', versioned: false });
      assert.deepEqual(objectVersionOf('b', 'k', null, '"d41d8cd98f00b204e9800998ecf8427e-2"'), {
        bucket: 'b',
        key: 'k',
        version: 'd41d8cd98f00b204e9800998ecf8427e-2',
        versioned: false,
      });
    });

    it('throws, naming the object, when there is neither', () => {
      assert.throws(() => objectVersionOf('b', 'dir/k.parquet', undefined, undefined), { message: 'object s3://b/dir/k.parquet has neither versionId nor ETag' });
      assert.throws(() => objectVersionOf('b', 'k', 'null', '""'), /neither versionId nor ETag/);
    });

    it('fileIdOf is a stable 32-hex digest that separates bucket, key and version', () => {
      const v = objectVersionOf('b', 'events/a.parquet', 'v1');
      const id = fileIdOf(v);
      assert.match(id, /^[0-9a-f]{32}$/);
      assert.equal(fileIdOf(objectVersionOf('b', 'events/a.parquet', 'v1')), id);
      assert.notEqual(fileIdOf(objectVersionOf('b', 'events/a.parquet', 'v2')), id);
      assert.notEqual(fileIdOf(objectVersionOf('c', 'events/a.parquet', 'v1')), id);
      assert.notEqual(fileIdOf(objectVersionOf('a', 'bc', 'v')), fileIdOf(objectVersionOf('ab', 'c', 'v')));
    });

    it('fileWorkflowIdOf is readable when short and hashed when very long', () => {
      const v = objectVersionOf('bucket', 'events/2024/a.parquet', 'v1');
      assert.equal(fileWorkflowIdOf(v), 'file/bucket/events/2024/a.parquet@v1');
      const long = objectVersionOf('bucket', 'k/'.repeat(500), 'v1');
      assert.equal(fileWorkflowIdOf(long), `file/bucket/#${fileIdOf(long)}`);
      // The readable form is kept up to 900 characters.
      const edge = objectVersionOf('b', 'x'.repeat(900 - 'file/b/@v'.length), 'v');
      assert.equal(fileWorkflowIdOf(edge).length, 900);
      assert.ok(fileWorkflowIdOf(edge).startsWith('file/b/x'));
      const over = objectVersionOf('b', 'x'.repeat(901 - 'file/b/@v'.length), 'v');
      assert.equal(fileWorkflowIdOf(over), `file/b/#${fileIdOf(over)}`);
    });

    it('fileWorkflowIdOf hashes a key of multi-byte characters whose id would pass Temporal\'s 1,000 bytes, however few its characters', () => {
      const cjk = objectVersionOf('b', '事'.repeat(340), 'v'); // 347 characters, 1,027 bytes
      assert.equal(fileWorkflowIdOf(cjk), `file/b/#${fileIdOf(cjk)}`);
      const fits = objectVersionOf('b', '事'.repeat(300), 'v'); // 907 bytes: readable as before
      assert.equal(fileWorkflowIdOf(fits), 'file/b/' + '事'.repeat(300) + '@v');
    });
  });

  it('statusWorkflowIdOf is per bucket and normalized status prefix', () => {
    assert.equal(statusWorkflowIdOf('b', '/my_statuses/'), 'status/b/my_statuses');
    assert.equal(statusWorkflowIdOf('b', 'my_statuses'), statusWorkflowIdOf('b', 'my_statuses/'));
  });

  it('warehouse keys', () => {
    assert.equal(warehouseObjectKey('events/', 'date=2024-01-01', 'abc', 7), 'events/date=2024-01-01/abc-c00007-p0.parquet');
    assert.equal(warehouseObjectKey('', 'p', 'abc', 123_456, 2), 'p/abc-c123456-p2.parquet');
    assert.equal(warehouseChunkPrefix('events/', 'date=2024-01-01', 'abc', 7), 'events/date=2024-01-01/abc-c00007-');
    assert.ok(warehouseObjectKey('events', 'd', 'abc', 7, 3).startsWith(warehouseChunkPrefix('events', 'd', 'abc', 7)));
    assert.equal(warehouseManifestKey('/events/', 'abc'), 'events/_manifests/abc.json');
    assert.equal(warehouseManifestKey('', 'abc'), '_manifests/abc.json');
  });
});
