import { Context } from '@temporalio/activity';

const HEARTBEAT_INTERVAL_MS = 2_000;

/**
 * Heartbeats on a timer while `work` runs, so a long DuckDB query or upload is not taken
 * for a dead worker; `details()` says how far it got. Throttled by the SDK anyway.
 */
export async function whileHeartbeating<T>(details: () => unknown, work: () => Promise<T>): Promise<T> {
  const ctx = Context.current();
  ctx.heartbeat(details());
  const timer = setInterval(() => ctx.heartbeat(details()), HEARTBEAT_INTERVAL_MS);
  try {
    return await work();
  } finally {
    clearInterval(timer);
  }
}
