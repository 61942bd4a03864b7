import { randomUUID } from 'node:crypto';
import { join } from 'node:path';
import { Context } from '@temporalio/activity';
import type { DuckDBConnection } from '../parquet/duckdb';
import { isResourceFault } from '../parquet/resourceFault';
import { firstLine } from '../parquet/validateChunk';

/**
 * What one attempt of a file activity needs to behave as one attempt: Temporal may start a retry
 * while a timed-out attempt still runs on this worker (its cancellation arrives with its next
 * heartbeat), so an attempt writes only to paths of its own and stops once it is cancelled.
 */

/**
 * Throws the activity's CancelledFailure once it is cancelled (by the workflow, a timeout or
 * worker shutdown). Called between steps and before every upload, so a cancelled attempt stops
 * writing; and after a step whose result a cancellation may have spoiled (an interrupted DuckDB
 * query reads like a corrupt chunk), so that result is never returned as a verdict.
 */
export function throwIfCancelled(): void {
  Context.current().cancellationSignal.throwIfAborted();
}

/** A directory name of this attempt's own under `parent`: `<what>-a<attempt>-<random>`. */
export function attemptDir(parent: string, what: string): string {
  return join(parent, `${what}-a${Context.current().info.attempt}-${randomUUID().slice(0, 8)}`);
}

/**
 * Runs a DuckDB step on `conn`, interrupting the query when the activity is cancelled, so a
 * long validation or staging COPY stops at once instead of running (and writing) to its end.
 */
export async function interruptible<T>(conn: DuckDBConnection, step: () => Promise<T>): Promise<T> {
  const signal = Context.current().cancellationSignal;
  const interrupt = () => conn.interrupt();
  signal.addEventListener('abort', interrupt, { once: true });
  try {
    return await step();
  } finally {
    signal.removeEventListener('abort', interrupt);
  }
}

/**
 * Runs `step`, and when it fails for want of disk, memory or file handles (isResourceFault),
 * says so in the log before rethrowing: the attempt fails and Temporal retries it, and the file
 * gets no entry from this fault. Other failures pass through unchanged.
 */
export async function machineFaultsRetried<T>(what: string, step: () => Promise<T>): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (isResourceFault(err)) logMachineFault(what, err);
    throw err;
  }
}

export function logMachineFault(what: string, err: unknown): void {
  Context.current().log.warn(`machine fault while ${what}: this worker is out of disk, memory or file handles; the attempt fails and Temporal retries it (the file is not judged by it)`, {
    step: what,
    error: firstLine(err),
  });
}
