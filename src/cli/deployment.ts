import { HeadObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { loadSettings, Settings } from '../config/settings';
import { createS3Client, s3ClientPool } from '../s3/s3';
import { objectVersionOf, ObjectVersion } from '../domain/keys';
import { IntegrationStore } from '../activities/integrations/integrationStore';
import { FileLedger } from '../activities/integrations/fileLedger';
import { SdkKeyStore } from '../s3/sdkKeyStore';

/** Talks to a running deployment: Temporal and S3 as the environment's settings say. */
export interface Deployment {
  settings: Settings;
  s3: S3Client;
  /** What integration entities publish in the warehouse bucket. */
  integrations: IntegrationStore;
  /** Generation markers and the content ledger in the warehouse bucket. */
  fileLedger: FileLedger;
  /** The impression intake's SDK keys. */
  sdkKeys: SdkKeyStore;
  withClient<T>(fn: (client: Client) => Promise<T>): Promise<T>;
  /** The object's version (versionId, else ETag), creation time and size, from a HEAD request. */
  headObject(bucket: string, key: string, versionId?: string, region?: string): Promise<{ object: ObjectVersion; createdAt: number; bytes: number }>;
}

export function deployment(env: NodeJS.ProcessEnv = process.env): Deployment {
  const settings = loadSettings(env);
  const s3 = createS3Client(settings);
  const s3ForRegion = s3ClientPool(settings, s3);
  return {
    settings,
    s3,
    integrations: new IntegrationStore(s3, settings.WAREHOUSE_BUCKET),
    fileLedger: new FileLedger(s3, settings.WAREHOUSE_BUCKET),
    sdkKeys: new SdkKeyStore(s3, settings.WAREHOUSE_BUCKET),
    async withClient(fn) {
      const connection = await Connection.connect({ address: settings.TEMPORAL_ADDRESS, connectTimeout: '10s' });
      try {
        return await fn(new Client({ connection, namespace: settings.TEMPORAL_NAMESPACE }));
      } finally {
        await connection.close();
      }
    },
    async headObject(bucket, key, versionId, region) {
      const head = await s3ForRegion(region).send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
      return {
        object: objectVersionOf(bucket, key, head.VersionId ?? versionId, head.ETag),
        createdAt: (head.LastModified ?? new Date()).getTime(),
        bytes: head.ContentLength ?? 0,
      };
    },
  };
}
