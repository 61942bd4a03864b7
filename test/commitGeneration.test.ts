import assert from 'node:assert/strict';
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createSharedActivities } from '../src/activities/sharedActivities';
import { fileIdOf, objectVersionOf, warehouseManifestKey } from '../src/domain/keys';
import { listKeys, newBucket, s3For, sharedMoto } from './support/harness';

describe('commitGeneration (moto)', () => {
  let s3: S3Client;
  let warehouse: string;

  before(async () => {
    s3 = s3For(await sharedMoto());
    warehouse = await newBucket(s3, 'commit');
  });

  it('deletes what an earlier generation stored and this one did not, and records this generation', async () => {
    const acts = createSharedActivities({ s3, client: undefined as never, taskQueue: 'q', workerTaskQueue: 'q/w', warehouse: { bucket: warehouse, prefix: 'events' } });
    const object = objectVersionOf('customer', 'in/f.parquet', undefined, 'etag');
    const fileId = fileIdOf(object);
    const put = (key: string) => s3.send(new PutObjectCommand({ Bucket: warehouse, Key: key, Body: 'x' }));
    const gen0 = ['events/environmentId=a/event_date=2024-01-01/x-c00000-p0.parquet', 'events/environmentId=b/event_date=2024-01-01/x-c00000-p0.parquet'];
    for (const k of gen0) await put(k);
    const env = new MockActivityEnvironment();
    assert.deepEqual(await env.run(acts.commitGeneration, { fileId, object, generation: 0, keys: gen0 }), { deleted: 0 });

    // Generation 1 (a corrected environment list) no longer writes env b's partition.
    const gen1 = [gen0[0]!, 'events/environmentId=a/event_date=2024-01-02/x-c00000-p0.parquet'];
    await put(gen1[1]!);
    assert.deepEqual(await env.run(acts.commitGeneration, { fileId, object, generation: 1, keys: gen1 }), { deleted: 1 });
    assert.deepEqual((await listKeys(s3, warehouse, 'events/environmentId=')).sort(), [...gen1].sort());
    const manifest = await s3.send(new GetObjectCommand({ Bucket: warehouse, Key: warehouseManifestKey('events', fileId) }));
    assert.deepEqual(JSON.parse(await manifest.Body!.transformToString()), { object, generation: 1, keys: [...gen1].sort() });

    // A rejected generation stores nothing: committing it removes every stored row.
    assert.deepEqual(await env.run(acts.commitGeneration, { fileId, object, generation: 2, keys: [] }), { deleted: 2 });
    assert.deepEqual(await listKeys(s3, warehouse, 'events/environmentId='), []);
  });
});
