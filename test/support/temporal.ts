import { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { TEMPORAL_CLI, TEMPORAL_TEST_SERVER } from './paths';
import { SEARCH_ATTRIBUTES } from '../../src/messages';
import { registerSearchAttributes } from '../../src/client';

let local: Promise<TestWorkflowEnvironment> | undefined;
let bundle: Promise<WorkflowBundleWithSourceMap> | undefined;

/** One real Temporal dev server (CLI 1.9.1, server 1.32) shared by the whole test run. */
export function localTemporal(): Promise<TestWorkflowEnvironment> {
  local ??= TestWorkflowEnvironment.createLocal({
    server: { executable: { type: 'existing-path', path: TEMPORAL_CLI }, log: { format: 'pretty', level: 'error' }, searchAttributes: SEARCH_ATTRIBUTES },
  });
  return local;
}

/** A time-skipping test server; it ignores the dev server's flag, so the attributes are added through the operator service. */
export async function timeSkippingTemporal(): Promise<TestWorkflowEnvironment> {
  const env = await TestWorkflowEnvironment.createTimeSkipping({ server: { executable: { type: 'existing-path', path: TEMPORAL_TEST_SERVER } } });
  await registerSearchAttributes(env.connection, env.namespace ?? 'default');
  return env;
}

/** The workflow bundle, built once per run. */
export function workflowBundle(): Promise<WorkflowBundleWithSourceMap> {
  bundle ??= bundleWorkflowCode({ workflowsPath: require.resolve('../../src/workflows'), logger: quietLogger });
  return bundle;
}

const noop = () => undefined;
const quietLogger = { trace: noop, debug: noop, info: noop, warn: noop, error: console.error, log: noop };

export async function stopLocalTemporal(): Promise<void> {
  if (!local) return;
  const env = await local;
  local = undefined;
  await env.teardown();
}
