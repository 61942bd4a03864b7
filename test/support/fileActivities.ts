import { Readable } from 'node:stream';
import { DeleteObjectsCommand, GetObjectCommand, ListObjectsV2Command, PutObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DefaultLogger, LogEntry } from '@temporalio/worker';
import { MockActivityEnvironment } from '@temporalio/testing';

/** A PutObject as the fake S3 received it. */
export interface RecordedPut {
  key: string;
  body: Buffer;
}

export interface FakeS3 {
  s3: S3Client;
  puts: RecordedPut[];
  /** Abort signals the activity passed with each send, in order. */
  signals: (AbortSignal | undefined)[];
}

/**
 * Just enough of S3 for the file activities, in memory: PutObject records the body (read whole),
 * ListObjectsV2 finds nothing, DeleteObjects deletes nothing, GetObject answers `getBody`.
 * `beforePut` runs before a put is recorded: tests use it to cancel or interleave attempts.
 */
export function fakeS3(opts: { beforePut?: (key: string) => Promise<void> | void; getBody?: () => Buffer } = {}): FakeS3 {
  const puts: RecordedPut[] = [];
  const signals: (AbortSignal | undefined)[] = [];
  const send = async (command: unknown, options?: { abortSignal?: AbortSignal }) => {
    signals.push(options?.abortSignal);
    if (command instanceof PutObjectCommand) {
      const key = command.input.Key!;
      await opts.beforePut?.(key);
      const chunks: Buffer[] = [];
      const body = command.input.Body;
      if (typeof body === 'string' || body instanceof Uint8Array) chunks.push(Buffer.from(body));
      else for await (const c of body as Readable) chunks.push(c as Buffer);
      puts.push({ key, body: Buffer.concat(chunks) });
      return {};
    }
    if (command instanceof ListObjectsV2Command) return { Contents: [] };
    if (command instanceof DeleteObjectsCommand) return { Deleted: [] };
    if (command instanceof GetObjectCommand && opts.getBody) return { Body: Readable.from([opts.getBody()]) };
    throw new Error(`fake S3: unexpected ${(command as object).constructor.name}`);
  };
  return { s3: { send } as unknown as S3Client, puts, signals };
}

/** A MockActivityEnvironment for attempt `attempt` whose log lines are kept in `logs`. */
export function activityEnvironment(attempt = 1): { env: MockActivityEnvironment; logs: LogEntry[] } {
  const logs: LogEntry[] = [];
  const env = new MockActivityEnvironment({ attempt }, { logger: new DefaultLogger('DEBUG', (entry) => logs.push(entry)) });
  return { env, logs };
}
