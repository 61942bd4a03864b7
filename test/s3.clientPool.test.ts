import assert from 'node:assert/strict';
import { createS3Client, s3ClientPool } from '../src/s3/s3';

describe('S3 clients per region', () => {
  const settings = { AWS_REGION: 'us-east-1', S3_ENDPOINT: undefined, S3_FORCE_PATH_STYLE: false };

  it("gives the deployment's own client for its region and when no region is named", async () => {
    const home = createS3Client(settings);
    const pool = s3ClientPool(settings, home);
    assert.equal(pool(), home);
    assert.equal(pool('us-east-1'), home);
  });

  it('makes one client per other region, addressed in that region, and reuses it', async () => {
    const pool = s3ClientPool(settings);
    const eu = pool('eu-west-1');
    assert.equal(await eu.config.region(), 'eu-west-1');
    assert.equal(pool('eu-west-1'), eu);
    assert.notEqual(pool('ap-south-1'), eu);
  });
});
