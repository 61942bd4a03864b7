import { Command } from 'commander';
import { findGaps } from '../../domain/export/gaps';
import { describeExportSchedule, type ExportScheduleView } from '../../exportClient';
import type { OutboundIntegrationStateV1 } from '../../messages';
import { s3ClientPool } from '../../s3/s3';
import { deployment, type Deployment } from '../deployment';
import { ExitCode, UsageError } from '../exitCodes';
import { describeFailure } from '../failureMessages';
import type { CommandContext } from '../program';
import { parseId } from './exportArgs';
import { ExportBucket } from './exportBucket';
import { durationText, iso, plural, windowRanges, windowView, type WindowView } from './exportOutput';

/** One outbound integration's exports, as `export status` reports them. */
export interface ExportStatus {
  integrationId: string;
  location: string;
  intervalMinutes: number;
  settleMs: number;
  /** Null when the schedule could not be found. */
  schedule: { paused: boolean; nextRunTime: string | null } | null;
  /** The complete window (with `_SUCCESS`) that ends last, from its manifest. */
  lastComplete: (WindowView & { rows: number; duplicatesDropped: number; parts: number; exportedAt: string }) | null;
  /** Now minus the end of the last complete window. */
  lagMs: number | null;
  /** The windows owed since the creation (rounded up to the interval) that are due by now. */
  checked: { windows: number; from: string | null; through: string | null };
  /** Owed windows no complete window covers. */
  missing: WindowView[];
  /** Set when the bucket could not be read: the rest is unknown. */
  error?: string;
}

async function statusOf(d: Deployment, state: OutboundIntegrationStateV1, schedule: ExportScheduleView | undefined, now: number): Promise<ExportStatus> {
  const o = state.outbound;
  const bucket = new ExportBucket(s3ClientPool(d.settings, d.s3)(o.region), o);
  const settleMs = schedule?.settleMs ?? d.settings.EXPORT_SETTLE_DELAY;
  const status: ExportStatus = {
    integrationId: state.id,
    location: bucket.location,
    intervalMinutes: o.intervalMinutes,
    settleMs,
    schedule: schedule ? { paused: schedule.paused, nextRunTime: schedule.nextRunTimes[0] ?? null } : null,
    lastComplete: null,
    lagMs: null,
    checked: { windows: 0, from: null, through: null },
    missing: [],
  };
  try {
    const gaps = await findGaps({
      history: state.intervals,
      createdAt: state.createdAt,
      settleMs,
      // A deleted integration owes nothing after its deletion.
      now: Math.min(now, state.deletedAt ?? now),
      completeStarts: await bucket.completeStarts(),
      manifestEnd: async (start) => (await bucket.manifest(start))?.window.endMs,
    });
    for (const w of [...gaps.complete].sort((a, b) => b.start - a.start)) {
      const m = await bucket.manifest(w.start);
      if (!m) continue;
      const last = { start: m.window.startMs, end: m.window.endMs };
      status.lastComplete = { ...windowView(last), rows: m.rows, duplicatesDropped: m.duplicatesDropped, parts: m.parts.length, exportedAt: m.exportedAt };
      status.lagMs = now - last.end;
      break;
    }
    status.checked = { windows: gaps.expected.length, from: gaps.expected[0] ? iso(gaps.expected[0].start) : null, through: gaps.expected.at(-1) ? iso(gaps.expected.at(-1)!.end) : null };
    status.missing = gaps.missing.map(windowView);
  } catch (err) {
    status.error = describeFailure(err);
  }
  return status;
}

function statusText(s: ExportStatus): string {
  const schedule = s.schedule ? (s.schedule.paused ? 'PAUSED (its windows are skipped)' : `running, next run ${s.schedule.nextRunTime ?? '(none)'}`) : 'NOT FOUND';
  const lines = [`${s.integrationId}  ${s.location}  every ${s.intervalMinutes} min  schedule ${schedule}`];
  if (s.error) return [...lines, `  error:                ${s.error}`].join('\n') + '\n';
  const last = s.lastComplete;
  lines.push(`  last complete window: ${last ? `[${last.start}, ${last.end}): ${plural(last.rows, 'row')} in ${last.parts} part${last.parts === 1 ? '' : 's'} (exported ${last.exportedAt})` : '(none yet)'}`);
  lines.push(`  lag:                  ${s.lagMs === null ? '(nothing exported yet)' : durationText(s.lagMs)}`);
  const checked = s.checked.windows === 0 ? 'no window due yet' : `${s.checked.windows} window${s.checked.windows === 1 ? '' : 's'} due, [${s.checked.from}, ${s.checked.through})`;
  lines.push(`  gap check:            ${checked}: ${s.missing.length === 0 ? 'none missing' : `${s.missing.length} MISSING (backfill them with \`cli export backfill\`)`}`);
  const ranges = windowRanges(s.missing.map((w) => ({ start: w.startMs, end: w.endMs })));
  for (const r of ranges.slice(0, 20)) lines.push(`    ${r}`);
  if (ranges.length > 20) lines.push(`    ... and ${ranges.length - 20} more ranges (see --json)`);
  return lines.join('\n') + '\n';
}

export function statusCommand(ctx: CommandContext): Command {
  return new Command('status')
    .description('per outbound integration: the last complete window, its rows, the lag, and the windows the gap check finds missing')
    .option('--integration <id>', 'only this outbound integration', parseId)
    .option('--json', 'print the result as JSON')
    .action(async (o: { integration?: string; json?: boolean }) => {
      const d = deployment();
      let states: OutboundIntegrationStateV1[];
      if (o.integration) {
        const state = await d.integrations.read(o.integration);
        if (!state) throw new UsageError(`no integration "${o.integration}" (see \`cli integration list\`)`);
        if (state.kind !== 'outbound') throw new UsageError(`integration "${o.integration}" is inbound: see \`cli integration show --id ${o.integration}\``);
        states = [state];
      } else {
        states = (await d.integrations.list()).filter((s): s is OutboundIntegrationStateV1 => s.kind === 'outbound' && s.deletedAt === undefined);
      }
      const schedules = await d.withClient(async (client) => Promise.all(states.map((s) => describeExportSchedule(client, s.id))));
      const now = Date.now();
      const statuses: ExportStatus[] = [];
      for (const [i, s] of states.entries()) statuses.push(await statusOf(d, s, schedules[i], now));
      if (o.json) ctx.out(JSON.stringify(statuses, null, 2) + '\n');
      else ctx.out(statuses.length === 0 ? 'no outbound integrations\n' : statuses.map(statusText).join('\n'));
      // A bucket that could not be read is an operational failure, reported after the others.
      if (statuses.some((s) => s.error)) ctx.exitWith(ExitCode.OPERATIONAL);
    });
}
