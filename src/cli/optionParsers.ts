import { InvalidArgumentError } from 'commander';

/** `a,b , c` → ['a','b','c']; refuses a list with no id at all. */
export function parseIdList(value: string): string[] {
  const ids = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (ids.length === 0) throw new InvalidArgumentError('needs at least one environment id');
  return ids;
}

/** Digits only: Number('') is 0, and Number('1e3') or Number('0x10') are not what was meant. */
export function parseEpochMs(value: string): number {
  const n = /^\d+$/.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('must be epoch milliseconds');
  return n;
}

export function parseNonEmpty(value: string): string {
  if (value.trim() === '') throw new InvalidArgumentError('must not be empty');
  return value;
}
