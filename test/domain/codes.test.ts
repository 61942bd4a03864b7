import assert from 'node:assert/strict';
import { codesOfMask, RowCodeBit, UNREADABLE_BIT } from '../../src/domain/codes';

describe('codes', () => {
  it('row codes are distinct bits, and the unreadable bit is separate', () => {
    assert.deepEqual(RowCodeBit, { REQUIRED_FIELDS_NULL: 1, INVALID_ENVIRONMENT_ID: 2, INVALID_TIMESTAMP: 4 });
    assert.equal(UNREADABLE_BIT, 8);
  });

  it('codesOfMask lists the codes of a mask, sorted', () => {
    assert.deepEqual(codesOfMask(0), []);
    assert.deepEqual(codesOfMask(1), ['REQUIRED_FIELDS_NULL']);
    assert.deepEqual(codesOfMask(2), ['INVALID_ENVIRONMENT_ID']);
    assert.deepEqual(codesOfMask(4), ['INVALID_TIMESTAMP']);
    assert.deepEqual(codesOfMask(5), ['INVALID_TIMESTAMP', 'REQUIRED_FIELDS_NULL']);
    assert.deepEqual(codesOfMask(6), ['INVALID_ENVIRONMENT_ID', 'INVALID_TIMESTAMP']);
    assert.deepEqual(codesOfMask(7), ['INVALID_ENVIRONMENT_ID', 'INVALID_TIMESTAMP', 'REQUIRED_FIELDS_NULL']);
    assert.deepEqual(codesOfMask(8), ['INVALID_SCHEMA']);
    assert.deepEqual(codesOfMask(15), ['INVALID_ENVIRONMENT_ID', 'INVALID_SCHEMA', 'INVALID_TIMESTAMP', 'REQUIRED_FIELDS_NULL']);
  });
});
