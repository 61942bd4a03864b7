import assert from 'node:assert/strict';
import { conflictsOf, integrationForKey, isUnderStatusPrefixOf, KnownIntegration } from '../../src/domain/integration/conflicts';
import { FileFilter, filtersOverlap, keyMatchesFilter, statusWritesMatchedBy } from '../../src/domain/integration/filters';
import { InboundConfig } from '../../src/domain/integration/inboundConfig';
import { reportKeyOf } from '../../src/domain/keys';

const f = (prefix: string, ...suffixes: string[]): FileFilter => ({ prefix, suffixes });

const config = (o: Partial<InboundConfig> = {}): InboundConfig => ({
  environments: ['env-1'],
  bucket: 'b',
  region: 'us-east-1',
  prefix: 'events',
  suffixes: [],
  topicArn: 'arn:aws:sns:us-east-1:123456789012:fme-events',
  statusPrefix: 'status',
  ...o,
});

const known = (id: string, o: Partial<InboundConfig>, deleted = false, deletedAt?: number): KnownIntegration => ({
  id,
  config: config(o),
  deleted,
  ...(deletedAt === undefined ? {} : { deletedAt }),
});

describe('integration filters', () => {
  describe('keyMatchesFilter', () => {
    it('takes keys under the prefix folder only, not a sibling folder sharing its leading letters', () => {
      assert.equal(keyMatchesFilter(f('a'), 'a/x.parquet'), true);
      assert.equal(keyMatchesFilter(f('a'), 'a/b/x.parquet'), true);
      assert.equal(keyMatchesFilter(f('a'), 'ab/x.parquet'), false);
      assert.equal(keyMatchesFilter(f('a'), 'a'), false);
      assert.equal(keyMatchesFilter(f('a/b'), 'a/x.parquet'), false);
    });

    it('takes every key when the prefix is the bucket root', () => {
      assert.equal(keyMatchesFilter(f(''), 'x.parquet'), true);
      assert.equal(keyMatchesFilter(f(''), 'deep/down/x'), true);
    });

    it('requires one of the suffixes, case-sensitively, and takes any ending when there are none', () => {
      assert.equal(keyMatchesFilter(f('', '.gz', '.parquet'), 'a/x.parquet'), true);
      assert.equal(keyMatchesFilter(f('', '.gz', '.parquet'), 'a/x.parquet.gz'), true);
      assert.equal(keyMatchesFilter(f('', '.gz', '.parquet'), 'a/x.csv'), false);
      assert.equal(keyMatchesFilter(f('', '.parquet'), 'a/x.PARQUET'), false);
      assert.equal(keyMatchesFilter(f('a'), 'a/anything.at.all'), true);
    });
  });

  describe('filtersOverlap', () => {
    it('overlaps for equal and nested folders, in either order', () => {
      assert.equal(filtersOverlap(f('a'), f('a')), true);
      assert.equal(filtersOverlap(f('a'), f('a/b')), true);
      assert.equal(filtersOverlap(f('a/b'), f('a')), true);
    });

    it('does not overlap for sibling folders, even when one name starts with the other', () => {
      assert.equal(filtersOverlap(f('a'), f('ab')), false);
      assert.equal(filtersOverlap(f('ab'), f('a')), false);
      assert.equal(filtersOverlap(f('a/b'), f('a/c')), false);
    });

    it('overlaps anything when either prefix is the bucket root', () => {
      assert.equal(filtersOverlap(f(''), f('x/y')), true);
      assert.equal(filtersOverlap(f('x/y'), f('')), true);
      assert.equal(filtersOverlap(f(''), f('')), true);
    });

    it('overlaps when one suffix ends with the other, and not for unrelated endings', () => {
      assert.equal(filtersOverlap(f('a', '.parquet'), f('a', '.snappy.parquet')), true);
      assert.equal(filtersOverlap(f('a', '.snappy.parquet'), f('a', '.parquet')), true);
      assert.equal(filtersOverlap(f('a', '.gz'), f('a', '.parquet')), false);
      assert.equal(filtersOverlap(f('a', '.gz', '.csv'), f('a', '.parquet', '.parquet.gz')), true);
    });

    it('overlaps whenever either side accepts any ending', () => {
      assert.equal(filtersOverlap(f('a'), f('a', '.parquet')), true);
      assert.equal(filtersOverlap(f('a', '.gz'), f('a')), true);
    });

    it('needs both folders and suffixes to be compatible', () => {
      assert.equal(filtersOverlap(f('a', '.parquet'), f('b', '.parquet')), false);
      assert.equal(filtersOverlap(f('', '.gz'), f('b', '.parquet')), false);
    });
  });

  describe('statusWritesMatchedBy', () => {
    it('agrees with keyMatchesFilter on a real report key', () => {
      const report = reportKeyOf('status', new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)));
      for (const filter of [f(''), f('status'), f('status', '.status'), f('', '.gz'), f('events'), f('stat')]) {
        assert.equal(statusWritesMatchedBy(filter, 'status'), keyMatchesFilter(filter, report), JSON.stringify(filter));
      }
    });

    it('is matched by a root prefix, the status folder, a folder above it or below it', () => {
      assert.equal(statusWritesMatchedBy(f(''), 'a/status'), true);
      assert.equal(statusWritesMatchedBy(f('a'), 'a/status'), true);
      assert.equal(statusWritesMatchedBy(f('a/status'), 'a/status'), true);
      assert.equal(statusWritesMatchedBy(f('a/status/2024-01-02'), 'a/status'), true);
    });

    it('is not matched by a sibling folder', () => {
      assert.equal(statusWritesMatchedBy(f('a/stat'), 'a/status'), false);
      assert.equal(statusWritesMatchedBy(f('a/statuses'), 'a/status'), false);
      assert.equal(statusWritesMatchedBy(f('events'), 'status'), false);
    });

    it('counts suffixes that end the report name or that end with it, and ignores others', () => {
      assert.equal(statusWritesMatchedBy(f('', '.status'), 'status'), true);
      assert.equal(statusWritesMatchedBy(f('', 'status'), 'status'), true);
      assert.equal(statusWritesMatchedBy(f('', '.UTC_report.status'), 'status'), true);
      assert.equal(statusWritesMatchedBy(f('', '345.UTC_report.status'), 'status'), true);
      assert.equal(statusWritesMatchedBy(f('', '.STATUS'), 'status'), false);
      assert.equal(statusWritesMatchedBy(f('', '.parquet', '.gz'), 'status'), false);
    });
  });
});

