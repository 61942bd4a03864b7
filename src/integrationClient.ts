import { Client, WithStartWorkflowOperation, WorkflowNotFoundError, WorkflowUpdateFailedError } from '@temporalio/client';
import { ActivityFailure, ApplicationFailure, WorkflowIdConflictPolicy, WorkflowIdReusePolicy } from '@temporalio/common';
import { integrationWorkflowIdOf } from './domain/keys';
import type { InboundConfigInput, InboundConfigPatch } from './domain/integration/inboundConfig';
import type { OutboundConfigInput, OutboundConfigPatch } from './domain/integration/outboundConfig';
import type { integrationWorkflow } from './workflows/integrationWorkflow';
import {
  createIntegrationUpdate,
  deleteIntegrationUpdate,
  CreateIntegrationRequestV1,
  InboundIntegrationState,
  IntegrationRefusal,
  IntegrationState,
  OutboundIntegrationStateV1,
  integrationStateQuery,
  updateIntegrationUpdate,
} from './messages';

/** The entity refused a change (invalid, conflicting, deleted, ...): nothing changed. */
export class IntegrationRefusedError extends Error {
  constructor(
    readonly refusal: IntegrationRefusal | undefined,
    message: string,
  ) {
    super(message);
    this.name = 'IntegrationRefusedError';
  }
}

/** Turns an update's failure into the entity's refusal; other errors (Temporal unreachable) pass through. */
async function refusalsAsErrors<T>(run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ApplicationFailure) {
      throw new IntegrationRefusedError(err.cause.type as IntegrationRefusal | undefined, err.cause.message);
    }
    // A fault, not a refusal: the check or the publish kept failing (S3 unreachable).
    if (err instanceof WorkflowUpdateFailedError && err.cause instanceof ActivityFailure) {
      const why = err.cause.cause?.message ?? err.cause.message;
      throw new Error(`the change could not be checked or recorded in the warehouse bucket (${why}); nothing changed: try again`);
    }
    if (err instanceof WorkflowNotFoundError) throw new IntegrationRefusedError(IntegrationRefusal.NOT_FOUND, `integration "${err.workflowId?.replace(/^integration\//, '')}" does not exist`);
    throw err;
  }
}

/**
 * Creates the integration with update-with-start: the entity starts if it is not running, and
 * the create update runs on it either way, so a repeated create is refused by the entity itself.
 */
export async function createIntegration(client: Client, taskQueue: string, id: string, inbound: InboundConfigInput, actor?: string): Promise<InboundIntegrationState> {
  return (await createWithStart(client, taskQueue, id, { kind: 'inbound', inbound, actor })) as InboundIntegrationState;
}

/** An outbound integration: its entity also creates its export schedule. */
export async function createOutboundIntegration(client: Client, taskQueue: string, id: string, outbound: OutboundConfigInput, actor?: string): Promise<OutboundIntegrationStateV1> {
  return (await createWithStart(client, taskQueue, id, { kind: 'outbound', outbound, actor })) as OutboundIntegrationStateV1;
}

async function createWithStart(client: Client, taskQueue: string, id: string, request: CreateIntegrationRequestV1): Promise<IntegrationState> {
  const startWorkflowOperation = new WithStartWorkflowOperation<typeof integrationWorkflow>('integrationWorkflow', {
    workflowId: integrationWorkflowIdOf(id),
    taskQueue,
    args: [{ version: 1, id }],
    workflowIdConflictPolicy: WorkflowIdConflictPolicy.USE_EXISTING,
    // A closed entity (terminated by hand) starts again; its create is checked against the published record.
    workflowIdReusePolicy: WorkflowIdReusePolicy.ALLOW_DUPLICATE,
    memo: { integrationId: id },
  });
  return refusalsAsErrors(() => client.workflow.executeUpdateWithStart(createIntegrationUpdate, { args: [request], startWorkflowOperation }));
}

export async function updateIntegration(client: Client, id: string, inbound: InboundConfigPatch, actor?: string, expectedConfigVersion?: number): Promise<InboundIntegrationState> {
  const handle = client.workflow.getHandle<typeof integrationWorkflow>(integrationWorkflowIdOf(id));
  return (await refusalsAsErrors(() => handle.executeUpdate(updateIntegrationUpdate, { args: [{ inbound, actor, expectedConfigVersion }] }))) as InboundIntegrationState;
}

export async function updateOutboundIntegration(client: Client, id: string, outbound: OutboundConfigPatch, actor?: string, expectedConfigVersion?: number): Promise<OutboundIntegrationStateV1> {
  const handle = client.workflow.getHandle<typeof integrationWorkflow>(integrationWorkflowIdOf(id));
  return (await refusalsAsErrors(() => handle.executeUpdate(updateIntegrationUpdate, { args: [{ outbound, actor, expectedConfigVersion }] }))) as OutboundIntegrationStateV1;
}

export async function deleteIntegration(client: Client, id: string, actor?: string): Promise<IntegrationState> {
  const handle = client.workflow.getHandle<typeof integrationWorkflow>(integrationWorkflowIdOf(id));
  return refusalsAsErrors(() => handle.executeUpdate(deleteIntegrationUpdate, { args: [{ actor }] }));
}

/** The entity's state, or null when no entity of that id runs (never created, or closed by hand). */
export async function integrationState(client: Client, id: string): Promise<IntegrationState | null> {
  try {
    return await client.workflow.getHandle<typeof integrationWorkflow>(integrationWorkflowIdOf(id)).query(integrationStateQuery);
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return null;
    throw err;
  }
}
