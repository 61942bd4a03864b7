/**
 * Which keys an inbound integration takes. The rules mirror S3 event notification filters
 * (a key prefix and a case-sensitive suffix), so what the customer configures on the bucket and
 * what we accept from the endpoint and the sweep agree.
 */

/** Same meaning as the configuration's `prefix` and `suffixes`. */
export interface FileFilter {
  /** A folder without leading or trailing slashes; '' is the whole bucket. */
  prefix: string;
  /** Any one of these endings; [] accepts any key under the prefix. */
  suffixes: string[];
}

/** The ending of every report key we write (see `reportKeyOf`). */
export const REPORT_SUFFIX = '.UTC_report.status';

/**
 * A folder `a` holds `a/...` but not `ab/...`: the slash is part of the test, or sibling folders
 * sharing a leading string would be taken for one another.
 */
export function isUnderFolder(key: string, folder: string): boolean {
  return folder === '' || key.startsWith(folder + '/');
}

export function keyMatchesFilter(filter: FileFilter, key: string): boolean {
  return isUnderFolder(key, filter.prefix) && (filter.suffixes.length === 0 || filter.suffixes.some((s) => key.endsWith(s)));
}

function foldersNest(a: string, b: string): boolean {
  return a === '' || b === '' || a === b || a.startsWith(b + '/') || b.startsWith(a + '/');
}

/** A key can end with both x and y exactly when one of them ends with the other. */
function suffixesCompatible(a: string[], b: string[]): boolean {
  return a.length === 0 || b.length === 0 || a.some((x) => b.some((y) => x.endsWith(y) || y.endsWith(x)));
}

/**
 * True exactly when some key matches both. Prefix and suffix never constrain each other: the key
 * `<deeper folder>/<longer suffix>` always exists once folders nest and suffixes are compatible.
 */
export function filtersOverlap(a: FileFilter, b: FileFilter): boolean {
  return foldersNest(a.prefix, b.prefix) && suffixesCompatible(a.suffixes, b.suffixes);
}

/**
 * Whether a report we write under `statusPrefix` could be taken as an input file, which would
 * make every report trigger another. Conservative: the date and time folders are not modelled,
 * so a filter prefix anywhere below the status folder counts, and so does a suffix longer than
 * the report ending. The export's writes are recognised by their own key layout, which a check
 * beside this one covers once that layout exists.
 */
export function statusWritesMatchedBy(filter: FileFilter, statusPrefix: string): boolean {
  return filtersOverlap(filter, { prefix: statusPrefix, suffixes: [REPORT_SUFFIX] });
}

/** How a filter is named in messages the CLI prints. */
export function describeFilter(filter: FileFilter): string {
  const suffixes = filter.suffixes.length === 0 ? 'any' : filter.suffixes.map((s) => JSON.stringify(s)).join(', ');
  return `prefix ${JSON.stringify(filter.prefix)}, suffixes ${suffixes}`;
}
