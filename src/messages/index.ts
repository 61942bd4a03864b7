/**
 * Everything that crosses a Temporal boundary: workflow inputs and results, signals, queries,
 * activity inputs and results, and the failure types activities raise for workflows to act on.
 * Clients, workflows and activities all import these from here, so none reaches into another.
 *
 * Versioning: these shapes are recorded in workflow histories, which must keep replaying and
 * whose running workflows must keep accepting what newer code sends. So a field is only ever
 * added as optional; a change that removes, renames or retypes a field adds a new `...V2`
 * type beside the old (and a `version` discriminant where the message has one), and the code
 * handles both for as long as histories with the old one may exist.
 *
 * Only pure types and `defineSignal`/`defineQuery` belong here: this module is bundled into
 * the workflow sandbox, so nothing with I/O and no zod.
 */
export * from './fileWorkflowMessages';
export * from './statusWorkflowMessages';
export * from './activityMessages';
export * from './failureTypes';
export * from './statusLimits';
export * from './taskQueues';
export * from './integrationMessages';
export * from './searchAttributes';
export * from './exportMessages';
