import { runCli } from '../cli/main';
import { windowFolder } from '../domain/export/exportKeys';
import { MINUTE_MS } from '../domain/export/windows';
import { minuteOf } from '../domain/impressions/intakeKeys';

export const OUTBOUND_ID = 'demo-impressions';
export const EXPORT_PREFIX = 'impressions';

/** Where the window of impressions received at `receivedAt` appears, and when its run starts (its end plus the settle delay). */
export function exportOf(receivedAt: number, settleMs: number): { folder: string; expectedAt: number } {
  const start = minuteOf(receivedAt);
  return { folder: windowFolder(EXPORT_PREFIX, { start }), expectedAt: start + MINUTE_MS + settleMs };
}

/**
 * The outbound half's set-up as an operator does it: `cli export create` for the demo bucket,
 * every minute, under `impressions/` (outside the inbound demo's `events/` and `status/`).
 * Created before the demo impressions are posted, so the window they arrive in is one it runs.
 */
export async function createDemoExport(bucket: string, environmentId: string): Promise<{ scheduleId: string }> {
  let out = '';
  let err = '';
  const code = await runCli(
    ['export', 'create', '--id', OUTBOUND_ID, '--bucket', bucket, '--environments', environmentId, '--write-prefix', EXPORT_PREFIX, '--compression', 'snappy', '--interval', '1', '--json'],
    { out: (t) => void (out += t), err: (t) => void (err += t) },
  );
  if (code !== 0) throw new Error(`export create failed (${code}): ${err}`);
  return { scheduleId: (JSON.parse(out) as { scheduleId: string }).scheduleId };
}
