import assert from 'node:assert/strict';
import type { KnownIntegration } from '../../src/domain/integration/conflicts';
import { keyMatchesFilter, type FileFilter } from '../../src/domain/integration/filters';
import type { InboundConfig } from '../../src/domain/integration/inboundConfig';
import {
  ALLOWED_INTERVALS,
  describeIssues,
  outboundConfigPatchSchema,
  outboundConfigSchema,
  type OutboundConfig,
  type OutboundConfigInput,
} from '../../src/domain/integration/outboundConfig';
import { exportKeyMatchedBy, outboundConflictsOf, type KnownOutbound } from '../../src/domain/integration/outboundConflicts';
import { manifestKey, partKey, successKey } from '../../src/domain/export/exportKeys';

const input = (o: Partial<OutboundConfigInput> = {}): OutboundConfigInput => ({
  environments: ['env-1'],
  bucket: 'my_bucket',
  region: 'us-east-1',
  ...o,
});

function refusal(o: Partial<OutboundConfigInput> | Record<string, unknown>): string {
  const result = outboundConfigSchema.safeParse({ ...input(), ...o });
  assert.equal(result.success, false, 'refused');
  return describeIssues(result.error!);
}

describe('outboundConfig', () => {
  it('defaults: the bucket root, Parquet with snappy, every 30 minutes', () => {
    assert.deepStrictEqual(outboundConfigSchema.parse(input()), {
      environments: ['env-1'],
      bucket: 'my_bucket',
      region: 'us-east-1',
      writePrefix: '',
      format: 'parquet',
      compression: 'snappy',
      intervalMinutes: 30,
    });
  });

  it('keeps what is given: write prefix, compression, interval', () => {
    const c = outboundConfigSchema.parse(input({ writePrefix: 'exports/impressions', compression: 'zstd', intervalMinutes: 60, format: 'parquet' }));
    assert.equal(c.writePrefix, 'exports/impressions');
    assert.equal(c.compression, 'zstd');
    assert.equal(c.intervalMinutes, 60);
    for (const compression of ['snappy', 'gzip', 'zstd', 'none']) assert.equal(outboundConfigSchema.parse(input({ compression })).compression, compression);
  });

  it('strips slashes around the write prefix; "/" and "" are the bucket root', () => {
    assert.equal(outboundConfigSchema.parse(input({ writePrefix: '/exports/x/' })).writePrefix, 'exports/x');
    assert.equal(outboundConfigSchema.parse(input({ writePrefix: '/' })).writePrefix, '');
    assert.equal(outboundConfigSchema.parse(input({ writePrefix: '' })).writePrefix, '');
  });

  it('deduplicates environments, keeping their order', () => {
    assert.deepEqual(outboundConfigSchema.parse(input({ environments: ['b', 'a', 'b'] })).environments, ['b', 'a']);
  });

  it('refuses no environments, a bad bucket, a bad region and a write prefix with //', () => {
    assert.equal(refusal({ environments: [] }), 'environments: at least one environment id');
    assert.equal(refusal({ environments: ['a b'] }), 'environments.0: no whitespace');
    assert.equal(refusal({ bucket: 'a' }), 'bucket: an S3 bucket name');
    assert.equal(refusal({ region: 'mars' }), 'region: an AWS region such as us-east-1');
    assert.equal(refusal({ writePrefix: 'a//b' }), 'writePrefix: no empty path segments (//)');
  });

  it('refuses another format, naming the ones there are', () => {
    assert.equal(refusal({ format: 'avro' }), 'format: a file format: parquet, jsonl, csv');
  });

  it('accepts every compression each format lists, and defaults to the first: snappy for Parquet, gzip for JSON lines and CSV', () => {
    for (const compression of ['snappy', 'gzip', 'zstd', 'lzo', 'bzip2', 'none']) assert.equal(outboundConfigSchema.parse(input({ format: 'parquet', compression })).compression, compression);
    for (const format of ['jsonl', 'csv'] as const) {
      for (const compression of ['gzip', 'bzip2', 'none']) assert.equal(outboundConfigSchema.parse(input({ format, compression })).compression, compression);
      assert.equal(outboundConfigSchema.parse(input({ format })).compression, 'gzip');
    }
  });

  it('refuses a compression the format does not have, listing those it has and the formats that have it', () => {
    assert.equal(
      refusal({ format: 'csv', compression: 'snappy' }),
      'compression: "snappy" is not a compression for csv files; choose one of: gzip, bzip2, none (snappy is one for parquet)',
    );
    assert.equal(
      refusal({ format: 'jsonl', compression: 'lzo' }),
      'compression: "lzo" is not a compression for jsonl files; choose one of: gzip, bzip2, none (lzo is one for parquet)',
    );
    assert.equal(refusal({ compression: 'SNAPPY' }), 'compression: "SNAPPY" is not a compression for parquet files; choose one of: snappy, gzip, zstd, lzo, bzip2, none');
    assert.equal(refusal({ compression: 'brotli' }), 'compression: "brotli" is not a compression for parquet files; choose one of: snappy, gzip, zstd, lzo, bzip2, none');
  });

  it('the interval is whole minutes from 1 to 1440', () => {
    assert.equal(outboundConfigSchema.parse(input({ intervalMinutes: 1 })).intervalMinutes, 1);
    assert.equal(outboundConfigSchema.parse(input({ intervalMinutes: 1440 })).intervalMinutes, 1440);
    assert.equal(refusal({ intervalMinutes: 0 }), 'intervalMinutes: at least 1 minute');
    assert.equal(refusal({ intervalMinutes: -30 }), 'intervalMinutes: at least 1 minute');
    assert.equal(refusal({ intervalMinutes: 2880 }), 'intervalMinutes: at most 1440 minutes (one day)');
    assert.equal(refusal({ intervalMinutes: 7.5 }), 'intervalMinutes: whole minutes');
    assert.match(refusal({ intervalMinutes: '30' }), /^intervalMinutes: /);
  });

  it('refuses an interval that does not divide a day, saying why and naming the nearest that do', () => {
    assert.equal(
      refusal({ intervalMinutes: 7 }),
      'intervalMinutes: 1440 (the minutes in a day) must be divisible by the interval, so that windows align with days; 7 does not divide it (the nearest that do: 6 and 8)',
    );
    assert.equal(
      refusal({ intervalMinutes: 1000 }),
      'intervalMinutes: 1440 (the minutes in a day) must be divisible by the interval, so that windows align with days; 1000 does not divide it (the nearest that do: 720 and 1440)',
    );
    for (const ok of [1, 2, 5, 10, 15, 30, 45, 60, 90, 120, 180, 240, 360, 480, 720]) {
      assert.equal(outboundConfigSchema.safeParse(input({ intervalMinutes: ok })).success, true, String(ok));
    }
    assert.equal(ALLOWED_INTERVALS.length, 36);
    assert.ok(ALLOWED_INTERVALS.every((n) => 1440 % n === 0));
  });

  it('reports every field problem at once', () => {
    assert.equal(refusal({ environments: [], intervalMinutes: 0 }), 'environments: at least one environment id; intervalMinutes: at least 1 minute');
  });

  it('the patch schema takes any field alone and refuses unknown ones', () => {
    assert.deepEqual(outboundConfigPatchSchema.parse({}), {});
    assert.deepEqual(outboundConfigPatchSchema.parse({ intervalMinutes: 15 }), { intervalMinutes: 15 });
    assert.deepEqual(outboundConfigPatchSchema.parse({ writePrefix: '', compression: 'gzip' }), { writePrefix: '', compression: 'gzip' });
    const unknown = outboundConfigPatchSchema.safeParse({ prefix: 'x' });
    assert.equal(unknown.success, false);
    assert.match(describeIssues(unknown.error!), /prefix/);
    // The merged configuration is parsed whole, with the same refusals.
    const merged = { ...outboundConfigSchema.parse(input()), ...outboundConfigPatchSchema.parse({ intervalMinutes: 7 }) };
    assert.match(describeIssues(outboundConfigSchema.safeParse(merged).error!), /^intervalMinutes: 1440/);
  });
});

