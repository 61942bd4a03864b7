import assert from 'node:assert/strict';
import { MAGIC_BYTES_NEEDED, sniffOuterCompression } from '../../src/domain/magic';

const bytes = (...b: number[]) => Uint8Array.from(b);
const ascii = (s: string) => new TextEncoder().encode(s);

describe('magic', () => {
  it('needs 4 bytes', () => assert.equal(MAGIC_BYTES_NEEDED, 4));

  it('recognises gzip by 1f 8b', () => {
    assert.equal(sniffOuterCompression(bytes(0x1f, 0x8b, 0x08, 0x00)), 'gzip');
    assert.equal(sniffOuterCompression(bytes(0x1f, 0x8b)), 'gzip');
  });

  it('recognises bzip2 by "BZh" and a block size digit 1..9', () => {
    for (let d = 1; d <= 9; d++) assert.equal(sniffOuterCompression(ascii(`BZh${d}`)), 'bzip2');
    assert.equal(sniffOuterCompression(ascii('BZh0')), 'none');
    assert.equal(sniffOuterCompression(ascii('BZhx')), 'none');
    assert.equal(sniffOuterCompression(ascii('BZh')), 'none');
  });

  it('anything else is not compressed', () => {
    assert.equal(sniffOuterCompression(ascii('PAR1')), 'none');
    assert.equal(sniffOuterCompression(bytes()), 'none');
    assert.equal(sniffOuterCompression(bytes(0x1f)), 'none');
    assert.equal(sniffOuterCompression(bytes(0x8b, 0x1f, 0, 0)), 'none');
    assert.equal(sniffOuterCompression(bytes(0x28, 0xb5, 0x2f, 0xfd)), 'none'); // zstd is not an outer format here
  });
});
