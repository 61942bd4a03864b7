import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { PROJECT_ROOT } from './paths';

/** The product documentation (the contract), beside the repository in ../shared/seed. */
export const SEED = readFileSync(path.join(PROJECT_ROOT, '..', 'shared', 'seed', '000_0f1183522a1672f9.txt'), 'utf8');
export const SEED_LINES = SEED.split('\n');

/** The line of a heading in the seed. */
export function headingLine(heading: string): number {
  const start = SEED_LINES.findIndex((l) => l.trim() === heading);
  assert.notEqual(start, -1, `heading ${heading} in the seed`);
  return start;
}

/** The first fenced code block after a heading; the seed's fences vary (```json, ``` json, indented). */
export function blockAfter(heading: string): string {
  const start = headingLine(heading);
  const fence = /^\s*```\s*\w*\s*$/;
  const open = SEED_LINES.findIndex((l, i) => i > start && fence.test(l));
  const close = SEED_LINES.findIndex((l, i) => i > open && fence.test(l));
  assert.ok(open > start && close > open, `a code block after ${heading}`);
  return SEED_LINES.slice(open + 1, close).join('\n');
}

/** Replaces each placeholder of the seed's JSON with its value. */
export const fill = (text: string, values: Record<string, string>) => Object.entries(values).reduce((t, [placeholder, value]) => t.split(placeholder).join(value), text);

/** Equal values and the same key order as the seed, since customers compare the two by eye. */
export function assertSameAsSeed(actual: unknown, seedJson: string): void {
  assert.doesNotMatch(seedJson, /\{[A-Za-z-]+\}/, 'every placeholder filled');
  const expected: unknown = JSON.parse(seedJson);
  assert.deepStrictEqual(actual, expected);
  assert.equal(JSON.stringify(actual), JSON.stringify(expected));
}
