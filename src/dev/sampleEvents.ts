/**
 * The rows of a generated event file, row i (0-based), independent of the production SQL
 * so tests can count what each rule must find:
 * - i % 101 === 7: key is null                          → REQUIRED_FIELDS_NULL
 * - i % 97 === 5: environmentId 'env-unknown'           → INVALID_ENVIRONMENT_ID
 * - i % 89 === 3: timestamp in seconds; i % 89 === 4 in microseconds → INVALID_TIMESTAMP
 */
export function expectedRowCodes(i: number): string[] {
  const codes: string[] = [];
  if (i % 97 === 5) codes.push('INVALID_ENVIRONMENT_ID');
  if (i % 89 === 3 || i % 89 === 4) codes.push('INVALID_TIMESTAMP');
  if (i % 101 === 7) codes.push('REQUIRED_FIELDS_NULL');
  return codes.sort();
}

export const GOOD_ENVIRONMENTS = ['env-a', 'env-b'];

/** Counts rows per sorted code combination ('' = valid) for rows [0, n). */
export function expectedCounts(n: number): Map<string, number> {
  const m = new Map<string, number>();
  for (let i = 0; i < n; i++) {
    const k = expectedRowCodes(i).join(',');
    m.set(k, (m.get(k) ?? 0) + 1);
  }
  return m;
}

/** `variant` makes the keys (and so the file's bytes) differ without changing any row's codes: each demo upload is new content. */
export function eventsSql(n: number, variant?: string): string {
  const key = variant === undefined ? `'user-' || i` : `'user-' || i || '-' || '${variant.replace(/[^A-Za-z0-9-]/g, '')}'`;
  return `SELECT
      CASE WHEN i % 97 = 5 THEN 'env-unknown' WHEN i % 2 = 0 THEN 'env-a' ELSE 'env-b' END AS environmentId,
      'user' AS trafficTypeId,
      'checkout' AS eventTypeId,
      CASE WHEN i % 101 = 7 THEN NULL ELSE ${key} END AS "key",
      (CASE WHEN i % 89 = 3 THEN 1700000000 WHEN i % 89 = 4 THEN 1700000000000000 ELSE 1700000000000 + i * 1000 END)::BIGINT AS "timestamp",
      CASE WHEN i % 10 = 0 THEN NULL ELSE i * 1.5 END::DOUBLE AS "value",
      MAP {'i': i::VARCHAR} AS properties
    FROM range(${n}) t(i)`;
}