// ---------------------------------------------------------------------------------------------

const outbound = (o: Partial<OutboundConfig> = {}): OutboundConfig => ({
  environments: ['env-1'],
  bucket: 'b',
  region: 'us-east-1',
  writePrefix: 'exports',
  format: 'parquet',
  compression: 'snappy',
  intervalMinutes: 30,
  ...o,
});

const inboundConfig = (o: Partial<InboundConfig> = {}): InboundConfig => ({
  environments: ['env-1'],
  bucket: 'b',
  region: 'us-east-1',
  prefix: 'events',
  suffixes: [],
  topicArn: 'arn:aws:sns:us-east-1:123456789012:fme-events',
  statusPrefix: 'status',
  ...o,
});

const inbound = (id: string, o: Partial<InboundConfig>, deleted = false): KnownIntegration => ({ id, config: inboundConfig(o), deleted });
const known = (id: string, o: Partial<OutboundConfig>, deleted = false): KnownOutbound => ({ id, config: outbound(o), deleted });
const candidate = (o: Partial<OutboundConfig> = {}) => ({ id: 'out', config: outbound(o) });

const f = (prefix: string, ...suffixes: string[]): FileFilter => ({ prefix, suffixes });
const window = { start: Date.UTC(2025, 0, 15, 10, 30) };

