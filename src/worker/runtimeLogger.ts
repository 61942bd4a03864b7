import { DefaultLogger, LogLevel, LogMetadata, Logger, Runtime } from '@temporalio/worker';
import { ConfigError } from '../config/settings';
import { METRIC_HISTOGRAM_BUCKETS } from '../activities/activityMetrics';

/**
 * Notices the SDK raises at WARN for a set-up we chose on purpose. The worker-specific queue
 * has a worker with activities only, so "no workflows" is how it is meant to be, and a WARN
 * on every start teaches operators to ignore warnings.
 */
const EXPECTED_NOTICES = new Set(['No workflows registered, not polling for workflow tasks']);

/** The Temporal runtime's logger, with the expected notices demoted to DEBUG. */
export class WorkerLogger implements Logger {
  constructor(private readonly inner: Logger) {}

  log(level: LogLevel, message: string, meta?: LogMetadata): void {
    const demoted = level === 'WARN' && EXPECTED_NOTICES.has(message);
    this.inner.log(demoted ? 'DEBUG' : level, message, meta);
  }
  trace(message: string, meta?: LogMetadata): void {
    this.log('TRACE', message, meta);
  }
  debug(message: string, meta?: LogMetadata): void {
    this.log('DEBUG', message, meta);
  }
  info(message: string, meta?: LogMetadata): void {
    this.log('INFO', message, meta);
  }
  warn(message: string, meta?: LogMetadata): void {
    this.log('WARN', message, meta);
  }
  error(message: string, meta?: LogMetadata): void {
    this.log('ERROR', message, meta);
  }
}

/**
 * Installs the runtime with our logger; call once, before the first connection. With
 * `metricsAddress` (host:port; setting WORKER_METRICS_ADDRESS) the runtime serves Prometheus
 * metrics on http://<address>/metrics: Temporal's own (`temporal_*`) and our activities' (`fme_*`).
 * An address that cannot be bound stops the worker with a message naming the setting.
 */
export function installWorkerRuntime(level: LogLevel, metricsAddress?: string): void {
  const logger = new WorkerLogger(new DefaultLogger(level));
  if (!metricsAddress) {
    Runtime.install({ logger });
    return;
  }
  try {
    Runtime.install({
      logger,
      telemetryOptions: { metrics: { prometheus: { bindAddress: metricsAddress, histogramBucketOverrides: METRIC_HISTOGRAM_BUCKETS } } },
    });
  } catch (err) {
    throw new ConfigError(
      `cannot serve the worker's metrics on ${metricsAddress} (${err instanceof Error ? err.message : String(err)}): set WORKER_METRICS_ADDRESS to a free host:port, or to the empty string to turn them off`,
    );
  }
}
