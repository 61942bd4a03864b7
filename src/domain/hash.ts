const FNV_PRIME = 0x100000001b3n;
const MASK_64 = 0xffffffffffffffffn;

function fnv1a64(bytes: Uint8Array, offset: bigint): bigint {
  let h = offset;
  for (const b of bytes) {
    h ^= BigInt(b);
    h = (h * FNV_PRIME) & MASK_64;
  }
  return h;
}

/**
 * A stable 128-bit hex digest (two FNV-1a 64 lanes with different offsets). Not
 * cryptographic: it names things (file ids, dedup keys) and must run inside workflow
 * code, where Node's crypto is not available.
 */
export function stableHash(text: string): string {
  const bytes = new TextEncoder().encode(text);
  const a = fnv1a64(bytes, 0xcbf29ce484222325n);
  const b = fnv1a64(bytes, 0x84222325cbf29ce4n);
  return a.toString(16).padStart(16, '0') + b.toString(16).padStart(16, '0');
}
