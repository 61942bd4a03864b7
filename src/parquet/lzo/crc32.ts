const CRC32_TABLE = Int32Array.from({ length: 256 }, (_, byte) => {
  let crc = byte;
  for (let bit = 0; bit < 8; bit += 1) {
    crc = crc & 1 ? 0xedb88320 ^ (crc >>> 1) : crc >>> 1;
  }
  return crc;
});

/** CRC-32 (as java.util.zip.CRC32) as a signed 32-bit int, the way Parquet's Thrift i32 holds it. */
export function crc32(data: Buffer): number {
  let crc = -1;
  for (const byte of data) {
    crc = CRC32_TABLE[(crc ^ byte) & 0xff] ^ (crc >>> 8);
  }
  return ~crc;
}
