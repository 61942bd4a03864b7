import { manifestKey, partKey, successKey } from '../export/exportKeys';
import type { KnownIntegration } from './conflicts';
import { describeFilter, isUnderFolder, type FileFilter } from './filters';
import type { OutboundConfig } from './outboundConfig';

/**
 * An outbound integration's writes are kept apart from everything else on its bucket: no inbound
 * integration may take the export's files as input, the export does not write into a status
 * folder, and two exports never share files.
 */

export interface OutboundCandidate {
  id: string;
  config: OutboundConfig;
}

/** A deleted outbound integration writes nothing any more. */
export interface KnownOutbound extends OutboundCandidate {
  deleted: boolean;
}

const q = (s: string) => JSON.stringify(s);
const folder = (f: string) => (f ? q(f) : 'the bucket root');
const where = (writePrefix: string) => `write location ${writePrefix ? q(writePrefix) : '"" (the bucket root)'}`;

/**
 * The keys of one kind the export writes, as a sample key and which of its characters may be any
 * digit (the window's date and time, the part number). The write prefix is taken literally.
 */
interface KeyShape {
  sample: string;
  digit: boolean[];
}

const WINDOW_SAMPLE = { start: 0 };
const isDigit = (c: string) => c >= '0' && c <= '9';

function shapeOf(writePrefix: string, key: string): KeyShape {
  const fixed = writePrefix ? writePrefix.length + 1 : 0;
  return { sample: key, digit: key.split('').map((c, i) => i >= fixed && isDigit(c)) };
}

/**
 * Every shape of key an export with this configuration writes (exportKeys.ts): the parts, the
 * manifest and `_SUCCESS` of any window. Part numbers have at least five digits; `digitsUpTo`
 * bounds how many are tried (a suffix of n characters cannot tell more than n digits apart).
 */
function exportKeyShapes(c: Pick<OutboundConfig, 'writePrefix' | 'format' | 'compression'>, digitsUpTo: number): KeyShape[] {
  const shapes = [shapeOf(c.writePrefix, manifestKey(c.writePrefix, WINDOW_SAMPLE)), shapeOf(c.writePrefix, successKey(c.writePrefix, WINDOW_SAMPLE))];
  for (let digits = 5; digits <= Math.max(5, digitsUpTo); digits++) {
    shapes.push(shapeOf(c.writePrefix, partKey(c.writePrefix, WINDOW_SAMPLE, digits === 5 ? 0 : 10 ** (digits - 1), c.format, c.compression)));
  }
  return shapes;
}

/** A key of this shape that starts with `prefix` and ends with `suffix`, if there is one. */
function keyOfShape(shape: KeyShape, prefix: string, suffix: string): string | undefined {
  const n = shape.sample.length;
  if (prefix.length > n || suffix.length > n) return undefined;
  const chars = shape.sample.split('');
  const placed: boolean[] = [];
  const place = (text: string, at: number): boolean =>
    text.split('').every((c, i) => {
      const pos = at + i;
      const fits = shape.digit[pos] ? isDigit(c) : c === shape.sample[pos];
      if (!fits || (placed[pos] && chars[pos] !== c)) return false;
      chars[pos] = c;
      placed[pos] = true;
      return true;
    });
  return place(prefix, 0) && place(suffix, n - suffix.length) ? chars.join('') : undefined;
}

/**
 * A key the export writes that this inbound filter matches (see `keyMatchesFilter`), or undefined
 * when it matches none. Exact over the key layout: a filter folder above or at the write prefix
 * matches when a suffix is an ending some part, manifest or `_SUCCESS` key can have (`.parquet`,
 * `.json`, `_SUCCESS`, `S` ..., or no suffixes at all); a folder below it only when it is one
 * window's folder.
 */
export function exportKeyMatchedBy(filter: FileFilter, config: Pick<OutboundConfig, 'writePrefix' | 'format' | 'compression'>): string | undefined {
  const prefix = filter.prefix ? filter.prefix + '/' : '';
  const suffixes = filter.suffixes.length === 0 ? [''] : filter.suffixes;
  const longest = Math.max(...suffixes.map((s) => s.length));
  for (const shape of exportKeyShapes(config, longest)) {
    for (const suffix of suffixes) {
      const key = keyOfShape(shape, prefix, suffix);
      if (key !== undefined) return key;
    }
  }
  return undefined;
}

/** Folders that are equal or one inside the other ('' holds every folder). */
const foldersNest = (a: string, b: string) => a === b || isUnderFolder(a, b) || isUnderFolder(b, a);

/**
 * One sentence per problem, empty when the candidate may be saved. `outbound` may hold the
 * candidate's own id (its current version during an update): that entry is skipped. Deleted
 * integrations, of either kind, are not in the way.
 */
export function outboundConflictsOf(candidate: OutboundCandidate, inbound: readonly KnownIntegration[], outbound: readonly KnownOutbound[]): string[] {
  const { bucket, writePrefix } = candidate.config;
  const problems: string[] = [];

  for (const other of inbound) {
    if (other.deleted || other.config.bucket !== bucket) continue;
    const label = `inbound integration ${q(other.id)}`;
    const key = exportKeyMatchedBy(other.config, candidate.config);
    if (key !== undefined) {
      problems.push(
        `${where(writePrefix)} on bucket ${bucket}: the export's files (such as ${q(key)}) would be matched by ${label}'s file filters (${describeFilter(other.config)})`,
      );
    }
    const status = other.config.statusPrefix;
    if (writePrefix === status || isUnderFolder(writePrefix, status)) {
      problems.push(`${where(writePrefix)} on bucket ${bucket} is in the status folder ${q(status)} of ${label}`);
    }
  }

  for (const other of outbound) {
    if (other.id === candidate.id || other.deleted || other.config.bucket !== bucket) continue;
    const theirs = other.config.writePrefix;
    if (!foldersNest(writePrefix, theirs)) continue;
    const relation = writePrefix === theirs ? 'is also' : `${isUnderFolder(writePrefix, theirs) ? 'is under' : 'holds'} ${folder(theirs)},`;
    problems.push(`${where(writePrefix)} on bucket ${bucket} ${relation} the write location of outbound integration ${q(other.id)}: their files would mix`);
  }
  return problems;
}
