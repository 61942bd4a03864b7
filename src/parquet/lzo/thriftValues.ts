/**
 * Lossless Thrift compact protocol, the value model: a struct is kept as its list of fields
 * (known or not), so re-encoding reproduces everything except the fields deliberately changed.
 */

/** Compact protocol type ids (BOOL_TRUE/BOOL_FALSE are merged into BOOL). */
export const CompactType = {
  STOP: 0,
  BOOL: 1,
  BOOL_FALSE: 2,
  BYTE: 3,
  I16: 4,
  I32: 5,
  I64: 6,
  DOUBLE: 7,
  BINARY: 8,
  LIST: 9,
  SET: 10,
  MAP: 11,
  STRUCT: 12,
} as const;

export type ThriftValue = boolean | number | bigint | Buffer | ThriftStruct | ThriftList | ThriftMap;

export interface ThriftField {
  id: number;
  type: number;
  value: ThriftValue;
}

export class ThriftList {
  constructor(
    readonly type: typeof CompactType.LIST | typeof CompactType.SET,
    readonly elementType: number,
    readonly elements: ThriftValue[],
  ) {}
}

export class ThriftMap {
  constructor(
    readonly keyType: number,
    readonly valueType: number,
    readonly entries: Array<[ThriftValue, ThriftValue]>,
  ) {}
}

export class ThriftStruct {
  constructor(readonly fields: ThriftField[] = []) {}

  get(id: number): ThriftField | undefined {
    return this.fields.find((field) => field.id === id);
  }

  has(id: number): boolean {
    return this.get(id) !== undefined;
  }

  remove(id: number): void {
    const index = this.fields.findIndex((field) => field.id === id);
    if (index >= 0) {
      this.fields.splice(index, 1);
    }
  }

  setI32(id: number, value: number): void {
    this.set({ id, type: CompactType.I32, value });
  }

  setI64(id: number, value: number): void {
    this.set({ id, type: CompactType.I64, value: BigInt(value) });
  }

  setBool(id: number, value: boolean): void {
    this.set({ id, type: CompactType.BOOL, value });
  }

  /** Replaces the field, or inserts it in field-id order. */
  private set(field: ThriftField): void {
    const existing = this.fields.findIndex((candidate) => candidate.id === field.id);
    if (existing >= 0) {
      this.fields[existing] = field;
      return;
    }
    const after = this.fields.findIndex((candidate) => candidate.id > field.id);
    this.fields.splice(after < 0 ? this.fields.length : after, 0, field);
  }
}

/** A Thrift struct lacks a field Parquet requires, or has it with the wrong type. */
export class ThriftFieldError extends Error {}

export function requiredI32(struct: ThriftStruct, id: number): number {
  const field = struct.get(id);
  if (field === undefined || typeof field.value !== 'number' || field.type !== CompactType.I32) {
    throw new ThriftFieldError(`Thrift field ${id} is missing or not an i32`);
  }
  return field.value;
}

export function optionalI64(struct: ThriftStruct, id: number): number | undefined {
  const field = struct.get(id);
  if (field === undefined) {
    return undefined;
  }
  if (typeof field.value !== 'bigint') {
    throw new ThriftFieldError(`Thrift field ${id} is not an i64`);
  }
  if (field.value > BigInt(Number.MAX_SAFE_INTEGER) || field.value < BigInt(Number.MIN_SAFE_INTEGER)) {
    throw new ThriftFieldError(`Thrift field ${id} value ${field.value} is out of range`);
  }
  return Number(field.value);
}

export function requiredI64(struct: ThriftStruct, id: number): number {
  const value = optionalI64(struct, id);
  if (value === undefined) {
    throw new ThriftFieldError(`Thrift field ${id} is missing`);
  }
  return value;
}

export function requiredStruct(struct: ThriftStruct, id: number): ThriftStruct {
  const value = struct.get(id)?.value;
  if (!(value instanceof ThriftStruct)) {
    throw new ThriftFieldError(`Thrift field ${id} is missing or not a struct`);
  }
  return value;
}

export function structListField(struct: ThriftStruct, id: number): ThriftStruct[] {
  const value = struct.get(id)?.value;
  if (!(value instanceof ThriftList) || !value.elements.every((element) => element instanceof ThriftStruct)) {
    throw new ThriftFieldError(`Thrift field ${id} is missing or not a list of structs`);
  }
  return value.elements as ThriftStruct[];
}
