import assert from 'node:assert/strict';
import type { LogLevel, LogMetadata, Logger } from '@temporalio/worker';
import { WorkerLogger } from '../../src/worker/runtimeLogger';

class Recorder implements Logger {
  lines: [LogLevel, string][] = [];
  log(level: LogLevel, message: string, _meta?: LogMetadata) {
    this.lines.push([level, message]);
  }
  trace = (m: string) => this.log('TRACE', m);
  debug = (m: string) => this.log('DEBUG', m);
  info = (m: string) => this.log('INFO', m);
  warn = (m: string) => this.log('WARN', m);
  error = (m: string) => this.log('ERROR', m);
}

describe('the worker runtime logger', () => {
  it('demotes the expected "no workflows" notice of the activity-only worker to DEBUG, and passes every other line as it is', () => {
    const inner = new Recorder();
    const logger = new WorkerLogger(inner);
    logger.warn('No workflows registered, not polling for workflow tasks');
    logger.warn('Activity failed');
    logger.error('boom');
    logger.info('started');
    assert.deepEqual(inner.lines, [
      ['DEBUG', 'No workflows registered, not polling for workflow tasks'],
      ['WARN', 'Activity failed'],
      ['ERROR', 'boom'],
      ['INFO', 'started'],
    ]);
  });
});
