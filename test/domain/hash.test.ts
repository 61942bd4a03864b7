import assert from 'node:assert/strict';
import { stableHash } from '../../src/domain/hash';

describe('hash', () => {
  it('is two FNV-1a 64 lanes: the first is the standard FNV-1a 64', () => {
    // Standard FNV-1a 64 test vectors.
    assert.equal(stableHash('').slice(0, 16), 'cbf29ce484222325');
    assert.equal(stableHash('a').slice(0, 16), 'af63dc4c8601ec8c');
    assert.equal(stableHash('foobar').slice(0, 16), '85944171f73967e8');
    assert.equal(stableHash('a'), 'af63dc4c8601ec8c' + '789e3e398d3ff5ff');
    // The second lane of the empty input is its offset basis.
    assert.equal(stableHash(''), 'cbf29ce484222325' + '84222325cbf29ce4');
  });

  it('is 32 hex characters, deterministic, and hashes UTF-8', () => {
    const h = stableHash('events/ä.parquet');
    assert.match(h, /^[0-9a-f]{32}$/);
    assert.equal(stableHash('events/ä.parquet'), h);
    assert.notEqual(stableHash('events/a.parquet'), h);
    // 'é' is hashed as its two UTF-8 bytes c3 a9 (as latin-1 byte e9 it would be af64644c8602d3a4).
    assert.equal(stableHash('\u00e9'), '0ac21707b7181e01' + '339aedcb02a0b304');
  });
});
