/**
 * The custom search attributes the Web UI lists files by (see index.ts for the versioning rule:
 * a name here is registered on the server and set by running workflows, so it never changes).
 * Keyword and Int only: the dev server's SQLite store allows few of the other types.
 */
import { defineSearchAttributeKey, SearchAttributeType } from '@temporalio/common';

export const SA_INTEGRATION_ID = defineSearchAttributeKey('FmeIntegrationId', SearchAttributeType.KEYWORD);
export const SA_BUCKET = defineSearchAttributeKey('FmeBucket', SearchAttributeType.KEYWORD);
export const SA_OBJECT_KEY = defineSearchAttributeKey('FmeObjectKey', SearchAttributeType.KEYWORD);
/** What the file's latest pass came to (FileOutcome). */
export const SA_OUTCOME = defineSearchAttributeKey('FmeOutcome', SearchAttributeType.KEYWORD);
/** Rows the latest pass reported invalid. */
export const SA_INVALID_ROWS = defineSearchAttributeKey('FmeInvalidRows', SearchAttributeType.INT);

export const SEARCH_ATTRIBUTES = [SA_INTEGRATION_ID, SA_BUCKET, SA_OBJECT_KEY, SA_OUTCOME, SA_INVALID_ROWS];

/** FmeOutcome's values. */
export const FileOutcome = {
  PROCESSING: 'processing',
  /** Every row valid and stored. */
  VALID: 'valid',
  /** Some rows invalid (the rest stored). */
  INVALID_ROWS: 'invalid-rows',
  /** The file as a whole was rejected (INVALID_SCHEMA): nothing stored. */
  REJECTED: 'rejected',
  DUPLICATE: 'duplicate',
  INTEGRATION_DELETED: 'integration-deleted',
  /** S3 refuses the object: waiting, never judged. */
  PARKED: 'parked',
  /** The object version was deleted or overwritten before it could be read. */
  GONE: 'gone',
  /** A run Temporal no longer retains processed this object version. */
  PROCESSED_BEFORE: 'processed-before',
} as const;
export type FileOutcome = (typeof FileOutcome)[keyof typeof FileOutcome];
