import { PutBucketNotificationConfigurationCommand, PutBucketPolicyCommand, S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, GetTopicAttributesCommand, SetTopicAttributesCommand, SNSClient, SubscribeCommand } from '@aws-sdk/client-sns';
import type { InboundPolicies } from '../domain/integration/policies';

/**
 * The customer's side of the seed's inbound set-up, done with the AWS SDK against a local peer
 * (moto), in the seed's order; the integration itself is created from the CLI in between.
 */
export async function createTopic(sns: SNSClient, name: string): Promise<string> {
  return (await sns.send(new CreateTopicCommand({ Name: name }))).TopicArn!;
}

/** "Create an SNS topic", step 7: the statement is added to the topic's access policy, not replacing it. */
export async function addTopicStatement(sns: SNSClient, topicArn: string, statement: InboundPolicies['snsTopicStatement']): Promise<void> {
  const current = (await sns.send(new GetTopicAttributesCommand({ TopicArn: topicArn }))).Attributes?.Policy;
  const policy: { Statement: unknown[] } = current ? (JSON.parse(current) as { Statement: unknown[] }) : { Version: '2012-10-17', Statement: [] } as { Statement: unknown[] };
  policy.Statement.push(statement);
  await sns.send(new SetTopicAttributesCommand({ TopicArn: topicArn, AttributeName: 'Policy', AttributeValue: JSON.stringify(policy) }));
}

/** "Configure S3 event notifications": all object create events under the prefix, one rule per suffix. */
export async function notifyTopic(s3: S3Client, bucket: string, topicArn: string, prefix: string, suffixes: string[]): Promise<void> {
  await s3.send(
    new PutBucketNotificationConfigurationCommand({
      Bucket: bucket,
      NotificationConfiguration: {
        TopicConfigurations: suffixes.map((suffix) => ({
          TopicArn: topicArn,
          Events: ['s3:ObjectCreated:*'],
          Filter: { Key: { FilterRules: [{ Name: 'prefix', Value: `${prefix}/` }, { Name: 'suffix', Value: suffix }] } },
        })),
      },
    }),
  );
}

/** "Update S3 bucket policy for Harness FME access (inbound)". */
export async function putBucketPolicy(s3: S3Client, bucket: string, policy: InboundPolicies['bucketPolicy']): Promise<void> {
  await s3.send(new PutBucketPolicyCommand({ Bucket: bucket, Policy: JSON.stringify(policy) }));
}

/** "Update SNS topic subscriptions": the integration's endpoint URL (HTTPS in production; moto delivers over http). */
export async function subscribe(sns: SNSClient, topicArn: string, endpointUrl: string): Promise<void> {
  await sns.send(new SubscribeCommand({ TopicArn: topicArn, Protocol: endpointUrl.startsWith('https:') ? 'https' : 'http', Endpoint: endpointUrl }));
}
