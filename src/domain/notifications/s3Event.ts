import { z } from 'zod';

/** One record of an S3 event notification; only what a file's identity needs. */
const recordSchema = z.object({
  eventName: z.string(),
  eventTime: z.string(),
  s3: z.object({
    bucket: z.object({ name: z.string().min(1) }),
    object: z.object({
      key: z.string().min(1),
      size: z.number().int().nonnegative().optional(),
      eTag: z.string().optional(),
      versionId: z.string().optional(),
      sequencer: z.string().optional(),
    }),
  }),
});

/** What S3 posts to the topic: records, or the test event it sends when notifications are set up. */
export const s3EventMessageSchema = z.union([
  z.object({ Records: z.array(recordSchema) }),
  z.object({ Event: z.literal('s3:TestEvent'), Bucket: z.string().optional() }),
]);
export type S3EventMessage = z.infer<typeof s3EventMessageSchema>;
export type S3EventRecord = z.infer<typeof recordSchema>;

/** The key as stored: S3 event keys are URL-encoded with `+` for a space. */
export function decodeS3EventKey(key: string): string {
  return decodeURIComponent(key.replace(/\+/g, ' '));
}

/** An object-creation record (PUT, POST, COPY, multipart completion); other events are not files to take. */
export const isObjectCreated = (r: S3EventRecord) => r.eventName.startsWith('ObjectCreated:');

/** The record's creation time in epoch ms, or undefined when it cannot be read. */
export function eventTimeMs(r: S3EventRecord): number | undefined {
  const t = Date.parse(r.eventTime);
  return Number.isFinite(t) ? t : undefined;
}
