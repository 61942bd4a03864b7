import assert from 'node:assert/strict';
import {
  COMPRESSIONS_BY_FORMAT,
  EXPORT_FORMATS,
  PART_FILE_NAME,
  partContentType,
  partFileName,
  partLayoutOf,
} from '../../src/domain/export/formats';
import { mergeOutboundPatch } from '../../src/domain/integration/outboundPatch';
import { exportKeyMatchedBy } from '../../src/domain/integration/outboundConflicts';
import { keyMatchesFilter } from '../../src/domain/integration/filters';

const combos = EXPORT_FORMATS.flatMap((format) => COMPRESSIONS_BY_FORMAT[format].map((compression) => ({ format, compression })));

describe('export formats: names, layouts and content types of every format and compression', () => {
  it('names each combination as its readers expect, the decoder picked by the last extension', () => {
    const names = Object.fromEntries(combos.map(({ format, compression }) => [`${format}/${compression}`, partFileName(format, compression, 3)]));
    assert.deepEqual(names, {
      'parquet/snappy': 'part-00003.snappy.parquet',
      'parquet/gzip': 'part-00003.gzip.parquet',
      'parquet/zstd': 'part-00003.zstd.parquet',
      'parquet/lzo': 'part-00003.lzo.parquet',
      'parquet/bzip2': 'part-00003.parquet.bz2',
      'parquet/none': 'part-00003.parquet',
      'jsonl/gzip': 'part-00003.jsonl.gz',
      'jsonl/bzip2': 'part-00003.jsonl.bz2',
      'jsonl/none': 'part-00003.jsonl',
      'csv/gzip': 'part-00003.csv.gz',
      'csv/bzip2': 'part-00003.csv.bz2',
      'csv/none': 'part-00003.csv',
    });
  });

  it('recognises every part name it gives as a part of ours, and no other name', () => {
    for (const { format, compression } of combos) {
      for (const part of [0, 99_999, 123_456]) assert.ok(PART_FILE_NAME.test(partFileName(format, compression, part)), partFileName(format, compression, part));
    }
    for (const other of ['part-0001.parquet', 'part-00001.parquet.gz', 'part-00001.snappy.csv.gz', 'part-00001.csv.zip', 'data.csv', 'part-00001.json', '_SUCCESS', 'part-00001.lzo.parquet.bz2x', 'part-00001.snappy.parquet.bz2', 'part-00001.gzip.jsonl']) {
      assert.equal(PART_FILE_NAME.test(other), false, other);
    }
  });

  it('lays out Parquet codecs inside the file, bzip2 Parquet and compressed JSON lines and CSV around the whole file', () => {
    assert.deepEqual(partLayoutOf('parquet', 'lzo'), { format: 'parquet', parquetCodec: 'lzo' });
    assert.deepEqual(partLayoutOf('parquet', 'bzip2'), { format: 'parquet', parquetCodec: 'none', wholeFile: 'bzip2' });
    assert.deepEqual(partLayoutOf('csv', 'gzip'), { format: 'csv', wholeFile: 'gzip' });
    assert.deepEqual(partLayoutOf('jsonl', 'none'), { format: 'jsonl' });
    assert.throws(() => partLayoutOf('csv', 'snappy'), /snappy is not a compression for csv files/);
  });

  it('stores compressed whole files as gzip or bzip2 without a Content-Encoding, others as their format', () => {
    assert.equal(partContentType('parquet', 'lzo'), 'application/vnd.apache.parquet');
    assert.equal(partContentType('parquet', 'bzip2'), 'application/x-bzip2');
    assert.equal(partContentType('jsonl', 'gzip'), 'application/gzip');
    assert.equal(partContentType('jsonl', 'none'), 'application/x-ndjson');
    assert.equal(partContentType('csv', 'none'), 'text/csv; charset=utf-8; header=present');
  });

  it('an update to another format alone keeps a compression that fits it, else takes its default; an explicit compression is kept as given', () => {
    const current = { format: 'parquet', compression: 'snappy', bucket: 'b' };
    assert.deepEqual(mergeOutboundPatch(current, { format: 'csv' }), { format: 'csv', compression: 'gzip', bucket: 'b' });
    assert.deepEqual(mergeOutboundPatch({ ...current, compression: 'bzip2' }, { format: 'jsonl' }), { format: 'jsonl', compression: 'bzip2', bucket: 'b' });
    assert.deepEqual(mergeOutboundPatch(current, { format: 'csv', compression: 'snappy' }), { format: 'csv', compression: 'snappy', bucket: 'b' });
    assert.deepEqual(mergeOutboundPatch(current, { bucket: 'c' }), { format: 'parquet', compression: 'snappy', bucket: 'c' });
    assert.deepEqual(mergeOutboundPatch(current, { format: 'avro' }), { format: 'avro', compression: 'snappy', bucket: 'b' });
  });

  it('an inbound filter taking .csv.gz files conflicts with a gzip CSV export under it, not with a Parquet one', () => {
    const filter = { prefix: 'exports', suffixes: ['.csv.gz'] } as Parameters<typeof exportKeyMatchedBy>[0];
    const key = exportKeyMatchedBy(filter, { writePrefix: 'exports', format: 'csv', compression: 'gzip' });
    assert.ok(key?.match(/^exports\/window_start=\d{8}T\d{4}Z\/part-\d{5}\.csv\.gz$/), key);
    assert.equal(keyMatchesFilter(filter, key!), true);
    assert.equal(exportKeyMatchedBy(filter, { writePrefix: 'exports', format: 'parquet', compression: 'snappy' }), undefined);
  });
});
