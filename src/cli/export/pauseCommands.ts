import { Command } from 'commander';
import { pausedAtOfNote, pauseNote, skippedNominals } from '../../domain/export/gaps';
import { exportScheduleIdOf } from '../../domain/keys';
import { backfillExport } from '../../exportClient';
import { deployment } from '../deployment';
import { UsageError } from '../exitCodes';
import type { CommandContext } from '../program';
import { exportScheduleOrFail, outboundStateOrFail, parseId } from './exportArgs';
import { iso } from './exportOutput';

const INBOUND_HINT = 'only outbound integrations export';

export function pauseCommand(ctx: CommandContext): Command {
  return new Command('pause')
    .description("pause an outbound integration's export schedule: its windows are skipped until `export resume` backfills them")
    .requiredOption('--integration <id>', 'the outbound integration id', parseId)
    .option('--reason <text>', 'why, kept in the schedule (the Web UI shows it)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { integration: string; reason?: string; json?: boolean }) => {
      const d = deployment();
      await outboundStateOrFail(d, o.integration, INBOUND_HINT);
      const schedule = await exportScheduleOrFail(d, o.integration);
      if (schedule.paused) throw new UsageError(`the export schedule of "${o.integration}" is already paused`);
      const pausedAt = Date.now();
      await d.withClient((client) => client.schedule.getHandle(exportScheduleIdOf(o.integration)).pause(pauseNote(pausedAt, o.reason)));
      if (o.json) ctx.out(JSON.stringify({ integrationId: o.integration, paused: true, pausedAt }, null, 2) + '\n');
      else ctx.out(`paused ${schedule.scheduleId} at ${iso(pausedAt)}: its windows are skipped until \`cli export resume --integration ${o.integration}\` backfills them\n`);
    });
}

export function resumeCommand(ctx: CommandContext): Command {
  return new Command('resume')
    .description('resume a paused export schedule and backfill the windows it skipped while paused')
    .requiredOption('--integration <id>', 'the outbound integration id', parseId)
    .option('--no-backfill', 'resume without exporting the skipped windows (`export backfill` can, later)')
    .option('--json', 'print the result as JSON')
    .action(async (o: { integration: string; backfill: boolean; json?: boolean }) => {
      const d = deployment();
      const state = await outboundStateOrFail(d, o.integration, INBOUND_HINT);
      const schedule = await exportScheduleOrFail(d, o.integration);
      if (!schedule.paused) throw new UsageError(`the export schedule of "${o.integration}" is not paused`);
      await d.withClient((client) => client.schedule.getHandle(exportScheduleIdOf(o.integration)).unpause(`resumed at ${iso(Date.now())}`));
      // Taken once the schedule runs again: a run due while unpausing is backfilled (a re-run only replaces its window).
      const resumedAt = Date.now();
      const pausedAt = pausedAtOfNote(schedule.note);
      const settleMs = schedule.settleMs ?? d.settings.EXPORT_SETTLE_DELAY;
      const interval = schedule.intervalMinutes ?? state.outbound.intervalMinutes;
      // Paused by other means (the Web UI): since when is unknown, so nothing is guessed.
      const nominals = o.backfill && pausedAt !== undefined ? skippedNominals(pausedAt, resumedAt, settleMs, interval) : [];
      if (nominals.length > 0) await d.withClient((client) => backfillExport(client, o.integration, nominals, interval));
      const windows = nominals.map((n) => ({ start: n - settleMs - interval * 60_000, end: n - settleMs }));
      if (o.json) return ctx.out(JSON.stringify({ integrationId: o.integration, resumedAt, pausedAt: pausedAt ?? null, backfilled: windows }, null, 2) + '\n');
      ctx.out(`resumed ${schedule.scheduleId}${pausedAt !== undefined ? ` (paused since ${iso(pausedAt)})` : ''}\n`);
      if (pausedAt === undefined && o.backfill) ctx.out('it was not paused by `export pause`, so the skipped range is unknown: backfill it with `export backfill`\n');
      else if (windows.length > 0) ctx.out(`backfilling the ${windows.length} window${windows.length === 1 ? '' : 's'} skipped meanwhile, from ${iso(windows[0]!.start)} to ${iso(windows.at(-1)!.end)}\n`);
      else if (o.backfill) ctx.out('no window was skipped meanwhile\n');
    });
}
