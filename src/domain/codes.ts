/** Error codes of the contract. Rows with any of them are not stored. */
export const ErrorCode = {
  INVALID_SCHEMA: 'INVALID_SCHEMA',
  REQUIRED_FIELDS_NULL: 'REQUIRED_FIELDS_NULL',
  INVALID_ENVIRONMENT_ID: 'INVALID_ENVIRONMENT_ID',
  INVALID_TIMESTAMP: 'INVALID_TIMESTAMP',
  INTEGRATION_CONFIG_NOT_FOUND: 'INTEGRATION_CONFIG_NOT_FOUND',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Warning codes: the rows are stored, the customer should still know. */
export const WarningCode = {
  OPTIONAL_COLUMN_MISSING: 'OPTIONAL_COLUMN_MISSING',
  UNKNOWN_COLUMNS_IGNORED: 'UNKNOWN_COLUMNS_IGNORED',
  REPROCESSED: 'REPROCESSED',
  /** The same bytes were already ingested under the same integration configuration: nothing stored again. */
  DUPLICATE_CONTENT: 'DUPLICATE_CONTENT',
} as const;
export type WarningCode = (typeof WarningCode)[keyof typeof WarningCode];

/**
 * Row-level codes as bits of a mask, so that one SQL expression classifies a row
 * and the mask doubles as the group's identity inside a chunk.
 */
export const RowCodeBit = {
  [ErrorCode.REQUIRED_FIELDS_NULL]: 1,
  [ErrorCode.INVALID_ENVIRONMENT_ID]: 2,
  [ErrorCode.INVALID_TIMESTAMP]: 4,
} as const;

/** Not a row code: marks an entry for rows that could not be decoded or a schema-invalid file. */
export const UNREADABLE_BIT = 8;

export function codesOfMask(mask: number): ErrorCode[] {
  const codes: ErrorCode[] = [];
  for (const [code, bit] of Object.entries(RowCodeBit)) {
    if (mask & bit) codes.push(code as ErrorCode);
  }
  if (mask & UNREADABLE_BIT) codes.push(ErrorCode.INVALID_SCHEMA);
  return codes.sort();
}

/** The mask whose codes are `codes` (the inverse of codesOfMask; other codes have no bit). */
export function maskOfCodes(codes: readonly string[]): number {
  let mask = 0;
  for (const code of codes) {
    if (code === ErrorCode.INVALID_SCHEMA) mask |= UNREADABLE_BIT;
    else if (code in RowCodeBit) mask |= RowCodeBit[code as keyof typeof RowCodeBit];
  }
  return mask;
}
