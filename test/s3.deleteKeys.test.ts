import assert from 'node:assert/strict';
import { DeleteObjectsCommand, S3Client } from '@aws-sdk/client-s3';
import { deleteKeys, KeysNotDeletedError } from '../src/s3/s3';

/** A client whose DeleteObjects answers 200 with per-key errors, as S3 does for denied keys. */
function clientAnswering(errors: { Key: string; Code: string; Message: string }[]): { s3: S3Client; batches: number[] } {
  const batches: number[] = [];
  const s3 = { send: async (cmd: DeleteObjectsCommand) => (batches.push(cmd.input.Delete!.Objects!.length), { Errors: errors }) } as unknown as S3Client;
  return { s3, batches };
}

describe('deleteKeys', () => {
  it('throws when DeleteObjects answers 200 but could not delete some keys, so the caller retries instead of forgetting them', async () => {
    const { s3 } = clientAnswering([{ Key: 'a', Code: 'AccessDenied', Message: 'Access Denied' }]);
    await assert.rejects(deleteKeys(s3, 'b', ['a', 'c']), (err: unknown) => err instanceof KeysNotDeletedError && /1 of 2 keys not deleted, e.g. a \(AccessDenied/.test(err.message));
  });

  it('deletes in batches of 1,000 and is quiet when every key went', async () => {
    const { s3, batches } = clientAnswering([]);
    await deleteKeys(s3, 'b', Array.from({ length: 2_500 }, (_, i) => `k${i}`));
    assert.deepEqual(batches, [1000, 1000, 500]);
  });
});
