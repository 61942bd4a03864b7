/** Lossless Thrift compact protocol, the wire format: decodes into and encodes from thriftValues. */
import { CompactType, ThriftList, ThriftMap, ThriftStruct, type ThriftField, type ThriftValue } from './thriftValues';

/** Nesting limit, so a garbage footer fails instead of overflowing the stack. */
const MAX_THRIFT_DEPTH = 64;

export function decodeThriftStruct(buffer: Buffer, offset: number): { struct: ThriftStruct; end: number } {
  const reader = new CompactReader(buffer, offset);
  const struct = reader.readStruct(0);
  return { struct, end: reader.position };
}

export function encodeThriftStruct(struct: ThriftStruct): Buffer {
  const writer = new CompactWriter();
  writer.writeStruct(struct);
  return writer.toBuffer();
}

class CompactReader {
  constructor(
    private readonly buffer: Buffer,
    public position: number,
  ) {}

  readStruct(depth: number): ThriftStruct {
    if (depth > MAX_THRIFT_DEPTH) {
      throw new Error('Thrift structs nested too deeply');
    }
    const fields: ThriftField[] = [];
    let lastId = 0;
    for (;;) {
      const header = this.readByte();
      const compactType = header & 0x0f;
      if (compactType === CompactType.STOP) {
        return new ThriftStruct(fields);
      }
      const delta = header >> 4;
      const id = delta === 0 ? this.readZigzag32() : lastId + delta;
      lastId = id;
      if (compactType === CompactType.BOOL || compactType === CompactType.BOOL_FALSE) {
        fields.push({ id, type: CompactType.BOOL, value: compactType === CompactType.BOOL });
      } else {
        fields.push({ id, type: compactType, value: this.readValue(compactType, depth) });
      }
    }
  }

  private readValue(type: number, depth: number): ThriftValue {
    switch (type) {
      case CompactType.BOOL:
      case CompactType.BOOL_FALSE:
        // Only inside lists/sets/maps: one byte, 1 = true.
        return this.readByte() === 1;
      case CompactType.BYTE:
        return (this.readByte() << 24) >> 24;
      case CompactType.I16:
      case CompactType.I32:
        return this.readZigzag32();
      case CompactType.I64:
        return this.readZigzag64();
      case CompactType.DOUBLE:
        return this.take(8).readDoubleLE(0);
      case CompactType.BINARY:
        return Buffer.from(this.take(this.readVarint32()));
      case CompactType.LIST:
      case CompactType.SET:
        return this.readList(type, depth);
      case CompactType.MAP:
        return this.readMap(depth);
      case CompactType.STRUCT:
        return this.readStruct(depth + 1);
      default:
        throw new Error(`unknown Thrift compact type ${type} at byte ${this.position}`);
    }
  }

  private readList(type: typeof CompactType.LIST | typeof CompactType.SET, depth: number): ThriftList {
    const header = this.readByte();
    const shortSize = header >> 4;
    const size = shortSize === 15 ? this.readVarint32() : shortSize;
    const elementType = header & 0x0f;
    this.checkCount(size);
    const elements: ThriftValue[] = [];
    for (let i = 0; i < size; i += 1) {
      elements.push(this.readValue(elementType, depth + 1));
    }
    return new ThriftList(type, elementType, elements);
  }

  private readMap(depth: number): ThriftMap {
    const size = this.readVarint32();
    const types = size === 0 ? 0 : this.readByte();
    this.checkCount(size);
    const entries: Array<[ThriftValue, ThriftValue]> = [];
    for (let i = 0; i < size; i += 1) {
      entries.push([this.readValue(types >> 4, depth + 1), this.readValue(types & 0x0f, depth + 1)]);
    }
    return new ThriftMap(types >> 4, types & 0x0f, entries);
  }

  /** Every element takes at least one byte. */
  private checkCount(count: number): void {
    if (count > this.buffer.length - this.position) {
      throw new Error(`Thrift collection of ${count} elements exceeds the data`);
    }
  }

  private readByte(): number {
    return this.take(1).readUInt8(0);
  }

  private take(length: number): Buffer {
    if (length < 0 || this.position + length > this.buffer.length) {
      throw new Error(`Thrift data ends unexpectedly at byte ${this.position}`);
    }
    const bytes = this.buffer.subarray(this.position, this.position + length);
    this.position += length;
    return bytes;
  }