describe('integration conflicts', () => {
  const candidate = (o: Partial<InboundConfig> = {}) => ({ id: 'new', config: config(o) });

  it('allows a candidate alone on its bucket whose filters miss its status folder', () => {
    assert.deepEqual(conflictsOf(candidate(), []), []);
  });

  it('(a) refuses a candidate whose own filters match its own status folder', () => {
    const problems = conflictsOf(candidate({ prefix: '', suffixes: [] }), []);
    assert.equal(problems.length, 1);
    assert.match(problems[0]!, /status folder "status" on bucket b would be matched by this integration's own file filters \(prefix "", suffixes any\)/);
    assert.deepEqual(conflictsOf(candidate({ prefix: '', suffixes: ['.parquet'] }), []), []);
  });

  it('(b) refuses a status folder that a live integration on the bucket would read', () => {
    const problems = conflictsOf(candidate({ prefix: 'mine', statusPrefix: 'theirs/status' }), [known('y', { prefix: 'theirs' })]);
    assert.deepEqual(problems, [`status folder "theirs/status" on bucket b would be matched by integration "y"'s file filters (prefix "theirs", suffixes any)`]);
  });

  it('(b) lets a tombstone\'s filters cover the candidate\'s status folder, since a tombstone takes no files', () => {
    assert.deepEqual(conflictsOf(candidate({ prefix: 'mine', statusPrefix: 'theirs/status' }), [known('y', { prefix: 'theirs' }, true)]), []);
  });

  it('(c) refuses filters that match the status folder of a live integration', () => {
    const problems = conflictsOf(candidate({ prefix: 'data' }), [known('y', { prefix: 'other', statusPrefix: 'data/status' })]);
    assert.deepEqual(problems, [`file filters (prefix "data", suffixes any) would match the status folder "data/status" of integration "y" on bucket b`]);
  });

  it('(c) refuses filters that match the status folder of a tombstone, whose reports still arrive', () => {
    const problems = conflictsOf(candidate({ prefix: 'data' }), [known('y', { prefix: 'other', statusPrefix: 'data/status' }, true)]);
    assert.deepEqual(problems, [`file filters (prefix "data", suffixes any) would match the status folder "data/status" of integration "y" (deleted) on bucket b`]);
  });

  it('(d) refuses file filters overlapping a live integration on the same bucket', () => {
    const problems = conflictsOf(candidate({ prefix: 'events', suffixes: ['.parquet'] }), [
      known('y', { prefix: 'events/eu', suffixes: ['.snappy.parquet'], statusPrefix: 'status-y' }),
    ]);
    assert.deepEqual(problems, [
      `file filters (prefix "events", suffixes ".parquet") overlap integration "y"'s file filters (prefix "events/eu", suffixes ".snappy.parquet") on bucket b`,
    ]);
  });

  it('(d) allows overlapping a tombstone\'s filters, so a live integration can take its keys over', () => {
    assert.deepEqual(conflictsOf(candidate(), [known('y', { statusPrefix: 'status-y' }, true)]), []);
  });

  it('allows disjoint filters and a shared status folder on the same bucket', () => {
    const others = [known('y', { prefix: 'events', suffixes: ['.gz'] }), known('z', { prefix: 'eventsz' })];
    assert.deepEqual(conflictsOf(candidate({ prefix: 'events', suffixes: ['.parquet'] }), others), []);
  });

  it('never finds a conflict with an integration on another bucket', () => {
    const others = [known('y', { bucket: 'other', prefix: '' }), known('z', { bucket: 'other', prefix: 'events', statusPrefix: 'events/status' })];
    assert.deepEqual(conflictsOf(candidate(), others), []);
  });

  it('skips the candidate\'s own id, which an update replaces', () => {
    assert.deepEqual(conflictsOf(candidate(), [known('new', {})]), []);
  });

  it('reports every problem with every other integration, one sentence each', () => {
    const problems = conflictsOf(candidate({ prefix: '' }), [known('y', { prefix: '', statusPrefix: 'status-y' })]);
    assert.equal(problems.length, 4);
    assert.match(problems[0]!, /own file filters/);
    assert.match(problems[1]!, /matched by integration "y"'s file filters/);
    assert.match(problems[2]!, /would match the status folder "status-y" of integration "y"/);
    assert.match(problems[3]!, /overlap integration "y"'s file filters/);
  });
});

describe('integrationForKey and isUnderStatusPrefixOf', () => {
  const all = [
    known('old', { prefix: 'events' }, true, 1_000),
    known('older', { prefix: 'events' }, true, 500),
    known('live', { prefix: 'events', suffixes: ['.parquet'] }),
    known('elsewhere', { bucket: 'other', prefix: '' }),
  ];

  it('prefers the live integration over tombstones matching the same key', () => {
    assert.equal(integrationForKey('b', 'events/x.parquet', all)?.id, 'live');
  });

  it('falls back to the most recently deleted tombstone when no live integration matches', () => {
    assert.equal(integrationForKey('b', 'events/x.gz', all)?.id, 'old');
    assert.equal(integrationForKey('b', 'events/x.gz', [...all].reverse())?.id, 'old');
  });

  it('answers undefined for a key no integration on that bucket takes', () => {
    assert.equal(integrationForKey('b', 'elsewhere/x.parquet', all), undefined);
    assert.equal(integrationForKey('c', 'events/x.parquet', all), undefined);
    assert.equal(integrationForKey('other', 'events/x.parquet', all)?.id, 'elsewhere');
  });

  it('recognises keys under the status folder of any integration on the bucket, tombstones included', () => {
    const ints = [known('live', { statusPrefix: 'status' }), known('gone', { statusPrefix: 'old/status' }, true)];
    assert.equal(isUnderStatusPrefixOf('b', 'status/2024-01-02/01-02-03.004.UTC_report.status', ints), true);
    assert.equal(isUnderStatusPrefixOf('b', 'old/status/x', ints), true);
    assert.equal(isUnderStatusPrefixOf('b', 'statuses/x', ints), false);
    assert.equal(isUnderStatusPrefixOf('other', 'status/x', ints), false);
  });
});
