import { ApplicationFailure } from '@temporalio/activity';
import type { ObjectVersion } from '../domain/keys';
import { FailureType } from '../messages';
import { isS3Error } from '../s3/s3';

/**
 * What a failed read of the customer's object means. Gone (deleted or overwritten): nothing
 * to process. Refused (403 access denied, 301 bucket in another region): the file is parked,
 * never judged. Anything else is a fault to retry.
 */
export function classifyObjectReadError(err: unknown, object: ObjectVersion): unknown {
  const where = `s3://${object.bucket}/${object.key} version ${object.version}`;
  if (isS3Error(err, 'NoSuchKey', 'NoSuchVersion', 'PreconditionFailed', '412', '404')) {
    return ApplicationFailure.nonRetryable(`${where} no longer exists`, FailureType.OBJECT_VERSION_GONE);
  }
  if (isS3Error(err, 'AccessDenied', 'PermanentRedirect', 'AuthorizationHeaderMalformed', '403', '301')) {
    const name = err instanceof Error ? err.name : 'refused';
    return ApplicationFailure.nonRetryable(`${where}: S3 refused the read (${name})`, FailureType.OBJECT_ACCESS_REFUSED);
  }
  return err;
}
