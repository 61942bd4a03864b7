/** ApplicationFailure types that activities raise and workflows act on (shared, so no string drifts). */
export const FailureType = {
  /** The worker's local copy of the file is gone (worker restarted): start the file again elsewhere. */
  LOCAL_FILE_MISSING: 'LocalFileMissing',
  /** The object version was deleted or overwritten before it could be read: nothing to process. */
  OBJECT_VERSION_GONE: 'ObjectVersionGone',
  /** A report key already holds other content. Raised before `whole-file-reports`; now a `taken` outcome. */
  REPORT_CONFLICT: 'ReportConflict',
  /** S3 refused the object (403 access denied, 301 bucket in another region): park, not a verdict. */
  OBJECT_ACCESS_REFUSED: 'ObjectAccessRefused',
  /** The status workflow has too many entries pending: retry later (back-pressure, retryable). */
  STATUS_BACKPRESSURE: 'StatusBackPressure',
  /** The integration a file names has no published record in the warehouse: a fault, retried. */
  INTEGRATION_RECORD_MISSING: 'IntegrationRecordMissing',
} as const;
