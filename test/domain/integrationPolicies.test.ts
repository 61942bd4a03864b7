import assert from 'node:assert/strict';
import { assertSameAsSeed, blockAfter, fill } from '../support/seed';
import { inboundBucketPolicy, inboundPolicies, kmsKeyPolicy, snsTopicAccessStatement } from '../../src/domain/integration/policies';


const roleArn = 'arn:aws:iam::999988887777:role/fme-s3';
const topicArn = 'arn:aws:sns:us-east-1:123456789012:fme-events';
const bucket = 'my_bucket';

describe('integration policies', () => {
  const bucketTemplate = blockAfter('### Update S3 bucket policy for Harness FME access (inbound)');
  const snsTemplate = blockAfter('### Create an SNS topic');
  const kmsTemplate = blockAfter('### SSE_KMS support');

  it('the inbound bucket policy is the seed\'s with role, bucket, file and status folders filled in', () => {
    const text = fill(bucketTemplate, { '{role-ARN}': roleArn, '{bucketName}': bucket, '{filePrefix}': 'events/in', '{statusPrefix}': 'my_statuses' });
    assertSameAsSeed(inboundBucketPolicy({ roleArn, bucket, prefix: 'events/in', statusPrefix: 'my_statuses' }), text);
  });

  it('an empty file prefix grants the whole bucket as arn:aws:s3:::{bucket}/*, never {bucket}//*', () => {
    const text = fill(bucketTemplate.replace('{bucketName}/{filePrefix}/*', '{bucketName}/*'), {
      '{role-ARN}': roleArn,
      '{bucketName}': bucket,
      '{statusPrefix}': 'my_statuses',
    });
    const policy = inboundBucketPolicy({ roleArn, bucket, prefix: '', statusPrefix: 'my_statuses' });
    assertSameAsSeed(policy, text);
    assert.deepEqual(policy.Statement[0]!.Resource, [`arn:aws:s3:::${bucket}`, `arn:aws:s3:::${bucket}/*`]);
  });

  it('the SNS statement is the seed\'s with the topic, the topic\'s account and the bucket ARN filled in', () => {
    const text = fill(snsTemplate, { '{YourSNSTopicARN}': topicArn, '{YourAwsAccountID}': '123456789012', '{YourBucketArn}': `arn:aws:s3:::${bucket}` });
    assertSameAsSeed(snsTopicAccessStatement({ topicArn, bucket }), text);
    assertSameAsSeed(snsTopicAccessStatement({ topicArn, accountId: '123456789012', bucket }), text);
  });

  it('the KMS key policy is the seed\'s, both statements, with the customer\'s account and our role', () => {
    const text = fill(kmsTemplate, { '{your-aws-account-id}': '123456789012', '{role-ARN-to-be-provided-to-you-by-FME}': roleArn });
    assertSameAsSeed(kmsKeyPolicy({ accountId: '123456789012', roleArn }), text);
  });

  it('inboundPolicies fills all three from a configuration, the account taken from the topic ARN', () => {
    const config = { bucket, prefix: 'events', statusPrefix: 'my_statuses', topicArn };
    const all = inboundPolicies(config, roleArn);
    assert.deepStrictEqual(all, {
      bucketPolicy: inboundBucketPolicy({ roleArn, bucket, prefix: 'events', statusPrefix: 'my_statuses' }),
      snsTopicStatement: snsTopicAccessStatement({ topicArn, accountId: '123456789012', bucket }),
      kmsKeyPolicy: kmsKeyPolicy({ accountId: '123456789012', roleArn }),
    });
    assert.equal(all.kmsKeyPolicy.Statement[0]!.Principal.AWS, 'arn:aws:iam::123456789012:root');
  });

  it('a topic in another partition (aws-cn) gives ARNs in that partition', () => {
    const all = inboundPolicies({ bucket, prefix: '', statusPrefix: 'st', topicArn: 'arn:aws-cn:sns:cn-north-1:123456789012:t' }, roleArn);
    assert.deepStrictEqual(all.bucketPolicy.Statement[0]!.Resource, [`arn:aws-cn:s3:::${bucket}`, `arn:aws-cn:s3:::${bucket}/*`]);
    assert.equal(all.snsTopicStatement.Condition.ArnLike['aws:SourceArn'], `arn:aws-cn:s3:::${bucket}`);
    assert.equal(all.kmsKeyPolicy.Statement[0]!.Principal.AWS, 'arn:aws-cn:iam::123456789012:root');
  });
});