describe('outbound conflicts', () => {
  describe('exportKeyMatchedBy: whether an inbound filter would take a file the export writes', () => {
    it('a filter folder at or above the write prefix matches by the ending of parts, manifest and _SUCCESS', () => {
      for (const prefix of ['', 'exports', 'exports/impressions']) {
        for (const suffixes of [[], ['.parquet'], ['.snappy.parquet'], ['.json'], ['_manifest.json'], ['_SUCCESS'], ['S'], ['n'], ['Z/_SUCCESS'], ['00.snappy.parquet']]) {
          const filter = f(prefix, ...suffixes);
          const key = exportKeyMatchedBy(filter, { writePrefix: 'exports/impressions', format: 'parquet' as const, compression: 'snappy' });
          assert.ok(key !== undefined, `${prefix} ${suffixes.join(',')}`);
          assert.ok(key.startsWith('exports/impressions/window_start='), key);
          assert.equal(keyMatchesFilter(filter, key), true, key);
        }
      }
    });

    it('the examples it gives are keys the export writes', () => {
      const c = { writePrefix: 'exports', format: 'parquet' as const, compression: 'snappy' as const };
      const ours = new Set([partKey('exports', window, 0, 'parquet', 'snappy'), manifestKey('exports', window), successKey('exports', window)]);
      assert.ok(ours.has(exportKeyMatchedBy(f('exports', '.json'), c)!.replace(/window_start=\d+T\d+Z/, 'window_start=20250115T1030Z')));
      assert.ok(ours.has(exportKeyMatchedBy(f('exports', '_SUCCESS'), c)!.replace(/window_start=\d+T\d+Z/, 'window_start=20250115T1030Z')));
      assert.ok(ours.has(exportKeyMatchedBy(f('exports', '.snappy.parquet'), c)!.replace(/window_start=\d+T\d+Z/, 'window_start=20250115T1030Z')));
    });

    it('endings no export key has, and the compression not chosen, match nothing', () => {
      const c = { writePrefix: 'exports', format: 'parquet' as const, compression: 'snappy' as const };
      for (const suffix of ['.csv', '.parquet.gz', '.gzip.parquet', '.zstd.parquet', 'x.parquet', '.status', '_manifest.jsonl', 'part-0.snappy.parquet']) {
        assert.equal(exportKeyMatchedBy(f('', suffix), c), undefined, suffix);
      }
      // Uncompressed parts end in .parquet but not .snappy.parquet.
      assert.equal(exportKeyMatchedBy(f('', '.snappy.parquet'), { writePrefix: 'exports', format: 'parquet' as const, compression: 'none' }), undefined);
      assert.ok(exportKeyMatchedBy(f('', '00000.parquet'), { writePrefix: 'exports', format: 'parquet' as const, compression: 'none' }));
    });

    it('part numbers past 99,999 have more digits, which a long suffix may name', () => {
      assert.ok(exportKeyMatchedBy(f('', '/part-123456.snappy.parquet'), { writePrefix: 'x', format: 'parquet' as const, compression: 'snappy' }));
      assert.equal(exportKeyMatchedBy(f('', '/part-1234.snappy.parquet'), { writePrefix: 'x', format: 'parquet' as const, compression: 'snappy' }), undefined);
    });

    it('folders beside the write prefix, or sharing its leading letters, match nothing', () => {
      const c = { writePrefix: 'exports', format: 'parquet' as const, compression: 'snappy' as const };
      assert.equal(exportKeyMatchedBy(f('events'), c), undefined);
      assert.equal(exportKeyMatchedBy(f('export'), c), undefined);
      assert.equal(exportKeyMatchedBy(f('exports-old'), c), undefined);
      assert.equal(exportKeyMatchedBy(f('exports/other'), c), undefined);
    });

    it('a folder below the write prefix matches only when it is a window folder', () => {
      const c = { writePrefix: 'exports', format: 'parquet' as const, compression: 'snappy' as const };
      assert.equal(exportKeyMatchedBy(f('exports/window_start=20250115T1030Z'), c), successKey('exports', window).replace('_SUCCESS', '_manifest.json'));
      assert.equal(exportKeyMatchedBy(f('exports/window_start=20250115T1030Z', '_SUCCESS'), c), successKey('exports', window));
      assert.equal(exportKeyMatchedBy(f('exports/window_start=20250115T1030Z', '.csv'), c), undefined);
      assert.equal(exportKeyMatchedBy(f('exports/window_start=2025'), c), undefined);
      assert.equal(exportKeyMatchedBy(f('exports/window_start=20250115T1030Z/part-00000.snappy.parquet'), c), undefined);
    });

    it('with an empty write prefix, window folders sit at the root: a root filter matches, another folder does not', () => {
      const c = { writePrefix: '', format: 'parquet' as const, compression: 'gzip' as const };
      assert.ok(exportKeyMatchedBy(f('', '.parquet'), c)!.match(/^window_start=\d{8}T\d{4}Z\/part-\d{5}\.gzip\.parquet$/));
      assert.equal(exportKeyMatchedBy(f('window_start=20250115T1030Z', '.gzip.parquet'), c), partKey('', window, 0, 'parquet', 'gzip'));
      assert.equal(exportKeyMatchedBy(f('events', '.parquet'), c), undefined);
    });
  });

  describe('outboundConflictsOf', () => {
    it('nothing else on the bucket: no conflict', () => {
      assert.deepEqual(outboundConflictsOf(candidate(), [], []), []);
    });

    it('refuses a write location whose parts an inbound filter on the bucket would take, naming it and a key', () => {
      const problems = outboundConflictsOf(candidate({ writePrefix: 'events/out' }), [inbound('in-1', { prefix: 'events', suffixes: ['.parquet'] })], []);
      assert.equal(problems.length, 1);
      assert.match(
        problems[0]!,
        /^write location "events\/out" on bucket b: the export's files \(such as "events\/out\/window_start=\d{8}T\d{4}Z\/part-\d{5}\.snappy\.parquet"\) would be matched by inbound integration "in-1"'s file filters \(prefix "events", suffixes "\.parquet"\)$/,
      );
    });

    it('the manifest (.json), _SUCCESS and a filter with no suffixes count too', () => {
      const c = candidate({ writePrefix: 'data' });
      assert.match(outboundConflictsOf(c, [inbound('j', { prefix: 'data', suffixes: ['.json'] })], [])[0]!, /_manifest\.json.*inbound integration "j"/);
      assert.match(outboundConflictsOf(c, [inbound('s', { prefix: '', suffixes: ['SUCCESS'] })], [])[0]!, /_SUCCESS.*inbound integration "s"/);
      assert.match(outboundConflictsOf(c, [inbound('any', { prefix: 'data', suffixes: [] })], [])[0]!, /inbound integration "any".*suffixes any/);
    });

    it('the bucket root as write location is matched by a root filter, not by one on another folder', () => {
      const root = candidate({ writePrefix: '' });
      assert.match(outboundConflictsOf(root, [inbound('r', { prefix: '', suffixes: ['.parquet'] })], [])[0]!, /^write location "" \(the bucket root\) on bucket b: /);
      assert.deepEqual(outboundConflictsOf(root, [inbound('e', { prefix: 'events', suffixes: [] })], []), []);
    });

    it('filters that cannot match our files, another bucket, and deleted inbound integrations are not in the way', () => {
      const c = candidate({ writePrefix: 'exports' });
      assert.deepEqual(outboundConflictsOf(c, [inbound('csv', { prefix: '', suffixes: ['.csv'] })], []), []);
      assert.deepEqual(outboundConflictsOf(c, [inbound('other', { bucket: 'other', prefix: '', suffixes: [] })], []), []);
      assert.deepEqual(outboundConflictsOf(c, [inbound('gone', { prefix: '', suffixes: [], statusPrefix: 'exports' }, true)], []), []);
    });

    it('refuses a write location in an inbound integration\'s status folder, or equal to it', () => {
      const inside = outboundConflictsOf(candidate({ writePrefix: 'status/exports' }), [inbound('in-1', { prefix: 'events', statusPrefix: 'status' })], []);
      assert.deepEqual(inside, ['write location "status/exports" on bucket b is in the status folder "status" of inbound integration "in-1"']);
      const equal = outboundConflictsOf(candidate({ writePrefix: 'status' }), [inbound('in-1', { prefix: 'events', statusPrefix: 'status' })], []);
      assert.deepEqual(equal, ['write location "status" on bucket b is in the status folder "status" of inbound integration "in-1"']);
    });

    it('a status folder that only shares leading letters, or lies below the write location, is not in the way', () => {
      assert.deepEqual(outboundConflictsOf(candidate({ writePrefix: 'status-out' }), [inbound('in-1', { statusPrefix: 'status' })], []), []);
      assert.deepEqual(outboundConflictsOf(candidate({ writePrefix: '' }), [inbound('in-1', { statusPrefix: 'status' })], []), []);
    });

    it('refuses two live exports on one bucket whose write locations are equal or nested, either way round', () => {
      assert.deepEqual(outboundConflictsOf(candidate({ writePrefix: 'exports' }), [], [known('o2', { writePrefix: 'exports' })]), [
        'write location "exports" on bucket b is also the write location of outbound integration "o2": their files would mix',
      ]);
      assert.deepEqual(outboundConflictsOf(candidate({ writePrefix: 'exports/a' }), [], [known('o2', { writePrefix: 'exports' })]), [
        'write location "exports/a" on bucket b is under "exports", the write location of outbound integration "o2": their files would mix',
      ]);
      assert.deepEqual(outboundConflictsOf(candidate({ writePrefix: 'exports' }), [], [known('o2', { writePrefix: 'exports/a' })]), [
        'write location "exports" on bucket b holds "exports/a", the write location of outbound integration "o2": their files would mix',
      ]);
      assert.deepEqual(outboundConflictsOf(candidate({ writePrefix: '' }), [], [known('o2', { writePrefix: 'x' })]), [
        'write location "" (the bucket root) on bucket b holds "x", the write location of outbound integration "o2": their files would mix',
      ]);
      assert.deepEqual(outboundConflictsOf(candidate({ writePrefix: 'x' }), [], [known('o2', { writePrefix: '' })]), [
        'write location "x" on bucket b is under the bucket root, the write location of outbound integration "o2": their files would mix',
      ]);
    });

    it('siblings, other buckets, deleted exports and the candidate\'s own earlier version are not in the way', () => {
      const c = candidate({ writePrefix: 'exports' });
      assert.deepEqual(
        outboundConflictsOf(c, [], [
          known('sibling', { writePrefix: 'exports-2' }),
          known('elsewhere', { bucket: 'other', writePrefix: 'exports' }),
          known('gone', { writePrefix: 'exports' }, true),
          known('out', { writePrefix: 'exports' }),
        ]),
        [],
      );
    });

    it('reports every problem, one sentence each', () => {
      const problems = outboundConflictsOf(
        candidate({ writePrefix: 'status/out' }),
        [inbound('in-1', { prefix: 'status', suffixes: ['.parquet'], statusPrefix: 'status' })],
        [known('o2', { writePrefix: 'status' })],
      );
      assert.equal(problems.length, 3);
      assert.match(problems[0]!, /would be matched by inbound integration "in-1"/);
      assert.match(problems[1]!, /is in the status folder "status" of inbound integration "in-1"/);
      assert.match(problems[2]!, /outbound integration "o2"/);
    });
  });
});
