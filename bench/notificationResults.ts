/** Targets and tables of the notification figures (f) and (g). */
import { renderTable } from './format';
import type { NotificationResults } from './notifications';
import type { Target } from './results';

export const NOTIFICATION_TARGETS = {
  /** p99 of the endpoint at 100 notifications/s (bare starts alone measured p99 27 ms here). */
  endpointP99At100MaxMs: 100,
  s3ToReportMaxSeconds: 3,
};

export function evaluateNotificationTargets(r: NotificationResults): Target[] {
  const at100 = r.latency.find((l) => l.perSec === 100);
  return [
    ...(at100
      ? [
          {
            name: '(f) endpoint p99 at 100 notifications/s',
            target: `< ${NOTIFICATION_TARGETS.endpointP99At100MaxMs} ms`,
            measured: `${at100.endpoint.p99Ms} ms (bare starts ${at100.bareStarts.p99Ms} ms; ${at100.endpoint.errors} errors)`,
            pass: at100.endpoint.p99Ms < NOTIFICATION_TARGETS.endpointP99At100MaxMs && at100.endpoint.errors === 0,
          },
        ]
      : []),
    {
      name: `(g) upload to report through S3 -> SNS, ${r.s3ToReport.rows / 1e3}k rows`,
      target: `≤ ${NOTIFICATION_TARGETS.s3ToReportMaxSeconds} s`,
      measured: `${r.s3ToReport.medianSeconds.toFixed(2)} s (median of ${r.s3ToReport.runsSeconds.join(', ')})`,
      pass: r.s3ToReport.medianSeconds <= NOTIFICATION_TARGETS.s3ToReportMaxSeconds,
    },
  ];
}

export function printNotifications(r: NotificationResults): void {
  console.log(`\n(f) Endpoint latency: signed notifications (one S3 record each) through the endpoint process, against bare starts from the bench, open loop, in-memory dev server, no worker`);
  console.log(
    renderTable(
      ['per second', 'what', 'requests', 'achieved/s', 'errors', 'p50 (ms)', 'p99 (ms)', 'max (ms)'],
      r.latency.flatMap((l) =>
        (['endpoint', 'bareStarts'] as const).map((what) => {
          const s = l[what];
          return [String(l.perSec), what === 'endpoint' ? 'endpoint' : 'bare starts', String(s.requests), String(s.achievedPerSec), String(s.errors), String(s.p50Ms), String(s.p99Ms), String(s.maxMs)];
        }),
      ),
    ),
  );
  console.log(`\n(g) Upload to report through moto's S3 -> SNS -> endpoint -> worker, default settings: ${r.s3ToReport.runsSeconds.map((s) => s.toFixed(2)).join(', ')} s (median ${r.s3ToReport.medianSeconds.toFixed(2)} s)`);
}
