import { WorkflowNotFoundError } from '@temporalio/client';
import { isS3Error } from '../s3/s3';

const DEMO_HINT = 'against the `npm start` demo, paste the environment it printed';

/**
 * One line a user can act on for an operational failure, without a stack trace: what failed
 * and which setting to look at.
 */
export function describeFailure(err: unknown, env: NodeJS.ProcessEnv = process.env): string {
  if (!(err instanceof Error)) return String(err);
  if (err.name === 'CredentialsProviderError') {
    return `no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or AWS_PROFILE); ${DEMO_HINT}`;
  }
  if (err instanceof WorkflowNotFoundError) {
    return `no file workflow for this object version (${err.workflowId ?? 'unknown id'}): start it with \`cli process\``;
  }
  if (isS3Error(err, 'NotFound', 'NoSuchKey', 'NoSuchBucket', '404')) {
    return `S3 has no such object or bucket (${err.name}); check --bucket, --key and --version-id, and S3_ENDPOINT (${env.S3_ENDPOINT ?? 'AWS'})`;
  }
  if (isS3Error(err, 'InvalidAccessKeyId', 'SignatureDoesNotMatch', 'AccessDenied', '403')) {
    return `S3 refused the request (${err.name}): check the AWS credentials; ${DEMO_HINT}`;
  }
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || /ECONNREFUSED|ENOTFOUND/.test(err.message)) {
    return `cannot reach S3 at ${env.S3_ENDPOINT ?? 'AWS'}: set S3_ENDPOINT (and S3_FORCE_PATH_STYLE=true for moto or MinIO); ${DEMO_HINT} (${err.message})`;
  }
  if (/Failed to connect|connect(ion)? (refused|error|timed out)|UNAVAILABLE|DEADLINE_EXCEEDED/i.test(err.message)) {
    return `cannot reach Temporal at ${env.TEMPORAL_ADDRESS ?? 'localhost:7233'}: set TEMPORAL_ADDRESS; ${DEMO_HINT} (${err.message.split('\n')[0]})`;
  }
  return `${err.name}: ${err.message.split('\n')[0]}`;
}
