import { Context } from '@temporalio/activity';

const HEARTBEAT_INTERVAL_MS = 2_000;

/**
 * Heartbeats on a timer while `work` runs, so a long DuckDB query or upload is not taken
 * for a dead worker; `details()` says how far it got. Throttled by the SDK anyway.
 * Heartbeats are also how cancellation reaches a running activity (a workflow's cancel, a
 * heartbeat or start-to-close timeout, a closed workflow): the SDK then aborts
 * `Context.current().cancellationSignal`, which `work` watches. Whatever `work` returns after
 * that is not a result (an interrupted query may look like a corrupt chunk), so it is dropped,
 * and a failure after it is reported as the cancellation (Temporal's CancelledFailure).
 */
export async function whileHeartbeating<T>(details: () => unknown, work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat(details());
  const timer = setInterval(() => ctx.heartbeat(details()), HEARTBEAT_INTERVAL_MS);
  try {
    const result = await work();
    ctx.cancellationSignal.throwIfAborted();
    return result;
  } catch (err) {
    // An aborted S3 call or interrupted query fails with its own error: report the cancellation.
    ctx.cancellationSignal.throwIfAborted();
    throw err;
  } finally {
    clearInterval(timer);
  }
}
