import { proxyActivities } from '@temporalio/workflow';
import type { SweepActivities } from '../activities/sweep/sweepActivities';
import type { SweepIntegrationInputV1, SweepIntegrationResultV1 } from '../messages';

const sweeps = proxyActivities<SweepActivities>({
  // A large bucket lists for a while; the heartbeat shows it is alive.
  startToCloseTimeout: '30 minutes',
  heartbeatTimeout: '1 minute',
  retry: { initialInterval: '5s', maximumInterval: '1 minute', maximumAttempts: 5 },
});

/**
 * One sweep of one integration's bucket, started by the integration's schedule. A sweep that
 * fails (S3 down) is simply the next schedule run's work: it remembers nothing half-done.
 */
export async function sweepWorkflow(input: SweepIntegrationInputV1): Promise<SweepIntegrationResultV1> {
  return sweeps.sweepIntegration(input);
}
