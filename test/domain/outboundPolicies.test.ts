import assert from 'node:assert/strict';
import { assertSameAsSeed, blockAfter, fill, headingLine, SEED_LINES } from '../support/seed';
import { ACCOUNT_ID_PLACEHOLDER, outboundBucketPolicy, outboundPolicies } from '../../src/domain/integration/outboundPolicies';
import { kmsKeyPolicy } from '../../src/domain/integration/policies';


const BUCKET_HEADING = '### Update S3 bucket policy for Harness FME access (outbound)';
const roleArn = 'arn:aws:iam::999988887777:role/fme-s3';
const bucket = 'my_bucket';
const ROLE = '{role-ARN-to-be-provided-to-you-by-FME}';

/**
 * The seed's own instruction for a blank write location, in its Markdown: the line it says to
 * change, ` > `, the line to change it to (escaped colons and braces, typographic quotes).
 */
function rootReplacement(): { from: string; to: string } {
  const at = SEED_LINES.findIndex((l, i) => i > headingLine(BUCKET_HEADING) && l.includes('you must update the following line'));
  assert.notEqual(at, -1, 'the seed says how to write to the bucket root');
  const text = SEED_LINES[at + 1]!.replace(/\\(.)/g, '$1').replace(/[“”]/g, '"');
  const m = /"Resource": "([^"]+)" > "Resource": "([^"]+)"/.exec(text);
  assert.ok(m, `the replacement in ${SEED_LINES[at + 1]}`);
  return { from: m[1]!, to: m[2]! };
}

describe('outbound policies', () => {
  const bucketTemplate = blockAfter(BUCKET_HEADING);
  const kmsTemplate = blockAfter('### SSE_KMS support');

  it('the outbound bucket policy is the seed\'s with role, bucket and write prefix filled in', () => {
    const text = fill(bucketTemplate, { [ROLE]: roleArn, '{bucketName}': bucket, '{writeLocationPrefix}': 'exports/impressions' });
    assertSameAsSeed(outboundBucketPolicy({ roleArn, bucket, writePrefix: 'exports/impressions' }), text);
    assertSameAsSeed(outboundPolicies({ bucket, writePrefix: 'exports/impressions' }, roleArn).bucketPolicy, text);
  });

  it('an empty write prefix grants arn:aws:s3:::{bucket}/*, the line the seed says to use for the bucket root', () => {
    const { from, to } = rootReplacement();
    assert.equal(from, 'arn:aws:s3:::{bucketName}/{writeLocationPrefix}/*');
    assert.equal(to, 'arn:aws:s3:::{bucketName}/*');
    assert.ok(bucketTemplate.includes(from));
    const text = fill(bucketTemplate.replace(from, to), { [ROLE]: roleArn, '{bucketName}': bucket });
    const policy = outboundPolicies({ bucket, writePrefix: '' }, roleArn).bucketPolicy;
    assertSameAsSeed(policy, text);
    assert.equal(policy.Statement[1]!.Resource, `arn:aws:s3:::${bucket}/*`);
  });

  it('the write prefix is normalised: no leading, trailing or doubled slashes in the resource', () => {
    assert.equal(outboundBucketPolicy({ roleArn, bucket, writePrefix: '/exports/' }).Statement[1]!.Resource, `arn:aws:s3:::${bucket}/exports/*`);
    assert.equal(outboundBucketPolicy({ roleArn, bucket, writePrefix: '/' }).Statement[1]!.Resource, `arn:aws:s3:::${bucket}/*`);
  });

  it('the KMS key policy is the seed\'s, both statements, with the customer\'s account and our role', () => {
    const text = fill(kmsTemplate, { '{your-aws-account-id}': '123456789012', [ROLE]: roleArn });
    const policies = outboundPolicies({ bucket, writePrefix: 'exports' }, roleArn, '123456789012');
    assertSameAsSeed(policies.kmsKeyPolicy, text);
    assert.deepStrictEqual(policies.kmsKeyPolicy, kmsKeyPolicy({ accountId: '123456789012', roleArn }));
  });

  it('without the customer\'s account, the KMS policy keeps the seed\'s placeholder for it', () => {
    const text = fill(kmsTemplate, { [ROLE]: roleArn });
    const { kmsKeyPolicy: policy } = outboundPolicies({ bucket, writePrefix: 'exports' }, roleArn);
    assert.deepStrictEqual(policy, JSON.parse(text));
    assert.equal(JSON.stringify(policy), JSON.stringify(JSON.parse(text)));
    assert.equal(policy.Statement[0]!.Principal.AWS, `arn:aws:iam::${ACCOUNT_ID_PLACEHOLDER}:root`);
  });

  it('a role in another partition (aws-cn, aws-us-gov) gives bucket and account ARNs in that partition', () => {
    for (const partition of ['aws-cn', 'aws-us-gov']) {
      const role = `arn:${partition}:iam::999988887777:role/fme-s3`;
      const all = outboundPolicies({ bucket, writePrefix: 'exports' }, role, '123456789012');
      assert.equal(all.bucketPolicy.Statement[0]!.Resource, `arn:${partition}:s3:::${bucket}`);
      assert.equal(all.bucketPolicy.Statement[1]!.Resource, `arn:${partition}:s3:::${bucket}/exports/*`);
      assert.equal(all.bucketPolicy.Statement[0]!.Principal.AWS, role);
      assert.equal(all.kmsKeyPolicy.Statement[0]!.Principal.AWS, `arn:${partition}:iam::123456789012:root`);
      assert.equal(all.kmsKeyPolicy.Statement[1]!.Principal.AWS, role);
    }
  });
});
