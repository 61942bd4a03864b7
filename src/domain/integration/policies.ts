import { normalizePrefix } from '../keys';
import { accountOfTopicArn, type InboundConfig } from './inboundConfig';

/**
 * The seed's policy snippets with the customer's values filled in. Key and statement order follow
 * the seed, so what we print reads line by line against the documentation the customer follows.
 */

export interface BucketPolicyStatement {
  Effect: 'Allow';
  Principal: { AWS: string };
  Action: string[];
  Resource: string[];
}

export interface BucketPolicy {
  Version: '2012-10-17';
  Statement: BucketPolicyStatement[];
}

export interface SnsTopicStatement {
  Sid: string;
  Effect: 'Allow';
  Principal: { Service: string };
  Action: string;
  Resource: string;
  Condition: {
    StringEquals: { 'aws:SourceAccount': string };
    ArnLike: { 'aws:SourceArn': string };
  };
}

export interface KmsKeyPolicyStatement {
  Sid: string;
  Effect: 'Allow';
  Principal: { AWS: string };
  Action: string | string[];
  Resource: string;
}

export interface KmsKeyPolicy {
  Version: '2012-10-17';
  Id: string;
  Statement: KmsKeyPolicyStatement[];
}

export interface InboundPolicies {
  bucketPolicy: BucketPolicy;
  snsTopicStatement: SnsTopicStatement;
  kmsKeyPolicy: KmsKeyPolicy;
}

/** The ARN partition (`aws`, `aws-cn`, `aws-us-gov`): the seed shows `aws`, the customer's topic ARN says which. */
export const partitionOfArn = (arn: string) => arn.split(':')[1] || 'aws';

const bucketArn = (bucket: string, partition = 'aws') => `arn:${partition}:s3:::${bucket}`;

/** Objects under a folder; the bucket root has no folder, and `{bucket}//*` would match nothing. */
const objectsArn = (bucket: string, folder: string, partition?: string) => {
  const f = normalizePrefix(folder);
  return `${bucketArn(bucket, partition)}/${f ? f + '/' : ''}*`;
};

/** Read the files, write the reports (with the ACL grant that `bucket-owner-full-control` needs). */
export function inboundBucketPolicy(p: { roleArn: string; bucket: string; prefix: string; statusPrefix: string; partition?: string }): BucketPolicy {
  return {
    Version: '2012-10-17',
    Statement: [
      {
        Effect: 'Allow',
        Principal: { AWS: p.roleArn },
        Action: ['s3:Get*', 's3:List*'],
        Resource: [bucketArn(p.bucket, p.partition), objectsArn(p.bucket, p.prefix, p.partition)],
      },
      {
        Effect: 'Allow',
        Principal: { AWS: p.roleArn },
        Action: ['s3:PutObject', 's3:PutObjectAcl'],
        Resource: [objectsArn(p.bucket, p.statusPrefix, p.partition)],
      },
    ],
  };
}

/**
 * The statement the customer adds to the topic's access policy. The source account is the
 * bucket owner's; in the seed's setup the customer owns both bucket and topic, hence the default
 * from the topic ARN.
 */
export function snsTopicAccessStatement(p: { topicArn: string; accountId?: string; bucket: string }): SnsTopicStatement {
  return {
    Sid: 'S3 Events Notification',
    Effect: 'Allow',
    Principal: { Service: 's3.amazonaws.com' },
    Action: 'SNS:Publish',
    Resource: p.topicArn,
    Condition: {
      StringEquals: { 'aws:SourceAccount': p.accountId ?? accountOfTopicArn(p.topicArn) },
      ArnLike: { 'aws:SourceArn': bucketArn(p.bucket, partitionOfArn(p.topicArn)) },
    },
  };
}

/** Only for SSE-KMS buckets: the customer's account keeps the key, our role may use it. */
export function kmsKeyPolicy(p: { accountId: string; roleArn: string; partition?: string }): KmsKeyPolicy {
  return {
    Version: '2012-10-17',
    Id: 'cross-account-policy',
    Statement: [
      {
        Sid: 'KMSOwner',
        Effect: 'Allow',
        Principal: { AWS: `arn:${p.partition ?? 'aws'}:iam::${p.accountId}:root` },
        Action: 'kms:*',
        Resource: '*',
      },
      {
        Sid: 'KMSCrossAccount',
        Effect: 'Allow',
        Principal: { AWS: p.roleArn },
        Action: ['kms:DescribeKey', 'kms:GenerateDataKey', 'kms:Decrypt'],
        Resource: '*',
      },
    ],
  };
}

export function inboundPolicies(
  config: Pick<InboundConfig, 'bucket' | 'prefix' | 'statusPrefix' | 'topicArn'>,
  roleArn: string,
): InboundPolicies {
  const accountId = accountOfTopicArn(config.topicArn);
  const partition = partitionOfArn(config.topicArn);
  return {
    bucketPolicy: inboundBucketPolicy({ roleArn, bucket: config.bucket, prefix: config.prefix, statusPrefix: config.statusPrefix, partition }),
    snsTopicStatement: snsTopicAccessStatement({ topicArn: config.topicArn, accountId, bucket: config.bucket }),
    kmsKeyPolicy: kmsKeyPolicy({ accountId, roleArn, partition }),
  };
}
