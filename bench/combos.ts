/**
 * Row-code combinations: how many rows carry each combination of error codes (as the generator
 * expects them, as validation reports them), and the check that two countings agree.
 */
import { StatusDocument, StatusEntry } from '../src/domain/statusEntry';
import { BenchFailure } from './failure';

const CODE_NAMES: readonly [number, string][] = [
  [2, 'INVALID_ENVIRONMENT_ID'],
  [4, 'INVALID_TIMESTAMP'],
  [1, 'REQUIRED_FIELDS_NULL'],
];

/** Row count per sorted, comma-joined code combination; '' is the valid rows. */
export type ComboCounts = Map<string, number>;

export function codesOf(mask: number): string {
  return CODE_NAMES.filter(([bit]) => (mask & bit) !== 0)
    .map(([, name]) => name)
    .join(',');
}

export function addCount(m: ComboCounts, combo: string, rows: number): void {
  m.set(combo, (m.get(combo) ?? 0) + rows);
}

function describeCombos(m: ComboCounts): string {
  return [...m.entries()]
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, n]) => `${k || 'valid'}=${n}`)
    .join('; ');
}

function combosEqual(a: ComboCounts, b: ComboCounts): boolean {
  const keys = new Set([...a.keys(), ...b.keys()]);
  return [...keys].every((k) => (a.get(k) ?? 0) === (b.get(k) ?? 0));
}

export function validInvalid(m: ComboCounts): { valid: number; invalid: number } {
  let valid = 0;
  let invalid = 0;
  for (const [k, n] of m) {
    if (k === '') valid += n;
    else invalid += n;
  }
  return { valid, invalid };
}

export function assertSameCounts(what: string, expected: ComboCounts, actual: ComboCounts): void {
  if (combosEqual(expected, actual)) return;
  throw new BenchFailure(`${what} disagree:\n  expected ${describeCombos(expected)}\n  got      ${describeCombos(actual)}`);
}

export function combosOfDocument(doc: StatusDocument): ComboCounts {
  const m: ComboCounts = new Map();
  for (const entries of Object.values(doc)) for (const e of entries) addCount(m, e.errors.join(','), e.numberOfRows);
  return m;
}

export function combosOfEntries(entries: StatusEntry[]): ComboCounts {
  const m: ComboCounts = new Map();
  for (const e of entries) addCount(m, e.errors.join(','), e.numberOfRows);
  return m;
}
