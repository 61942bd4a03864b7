import { parseArgs } from 'node:util';
import { HeadObjectCommand } from '@aws-sdk/client-s3';
import { Client, Connection } from '@temporalio/client';
import { loadSettings, Settings } from './config';
import { createS3Client } from './s3';
import { objectVersionOf, ObjectVersion } from './domain/keys';
import { fileProgress, fileWorkflowSettings, requestReprocessOrNextGeneration, startFileWorkflow } from './client';

/** A command-line mistake: the CLI prints it with the usage and exits 2. */
export class UsageError extends Error {}

const OBJECT_OPTIONS = {
  bucket: { type: 'string' },
  key: { type: 'string' },
  'version-id': { type: 'string' },
} as const;

async function withClient<T>(settings: Settings, fn: (client: Client) => Promise<T>): Promise<T> {
  const connection = await Connection.connect({ address: settings.TEMPORAL_ADDRESS });
  try {
    return await fn(new Client({ connection, namespace: settings.TEMPORAL_NAMESPACE }));
  } finally {
    await connection.close();
  }
}

function required(values: Record<string, string | boolean | undefined>, name: string): string {
  const v = values[name];
  if (typeof v !== 'string' || v.trim() === '') throw new UsageError(`--${name} is required`);
  return v;
}

/** Looks the object up in S3: its version (versionId, else ETag) and creation time. */
async function headObject(settings: Settings, bucket: string, key: string, versionId?: string): Promise<{ object: ObjectVersion; createdAt: number }> {
  const head = await createS3Client(settings).send(new HeadObjectCommand({ Bucket: bucket, Key: key, VersionId: versionId }));
  return { object: objectVersionOf(bucket, key, head.VersionId ?? versionId, head.ETag), createdAt: (head.LastModified ?? new Date()).getTime() };
}

/** `process`: starts the file workflow for an object already in the bucket (a notification that never came). */
export async function processCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({
    args,
    options: { ...OBJECT_OPTIONS, environments: { type: 'string' }, 'status-prefix': { type: 'string' }, 'integration-id': { type: 'string' } },
  });
  const bucket = required(values, 'bucket');
  const key = required(values, 'key');
  const environments = required(values, 'environments').split(',').map((s) => s.trim()).filter(Boolean);
  const statusPrefix = required(values, 'status-prefix');
  const settings = loadSettings();
  const { object, createdAt } = await headObject(settings, bucket, key, values['version-id']);
  const started = await withClient(settings, (client) =>
    startFileWorkflow(client, {
      object,
      originalCreationTime: createdAt,
      integration: { integrationId: values['integration-id'] ?? 'cli', environments, statusPrefix },
      ...fileWorkflowSettings(settings),
    }),
  );
  console.log(`${started.started ? 'started' : 'already known (no-op)'}: ${started.workflowId}`);
  return 0;
}

/** `reprocess`: signals the file workflow, or after its window starts the next generation. */
export async function reprocessCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: { ...OBJECT_OPTIONS, reason: { type: 'string' } } });
  const settings = loadSettings();
  const { object } = await headObject(settings, required(values, 'bucket'), required(values, 'key'), values['version-id']);
  const outcome = await withClient(settings, (client) => requestReprocessOrNextGeneration(client, object, settings.TASK_QUEUE, values.reason));
  console.log(outcome.kind === 'signalled' ? `reprocess signalled: ${outcome.workflowId}` : `started generation ${outcome.generation}: ${outcome.workflowId}`);
  return 0;
}

/** `progress`: prints the file workflow's progress query as JSON. */
export async function progressCommand(args: string[]): Promise<number> {
  const { values } = parseArgs({ args, options: OBJECT_OPTIONS });
  const settings = loadSettings();
  const { object } = await headObject(settings, required(values, 'bucket'), required(values, 'key'), values['version-id']);
  const progress = await withClient(settings, (client) => fileProgress(client, object));
  console.log(JSON.stringify(progress, null, 2));
  return 0;
}
