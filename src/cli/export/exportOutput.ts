import type { ExportWindow } from '../../domain/export/windows';
import { exportScheduleIdOf } from '../../domain/keys';
import { ACCOUNT_ID_PLACEHOLDER, outboundPolicies, type OutboundPolicies } from '../../domain/integration/outboundPolicies';
import type { ExportScheduleView } from '../../exportClient';
import type { OutboundIntegrationStateV1 } from '../../messages';

/** What the customer needs after a create, or a change of bucket or write prefix. */
export interface ExportSetup {
  integration: OutboundIntegrationStateV1;
  roleArn: string;
  policies: OutboundPolicies;
  /** The Temporal Schedule that runs the exports, as `temporal schedule list` shows it. */
  scheduleId: string;
}

export function exportSetupOf(state: OutboundIntegrationStateV1, roleArn: string, accountId?: string): ExportSetup {
  return { integration: state, roleArn, policies: outboundPolicies(state.outbound, roleArn, accountId), scheduleId: exportScheduleIdOf(state.id) };
}

/** A window as JSON shows it: readable and exact. */
export interface WindowView {
  start: string;
  end: string;
  startMs: number;
  endMs: number;
}
export const windowView = (w: ExportWindow): WindowView => ({ start: iso(w.start), end: iso(w.end), startMs: w.start, endMs: w.end });

export const iso = (ms: number) => new Date(ms).toISOString();
const json = (value: unknown) => JSON.stringify(value, null, 2);
const indent = (text: string) => text.replace(/^/gm, '  ');
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

export const windowText = (w: ExportWindow) => `[${iso(w.start)}, ${iso(w.end)})`;

/** How long, in words: `3h 05m`, `42s`. */
export function durationText(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h ${String(m).padStart(2, '0')}m`;
  if (h > 0) return `${h}h ${String(m).padStart(2, '0')}m`;
  if (m > 0) return `${m}m ${String(s % 60).padStart(2, '0')}s`;
  return `${s}s`;
}

export function describeExport(s: OutboundIntegrationStateV1): string {
  const o = s.outbound;
  return [
    `id:               ${s.id}${s.deletedAt !== undefined ? `  (DELETED ${iso(s.deletedAt)})` : ''}`,
    `kind:             ${s.kind}`,
    `version:          ${s.configVersion} (created ${iso(s.createdAt)}, updated ${iso(s.updatedAt)})`,
    `bucket:           ${o.bucket} (${o.region})`,
    `write prefix:     ${o.writePrefix || '(bucket root)'}`,
    `format:           ${o.format}, ${o.compression}`,
    `environments:     ${o.environments.join(', ')}`,
    `interval:         every ${plural(o.intervalMinutes, 'minute')}`,
    `schedule:         ${exportScheduleIdOf(s.id)}`,
  ].join('\n') + '\n';
}

export function describeIntervals(s: OutboundIntegrationStateV1): string {
  const lines = s.intervals.map((p, i) => `  from ${iso(p.fromMs)}: every ${plural(p.intervalMinutes, 'minute')}${i === s.intervals.length - 1 ? '  (now)' : ''}`);
  return `interval history:\n${lines.join('\n')}\n`;
}

/** The seed's outbound steps with this integration's values filled in. */
export function describeExportSetup(setup: ExportSetup): string {
  const o = setup.integration.outbound;
  return [
    `Role ARN: ${setup.roleArn}`,
    '',
    `1. Bucket policy (outbound) of ${o.bucket}, write location ${o.writePrefix ? `${o.writePrefix}/` : 'the bucket root'} (if the bucket has a policy already, add these statements to it):`,
    indent(json(setup.policies.bucketPolicy)),
    '',
    `2. Only if the bucket uses SSE-KMS: make sure the key policy includes:`,
    indent(json(setup.policies.kmsKeyPolicy)),
    ...(json(setup.policies.kmsKeyPolicy).includes(ACCOUNT_ID_PLACEHOLDER) ? [`  (${ACCOUNT_ID_PLACEHOLDER} is the customer's: give --account-id to fill it in)`] : []),
    '',
  ].join('\n');
}

export function describeSchedule(v: ExportScheduleView | undefined): string {
  if (!v) return `schedule:         none (the integration was deleted, or its schedule removed by hand)\n`;
  const lines = [
    `schedule state:   ${v.paused ? `PAUSED${v.note ? ` (${v.note})` : ''}: its windows are skipped; backfill them with \`cli export backfill\`` : 'running'}`,
    `schedule spec:    every ${v.intervalMinutes ?? '?'} min, offset ${v.offsetMs === undefined ? '?' : durationText(v.offsetMs)}; overlap ${v.overlap}; ${plural(v.actionsTaken, 'run')} so far`,
    `next runs:        ${v.nextRunTimes.length ? v.nextRunTimes.slice(0, 3).join(', ') : '(none)'}`,
  ];
  if (v.runningWorkflows.length) lines.push(`running:          ${v.runningWorkflows.map((r) => r.workflowId).join(', ')}`);
  lines.push(v.recentRuns.length ? 'recent runs:' : 'recent runs:      (none)');
  for (const r of v.recentRuns.slice(-5)) lines.push(`  nominal ${r.scheduledAt}, started ${r.takenAt}: ${r.workflowId}`);
  return lines.join('\n') + '\n';
}

/** Consecutive windows as ranges, so a long gap is one line. */
export function windowRanges(windows: readonly ExportWindow[]): string[] {
  const out: string[] = [];
  let run: ExportWindow[] = [];
  const flush = () => {
    if (run.length === 0) return;
    out.push(run.length === 1 ? windowText(run[0]!) : `[${iso(run[0]!.start)}, ${iso(run.at(-1)!.end)}): ${run.length} windows`);
    run = [];
  };
  for (const w of windows) {
    if (run.length > 0 && run.at(-1)!.end !== w.start) flush();
    run.push(w);
  }
  flush();
  return out;
}
