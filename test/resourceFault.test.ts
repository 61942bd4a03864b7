import assert from 'node:assert/strict';
import { isResourceFault } from '../src/parquet/resourceFault';

/** A Node system error as fs, child_process and zlib raise them (code and errno, no useful message). */
function systemError(code: string, message = `${code}: failed`): NodeJS.ErrnoException {
  return Object.assign(new Error(message), { code, errno: -1, syscall: 'write' });
}

describe('isResourceFault: machine faults are retried, data faults become entries', () => {
  it('treats memory and disk exhaustion as faults of the machine', () => {
    assert.equal(isResourceFault(new Error('Out of Memory Error: failed to allocate data of size 256.0 MiB')), true);
    assert.equal(isResourceFault(new Error('IO Error: Could not write file "x": No space left on device')), true);
    assert.equal(isResourceFault(new Error('ENOSPC: no space left on device, write')), true);
  });

  it("recognises DuckDB's wording of disk, memory and file-handle faults", () => {
    assert.equal(isResourceFault(new Error('IO Error: Could not write file "/w/duckdb/tmp.block": Disk quota exceeded')), true);
    assert.equal(isResourceFault(new Error('IO Error: could not write to temporary file')), true);
    assert.equal(isResourceFault(new Error('IO Error: Cannot open file "/w/file.parquet": Too many open files')), true);
    assert.equal(isResourceFault(new Error('IO Error: Could not read from file "/w/file.parquet": Input/output error')), true);
    assert.equal(isResourceFault(new Error('Invalid Error: std::bad_alloc')), true);
  });

  it('recognises Node system errors by their code, whatever the message says', () => {
    for (const code of ['ENOSPC', 'EDQUOT', 'ENOMEM', 'EMFILE', 'ENFILE', 'EIO', 'EROFS', 'EFBIG']) {
      assert.equal(isResourceFault(systemError(code, 'write failed')), true, code);
    }
    // zlib could not allocate its window: the machine, not the stream.
    assert.equal(isResourceFault(Object.assign(new Error('out of memory'), { code: 'Z_MEM_ERROR', errno: -4 })), true);
  });

  it('treats decoding errors as faults of the data', () => {
    assert.equal(isResourceFault(new Error('Invalid Error: Out of buffer')), false);
    assert.equal(isResourceFault(new Error('Invalid Input Error: No magic bytes found at end of file')), false);
    assert.equal(isResourceFault(new Error('IO Error: Corrupt page header')), false);
    assert.equal(isResourceFault(Object.assign(new Error('invalid stored block lengths'), { code: 'Z_DATA_ERROR', errno: -3 })), false);
    assert.equal(isResourceFault(Object.assign(new Error('unexpected end of file'), { code: 'Z_BUF_ERROR', errno: -5 })), false);
    assert.equal(isResourceFault(new Error('Compressed file ends unexpectedly;')), false);
    assert.equal(isResourceFault(undefined), false);
  });
});
