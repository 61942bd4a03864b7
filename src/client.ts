import { Client, Connection, WorkflowExecutionAlreadyStartedError, WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { fileWorkflowIdOf, ObjectVersion } from './domain/keys';
import { MAX_GENERATION } from './domain/entryId';
import type { Settings } from './config/settings';
import type { fileWorkflow } from './workflows/fileWorkflow';
import {
  DEFAULT_FILE_TUNING_V1,
  FileProgressV1,
  FileWorkflowInput,
  FileWorkflowTuning,
  InboundIntegrationV1,
  progressQuery,
  reprocessSignal,
  FileOutcome,
  SA_BUCKET,
  SA_INTEGRATION_ID,
  SA_OBJECT_KEY,
  SA_OUTCOME,
  SEARCH_ATTRIBUTES,
} from './messages';
import { SearchAttributeType, type SearchAttributePair } from '@temporalio/common';

export interface StartFileParams {
  object: ObjectVersion;
  originalCreationTime: number;
  /**
   * The integration's id (a V3 input: each pass reads its settings), or its settings themselves
   * (a V2 input, as before integrations were entities; kept for the core's own tests and bench).
   */
  integration: { integrationId: string } | InboundIntegrationV1;
  reprocessWindowMs: number;
  taskQueue: string;
  /** The object's size (HEAD ContentLength or the S3 event's size): admission and the small-file path weigh it. */
  objectBytes?: number;
  tuning?: Partial<FileWorkflowTuning>;
}

export interface StartedFile {
  workflowId: string;
  /** False when a workflow for this object version already existed: the start was a no-op. */
  started: boolean;
  handle: WorkflowHandle<typeof fileWorkflow>;
}

/** The start parameters a deployment's settings decide (task queue, window, chunk size, flush delay). */
export function fileWorkflowSettings(settings: Settings): Pick<StartFileParams, 'reprocessWindowMs' | 'taskQueue' | 'tuning'> {
  return {
    reprocessWindowMs: settings.REPROCESS_WINDOW,
    taskQueue: settings.TASK_QUEUE,
    tuning: {
      targetChunkRows: settings.CHUNK_TARGET_ROWS,
      statusFlushDelayMs: settings.STATUS_FLUSH_DELAY,
      statusPassWaitMs: settings.STATUS_PASS_WAIT,
      smallFileMaxBytes: settings.SMALL_FILE_MAX_BYTES,
      leaseTimeoutMs: settings.LEASE_TIMEOUT,
    },
  };
}

/**
 * Starts the file workflow of one object version. The ID is derived from the version, and
 * the policies are explicit: a start while it runs joins the running one, a start after it
 * closed is rejected (within Temporal's retention). Either way nothing runs twice.
 */
export async function startFileWorkflow(client: Client, p: StartFileParams): Promise<StartedFile> {
  const workflowId = fileWorkflowIdOf(p.object);
  try {
    const handle = await client.workflow.start<typeof fileWorkflow>('fileWorkflow', {
      workflowId,
      taskQueue: p.taskQueue,
      args: [fileInputOf(p, 0)],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      memo: { bucket: p.object.bucket, key: p.object.key, version: p.object.version, integrationId: p.integration.integrationId },
      typedSearchAttributes: fileSearchAttributes(p),
    });
    return { workflowId, started: true, handle };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return { workflowId, started: false, handle: client.workflow.getHandle<typeof fileWorkflow>(workflowId) };
  }
}

/**
 * Starts a file version at a later generation when Temporal no longer retains its runs: the
 * caller read the next generation from the warehouse's generation markers.
 */
export async function startNextGeneration(client: Client, p: StartFileParams & { generation: number; reason?: string }): Promise<ReprocessOutcome> {
  if (p.generation > MAX_GENERATION) throw new Error(`${fileWorkflowIdOf(p.object)} has used every generation an entry id can hold (${MAX_GENERATION})`);
  const workflowId = fileWorkflowIdOf(p.object);
  await client.workflow.start<typeof fileWorkflow>('fileWorkflow', {
    workflowId,
    taskQueue: p.taskQueue,
    args: [fileInputOf(p, p.generation)],
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
    memo: { bucket: p.object.bucket, key: p.object.key, version: p.object.version, integrationId: p.integration.integrationId, reason: p.reason ?? '' },
    typedSearchAttributes: fileSearchAttributes(p),
  });
  return { kind: 'next-generation', workflowId, generation: p.generation };
}

/** What the Web UI lists a file by from its start; the workflow sets outcome and invalid rows as it goes. */
function fileSearchAttributes(p: StartFileParams): SearchAttributePair[] {
  return [
    { key: SA_INTEGRATION_ID, value: p.integration.integrationId },
    { key: SA_BUCKET, value: p.object.bucket },
    { key: SA_OBJECT_KEY, value: p.object.key },
    { key: SA_OUTCOME, value: FileOutcome.PROCESSING },
  ];
}

const TYPE_NAMES: Record<string, number> = { [SearchAttributeType.KEYWORD]: 2, [SearchAttributeType.INT]: 3 };

/**
 * Registers the search attributes file workflows carry (idempotent: present ones are left
 * alone). Starts fail on a server that lacks them, so the worker and the endpoint call this at
 * start-up; a server that refuses (Temporal Cloud registers them through its own API) is left
 * to the operator, and the error says so.
 */
export async function registerSearchAttributes(connection: Pick<Connection, 'operatorService'>, namespace: string): Promise<void> {
  // The time-skipping test server does not list them: then every one is added, present or not.
  const present = await connection.operatorService
    .listSearchAttributes({ namespace })
    .then((r) => r.customAttributes ?? {}, () => ({}) as Record<string, unknown>);
  const missing = SEARCH_ATTRIBUTES.filter((a) => !(a.name in present));
  if (missing.length === 0) return;
  try {
    await connection.operatorService.addSearchAttributes({ namespace, searchAttributes: Object.fromEntries(missing.map((a) => [a.name, TYPE_NAMES[a.type]!])) });
  } catch (err) {
    // Another process registered them meanwhile.
    if (!/already exists/i.test(String((err as Error).message))) throw err;
  }
}

/**
 * Registers the search attributes, or says exactly what to register when the server refuses:
 * without them every file workflow start fails, so a process that starts files should not run.
 */
export async function requireSearchAttributes(connection: Pick<Connection, 'operatorService'>, namespace: string): Promise<void> {
  try {
    await registerSearchAttributes(connection, namespace);
  } catch (err) {
    let present: Record<string, unknown>;
    try {
      present = (await connection.operatorService.listSearchAttributes({ namespace })).customAttributes ?? {};
    } catch {
      throw err; // Temporal unreachable: not a verdict on the namespace
    }
    if (SEARCH_ATTRIBUTES.every((a) => a.name in present)) return; // registered by someone with the right to
    const wanted = SEARCH_ATTRIBUTES.map((a) => `${a.name} (${a.type === SearchAttributeType.INT ? 'Int' : 'Keyword'})`).join(', ');
    throw new SearchAttributesMissing(`the namespace "${namespace}" lacks the search attributes ${wanted}, and registering them failed (${(err as Error).message.split('\n')[0]}): register them (temporal operator search-attribute create), then start again`);
  }
}

export class SearchAttributesMissing extends Error {}

/** `temporal server start-dev` flags that register them on a dev server. */
export const DEV_SERVER_SEARCH_ATTRIBUTE_FLAGS = SEARCH_ATTRIBUTES.flatMap((a) => ['--search-attribute', `${a.name}=${a.type === SearchAttributeType.INT ? 'Int' : 'Keyword'}`]);

/** The input of a file workflow: V3 when it names its integration, V1/V2 when it carries settings. */
function fileInputOf(p: StartFileParams, generation: number): FileWorkflowInput {
  const common = {
    object: p.object,
    originalCreationTime: p.originalCreationTime,
    generation,
    reprocessWindowMs: p.reprocessWindowMs,
    // Every value in the input, so a running workflow never picks up a later default.
    tuning: { ...DEFAULT_FILE_TUNING_V1, ...p.tuning },
  };
  const objectBytes = p.objectBytes ?? 0;
  return 'environments' in p.integration
    ? p.objectBytes === undefined
      ? { version: 1, ...common, integration: p.integration }
      : { version: 2, ...common, integration: p.integration, objectBytes }
    : { version: 3, ...common, integrationId: p.integration.integrationId, objectBytes };
}

export type ReprocessOutcome = { kind: 'signalled'; workflowId: string } | { kind: 'next-generation'; workflowId: string; generation: number };

type History = Awaited<ReturnType<WorkflowHandle['fetchHistory']>>;

/** The input a run was started with, from the first event of its history. */
function startInputOf(history: History, workflowId: string): FileWorkflowInput {
  const payload = history.events?.[0]?.workflowExecutionStartedEventAttributes?.input?.payloads?.[0];
  if (!payload) throw new Error(`cannot read the input of ${workflowId}`);
  return defaultPayloadConverter.fromPayload<FileWorkflowInput>(payload);
}

/** The integration a file workflow's run names (V3) or carries (V1/V2). */
export async function integrationIdOfFile(client: Client, object: ObjectVersion): Promise<string> {
  const workflowId = fileWorkflowIdOf(object);
  const input = startInputOf(await client.workflow.getHandle(workflowId).fetchHistory(), workflowId);
  return input.version === 3 ? input.integrationId : input.integration.integrationId;
}

/**
 * Reprocesses an object version: a `reprocess` signal while its workflow is open (within the
 * reprocess window); after the window, a new run of the same workflow ID at the next generation.
 * A V3 run names its integration, so the new run reads its current settings; a V1/V2 run's
 * settings are carried over. `reservedGeneration`: the highest generation the warehouse has a
 * marker for (markers outlive Temporal's retention), so no entry id is ever reused.
 */
export async function requestReprocessOrNextGeneration(
  client: Client,
  object: ObjectVersion,
  taskQueue: string,
  reason?: string,
  reservedGeneration = -1,
): Promise<ReprocessOutcome> {
  const workflowId = fileWorkflowIdOf(object);
  const handle = client.workflow.getHandle<typeof fileWorkflow>(workflowId);
  const { status } = await handle.describe();
  if (status.name === 'RUNNING') {
    await handle.signal(reprocessSignal, { reason });
    return { kind: 'signalled', workflowId };
  }
  const history = await handle.fetchHistory();
  const previous = startInputOf(history, workflowId);
  // A failed or terminated run may have reported generations past its input's (reprocess
  // signals): the next one is above every generation any of its activities was given.
  const generation = Math.max(highestGenerationIn(history.events ?? [], previous.generation), reservedGeneration) + 1;
  if (generation > MAX_GENERATION) throw new Error(`${workflowId} has used every generation an entry id can hold (${MAX_GENERATION})`);
  await client.workflow.start<typeof fileWorkflow>('fileWorkflow', {
    workflowId,
    taskQueue,
    args: [{ ...previous, generation, carried: undefined }],
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
    memo: { bucket: object.bucket, key: object.key, version: object.version, reason: reason ?? '' },
  });
  return { kind: 'next-generation', workflowId, generation };
}

type HistoryEvents = NonNullable<History['events']>;

/** The highest `generation` (or `ctx.generation`) in any activity input of a run's history. */
function highestGenerationIn(events: HistoryEvents, floor: number): number {
  let highest = floor;
  for (const event of events) {
    for (const p of event.activityTaskScheduledEventAttributes?.input?.payloads ?? []) {
      const input = defaultPayloadConverter.fromPayload<{ generation?: unknown; ctx?: { generation?: unknown } }>(p);
      for (const g of [input?.generation, input?.ctx?.generation]) if (typeof g === 'number' && g > highest) highest = g;
    }
  }
  return highest;
}

export async function requestReprocess(client: Client, object: ObjectVersion, reason?: string): Promise<void> {
  await client.workflow.getHandle(fileWorkflowIdOf(object)).signal(reprocessSignal, { reason });
}

export async function fileProgress(client: Client, object: ObjectVersion): Promise<FileProgressV1> {
  return client.workflow.getHandle(fileWorkflowIdOf(object)).query(progressQuery);
}
