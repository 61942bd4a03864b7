import { MetricsRegistry } from '../http/prometheus';

/** Seconds; a 30,000-impression post takes a fraction of a second, the deadline caps it at seconds. */
const DURATION_BUCKETS = [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type IntakeRouteLabel = 'bulk' | 'count' | 'healthz' | 'metrics' | 'unknown';

/** The impression intake's series (README, "Metrics"). */
export class IntakeMetrics {
  readonly registry = new MetricsRegistry();
  readonly requests = this.registry.counter(
    'fme_intake_requests_total',
    "HTTP requests the intake answered, by route and outcome ('ok' or the answer's error code).",
    ['route', 'outcome'],
  );
  readonly duration = this.registry.histogram(
    'fme_intake_request_duration_seconds',
    'Time from an impression post\'s arrival to its answer, by route.',
    ['route'],
    DURATION_BUCKETS,
  );
  readonly impressions = this.registry.counter(
    'fme_intake_impressions_total',
    "Impressions stored (route 'bulk') and count rows stored (route 'count'), by the SDK's impressions mode.",
    ['route', 'mode'],
  );

  constructor() {
    for (const route of ['bulk', 'count']) this.requests.init({ route, outcome: 'ok' });
  }

  render(): string {
    return this.registry.render();
  }
}