  private readVarint32(): number {
    const value = this.readVarint();
    if (value > 0xffffffffn) {
      throw new Error(`Thrift varint too large for 32 bits at byte ${this.position}`);
    }
    return Number(value);
  }

  private readZigzag32(): number {
    const value = this.readVarint32();
    return (value >>> 1) ^ -(value & 1);
  }

  private readZigzag64(): bigint {
    const value = this.readVarint();
    return (value >> 1n) ^ -(value & 1n);
  }

  private readVarint(): bigint {
    let value = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      const byte = this.readByte();
      value |= BigInt(byte & 0x7f) << shift;
      if ((byte & 0x80) === 0) {
        return value;
      }
    }
    throw new Error(`Thrift varint longer than 10 bytes at byte ${this.position}`);
  }
}

class CompactWriter {
  private readonly parts: Buffer[] = [];
  private pending: number[] = [];

  toBuffer(): Buffer {
    this.flushPending();
    return Buffer.concat(this.parts);
  }

  private pushByte(byte: number): void {
    this.pending.push(byte);
  }

  private pushBytes(bytes: Buffer): void {
    this.flushPending();
    this.parts.push(bytes);
  }

  private flushPending(): void {
    if (this.pending.length > 0) {
      this.parts.push(Buffer.from(this.pending));
      this.pending = [];
    }
  }

  writeStruct(struct: ThriftStruct): void {
    let lastId = 0;
    for (const field of struct.fields) {
      const wireType = field.type === CompactType.BOOL && field.value === false ? CompactType.BOOL_FALSE : field.type;
      const delta = field.id - lastId;
      if (delta > 0 && delta <= 15) {
        this.pushByte((delta << 4) | wireType);
      } else {
        this.pushByte(wireType);
        this.writeZigzag32(field.id);
      }
      lastId = field.id;
      if (field.type !== CompactType.BOOL) {
        this.writeValue(field.type, field.value);
      }
    }
    this.pushByte(CompactType.STOP);
  }

  private writeValue(type: number, value: ThriftValue): void {
    if (value instanceof ThriftStruct) {
      this.writeStruct(value);
    } else if (value instanceof ThriftList) {
      this.writeList(value);
    } else if (value instanceof ThriftMap) {
      this.writeMap(value);
    } else if (Buffer.isBuffer(value)) {
      this.writeVarint(BigInt(value.length));
      this.pushBytes(value);
    } else if (typeof value === 'boolean') {
      this.pushByte(value ? 1 : 2);
    } else if (typeof value === 'bigint') {
      this.writeVarint(BigInt.asUintN(64, (value << 1n) ^ (value >> 63n)));
    } else {
      this.writeNumber(type, value);
    }
  }

  private writeNumber(type: number, value: number): void {
    if (type === CompactType.DOUBLE) {
      const bytes = Buffer.alloc(8);
      bytes.writeDoubleLE(value, 0);
      this.pushBytes(bytes);
    } else if (type === CompactType.BYTE) {
      this.pushByte(value & 0xff);
    } else {
      this.writeZigzag32(value);
    }
  }

  private writeList(list: ThriftList): void {
    const size = list.elements.length;
    if (size < 15) {
      this.pushByte((size << 4) | list.elementType);
    } else {
      this.pushByte(0xf0 | list.elementType);
      this.writeVarint(BigInt(size));
    }
    for (const element of list.elements) {
      this.writeValue(list.elementType, element);
    }
  }

  private writeMap(map: ThriftMap): void {
    this.writeVarint(BigInt(map.entries.length));
    if (map.entries.length === 0) {
      return;
    }
    this.pushByte((map.keyType << 4) | map.valueType);
    for (const [key, value] of map.entries) {
      this.writeValue(map.keyType, key);
      this.writeValue(map.valueType, value);
    }
  }

  private writeZigzag32(value: number): void {
    this.writeVarint(BigInt(((value << 1) ^ (value >> 31)) >>> 0));
  }

  private writeVarint(value: bigint): void {
    let rest = value;
    while (rest >= 0x80n) {
      this.pushByte(Number(rest & 0x7fn) | 0x80);
      rest >>= 7n;
    }
    this.pushByte(Number(rest));
  }
}
