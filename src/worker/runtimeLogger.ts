import { DefaultLogger, LogLevel, LogMetadata, Logger, Runtime } from '@temporalio/worker';

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

/** Installs the runtime with our logger; call once, before the first connection. */
export function installWorkerRuntime(level: LogLevel): void {
  Runtime.install({ logger: new WorkerLogger(new DefaultLogger(level)) });
}
