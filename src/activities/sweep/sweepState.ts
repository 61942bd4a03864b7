import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { sweepStateKey } from '../../domain/ledgerKeys';
import { getJson } from '../../s3/s3';

/** What the sweep remembers of one integration between runs, in the warehouse bucket. */
export interface SweepStateV1 {
  version: 1;
  /** File ids seen (by a notification's workflow or by the sweep) → when the sweep first saw them, in epoch ms. */
  seen: Record<string, number>;
  /**
   * File ids seen once and not started yet → when: a file is started on its second sighting, at
   * least the grace period later, since a multipart object's LastModified is when its upload
   * began and its notification may still be on its way.
   */
  sighted?: Record<string, number>;
  /** Objects the last sweep could not take (for example a start Temporal refused), and the first error. */
  lastErrors?: { count: number; first: string };
  /** Files no notification announced, since the integration was created. */
  missedTotal: number;
  lastSweepAt?: number;
  lastMissed?: { at: number; count: number; sample: string[] };
}

const empty = (): SweepStateV1 => ({ version: 1, seen: {}, missedTotal: 0 });

export async function readSweepState(s3: S3Client, bucket: string, integrationId: string): Promise<SweepStateV1> {
  return (await getJson<SweepStateV1>(s3, bucket, sweepStateKey(integrationId))) ?? empty();
}

export async function writeSweepState(s3: S3Client, bucket: string, integrationId: string, state: SweepStateV1): Promise<void> {
  await s3.send(new PutObjectCommand({ Bucket: bucket, Key: sweepStateKey(integrationId), Body: JSON.stringify(state), ContentType: 'application/json' }));
}
