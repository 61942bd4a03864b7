import { Client, WorkflowExecutionAlreadyStartedError, WorkflowHandle } from '@temporalio/client';
import { WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { fileWorkflowIdOf, ObjectVersion } from './domain/keys';
import type { fileWorkflow, FileWorkflowTuning } from './workflows/fileWorkflow';
import { FileProgressV1, FileWorkflowInputV1, InboundIntegrationV1, progressQuery, reprocessSignal } from './workflows/messages';

export interface StartFileParams {
  object: ObjectVersion;
  originalCreationTime: number;
  integration: InboundIntegrationV1;
  reprocessWindowMs: number;
  taskQueue: string;
  tuning?: Partial<FileWorkflowTuning>;
}

export interface StartedFile {
  workflowId: string;
  /** False when a workflow for this object version already existed: the start was a no-op. */
  started: boolean;
  handle: WorkflowHandle<typeof fileWorkflow>;
}

/**
 * Starts the file workflow of one object version. The ID is derived from the version, and
 * the policies are explicit: a start while it runs joins the running one, a start after it
 * closed is rejected (within Temporal's retention). Either way nothing runs twice.
 */
export async function startFileWorkflow(client: Client, p: StartFileParams): Promise<StartedFile> {
  const workflowId = fileWorkflowIdOf(p.object);
  const input: FileWorkflowInputV1 & { tuning?: Partial<FileWorkflowTuning> } = {
    version: 1,
    object: p.object,
    originalCreationTime: p.originalCreationTime,
    integration: p.integration,
    generation: 0,
    reprocessWindowMs: p.reprocessWindowMs,
    ...(p.tuning ? { tuning: p.tuning } : {}),
  };
  try {
    const handle = await client.workflow.start<typeof fileWorkflow>('fileWorkflow', {
      workflowId,
      taskQueue: p.taskQueue,
      args: [input],
      workflowIdReusePolicy: WorkflowIdReusePolicy.REJECT_DUPLICATE,
      workflowIdConflictPolicy: WorkflowIdConflictPolicy.FAIL,
      memo: { bucket: p.object.bucket, key: p.object.key, version: p.object.version },
    });
    return { workflowId, started: true, handle };
  } catch (err) {
    if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    return { workflowId, started: false, handle: client.workflow.getHandle<typeof fileWorkflow>(workflowId) };
  }
}

export async function requestReprocess(client: Client, object: ObjectVersion, reason?: string): Promise<void> {
  await client.workflow.getHandle(fileWorkflowIdOf(object)).signal(reprocessSignal, { reason });
}

export async function fileProgress(client: Client, object: ObjectVersion): Promise<FileProgressV1> {
  return client.workflow.getHandle(fileWorkflowIdOf(object)).query(progressQuery);
}
