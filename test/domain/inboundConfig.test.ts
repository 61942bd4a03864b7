import assert from 'node:assert/strict';
import {
  accountOfTopicArn,
  describeIssues,
  inboundConfigSchema,
  InboundConfigInput,
  integrationIdSchema,
} from '../../src/domain/integration/inboundConfig';

const input = (o: Partial<InboundConfigInput> = {}): InboundConfigInput => ({
  environments: ['env-1'],
  bucket: 'my_bucket',
  region: 'us-east-1',
  topicArn: 'arn:aws:sns:us-east-1:123456789012:fme-events',
  statusPrefix: 'my_statuses',
  ...o,
});

function refusal(o: Partial<InboundConfigInput>): string {
  const result = inboundConfigSchema.safeParse(input(o));
  assert.equal(result.success, false, 'refused');
  return describeIssues(result.error!);
}

describe('inboundConfig', () => {
  it('a valid configuration parses with the whole bucket and any suffix by default', () => {
    assert.deepEqual(inboundConfigSchema.parse(input()), {
      environments: ['env-1'],
      bucket: 'my_bucket',
      region: 'us-east-1',
      prefix: '',
      suffixes: [],
      topicArn: 'arn:aws:sns:us-east-1:123456789012:fme-events',
      statusPrefix: 'my_statuses',
    });
  });

  it('strips slashes around folders and sorts and deduplicates suffixes', () => {
    const c = inboundConfigSchema.parse(input({ prefix: '/events/in/', statusPrefix: '/status/', suffixes: ['.parquet', '.gz', '.parquet'] }));
    assert.equal(c.prefix, 'events/in');
    assert.equal(c.statusPrefix, 'status');
    assert.deepEqual(c.suffixes, ['.gz', '.parquet']);
  });

  it('deduplicates environments, keeping their order', () => {
    assert.deepEqual(inboundConfigSchema.parse(input({ environments: ['b', 'a', 'b'] })).environments, ['b', 'a']);
  });

  it('refuses a topic in another region than the bucket, naming topicArn', () => {
    const message = refusal({ topicArn: 'arn:aws:sns:eu-west-1:123456789012:fme-events' });
    assert.match(message, /^topicArn: .*us-east-1.*eu-west-1/);
  });

  it('refuses an empty status folder, the root included', () => {
    assert.match(refusal({ statusPrefix: '' }), /^statusPrefix: /);
    assert.match(refusal({ statusPrefix: '/' }), /^statusPrefix: /);
  });

  it('refuses folders with empty segments, no environments and empty suffixes', () => {
    assert.match(refusal({ prefix: 'a//b' }), /^prefix: /);
    assert.match(refusal({ environments: [] }), /^environments: /);
    assert.match(refusal({ suffixes: [''] }), /^suffixes\.0: /);
  });

  it('integration ids are lowercase letters, digits and dashes, starting with a letter or digit, at most 63 long', () => {
    for (const ok of ['a', 'events-1', '0abc', 'a'.repeat(63)]) assert.equal(integrationIdSchema.safeParse(ok).success, true, ok);
    for (const bad of ['', '-a', 'Events', 'a_b', 'a b', 'a/b', 'a'.repeat(64)]) assert.equal(integrationIdSchema.safeParse(bad).success, false, bad);
  });

  it('accountOfTopicArn reads the account from the topic ARN', () => {
    assert.equal(accountOfTopicArn('arn:aws:sns:us-east-1:123456789012:fme-events'), '123456789012');
  });
});
