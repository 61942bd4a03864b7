import { MetricsRegistry } from '../http/prometheus';

export { PROMETHEUS_CONTENT_TYPE } from '../http/prometheus';

/** Seconds; notification requests take milliseconds, a start waiting on Temporal up to 10 s. */
const DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

export type EndpointRoute = 'notifications' | 'healthz' | 'metrics' | 'unknown';
/** Why a signature check failed (WRONG_TOPIC is checked before the signature, and counted here too). */
export type SignatureFailure = 'foreign-certificate-host' | 'bad-signature' | 'wrong-topic';

/** The notification endpoint's series (README, "Metrics"). */
export class EndpointMetrics {
  readonly registry = new MetricsRegistry();
  readonly requests = this.registry.counter(
    'fme_endpoint_requests_total',
    "HTTP requests the endpoint answered, by route, SNS message Type ('none' when unknown) and outcome ('ok' or the answer's error code).",
    ['route', 'type', 'outcome'],
  );
  readonly duration = this.registry.histogram(
    'fme_endpoint_request_duration_seconds',
    'Time from a notification request to its answer, by outcome.',
    ['outcome'],
    DURATION_BUCKETS,
  );
  readonly signatureFailures = this.registry.counter(
    'fme_endpoint_signature_failures_total',
    'Messages refused by the SNS checks: a certificate URL not of SNS, a signature that does not match, or a topic not the integration\'s.',
    ['reason'],
  );
  readonly keysIgnored = this.registry.counter('fme_endpoint_keys_ignored_total', 'S3 event records answered 2xx but not started, by reason.', ['reason']);
  readonly files = this.registry.counter('fme_endpoint_files_total', 'File workflows the endpoint started, or found already started.', ['result']);

  constructor() {
    for (const reason of ['foreign-certificate-host', 'bad-signature', 'wrong-topic']) this.signatureFailures.init({ reason });
    for (const result of ['started', 'existing']) this.files.init({ result });
    for (const reason of ['other-bucket', 'status-folder', 'outside-filters', 'owned-by-live-integration', 'not-object-created', 'object-gone']) this.keysIgnored.init({ reason });
  }

  render(): string {
    return this.registry.render();
  }
}
