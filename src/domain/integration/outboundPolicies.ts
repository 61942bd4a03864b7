import { normalizePrefix } from '../keys';
import type { OutboundConfig } from './outboundConfig';
import { kmsKeyPolicy, partitionOfArn, type KmsKeyPolicy } from './policies';

/**
 * The seed's outbound snippets ("Update S3 bucket policy for Harness FME access (outbound)" and
 * "SSE_KMS support") with the customer's values filled in, in the seed's key and statement order.
 * Unlike the inbound policy, the seed writes single actions and resources as strings here, and so
 * do we, so the two read line by line against each other.
 */

export interface OutboundBucketPolicyStatement {
  Effect: 'Allow';
  Principal: { AWS: string };
  Action: string | string[];
  Resource: string;
}

export interface OutboundBucketPolicy {
  Version: '2012-10-17';
  Statement: OutboundBucketPolicyStatement[];
}

export interface OutboundPolicies {
  bucketPolicy: OutboundBucketPolicy;
  kmsKeyPolicy: KmsKeyPolicy;
}

/**
 * The seed's KMS snippet names the customer's account as the key's owner. An outbound
 * configuration holds no ARN of the customer's (inbound takes it from the topic ARN), so unless
 * the account is given, the seed's placeholder stays for the customer to fill in.
 */
export const ACCOUNT_ID_PLACEHOLDER = '{your-aws-account-id}';

/**
 * List the bucket; read, write (with the ACL grant `bucket-owner-full-control` needs) and delete
 * (re-exports remove the parts they no longer write) under the write location. An empty write
 * prefix is the bucket root: `arn:aws:s3:::{bucket}/*`, as the seed says, never `{bucket}//*`.
 */
export function outboundBucketPolicy(p: { roleArn: string; bucket: string; writePrefix: string; partition?: string }): OutboundBucketPolicy {
  const bucketArn = `arn:${p.partition ?? 'aws'}:s3:::${p.bucket}`;
  const folder = normalizePrefix(p.writePrefix);
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: p.roleArn },
        Action: 's3:ListBucket',
        Resource: bucketArn,
      },
      {
        Effect: 'Allow',
        Principal: { AWS: p.roleArn },
        Action: ['s3:GetObject', 's3:PutObject', 's3:PutObjectAcl', 's3:DeleteObject'],
        Resource: `${bucketArn}/${folder ? folder + '/' : ''}*`,
      },
    ],
  };
}

/**
 * Both snippets for one outbound integration. The partition (`aws`, `aws-cn`, `aws-us-gov`) is the
 * role's: a role is granted access only to buckets and keys in its own partition.
 */
export function outboundPolicies(config: Pick<OutboundConfig, 'bucket' | 'writePrefix'>, roleArn: string, accountId?: string): OutboundPolicies {
  const partition = partitionOfArn(roleArn);
  return {
    bucketPolicy: outboundBucketPolicy({ roleArn, bucket: config.bucket, writePrefix: config.writePrefix, partition }),
    kmsKeyPolicy: kmsKeyPolicy({ accountId: accountId ?? ACCOUNT_ID_PLACEHOLDER, roleArn, partition }),
  };
}
