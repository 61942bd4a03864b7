import assert from 'node:assert/strict';
import { isResourceFault } from '../src/parquet/validateChunk';

describe('isResourceFault: machine faults are retried, data faults become entries', () => {
  it('treats memory and disk exhaustion as faults of the machine', () => {
    assert.equal(isResourceFault(new Error('Out of Memory Error: failed to allocate data of size 256.0 MiB')), true);
    assert.equal(isResourceFault(new Error('IO Error: Could not write file "x": No space left on device')), true);
    assert.equal(isResourceFault(new Error('ENOSPC: no space left on device, write')), true);
  });

  it('treats decoding errors as faults of the data', () => {
    assert.equal(isResourceFault(new Error('Invalid Error: Out of buffer')), false);
    assert.equal(isResourceFault(new Error('Invalid Input Error: No magic bytes found at end of file')), false);
    assert.equal(isResourceFault(new Error('IO Error: Corrupt page header')), false);
  });
});
