import { Command } from 'commander';
import type { CommandContext } from '../program';
import { keyCommand } from './keyCommands';
import { loadCommand } from './loadCommand';

/** `intake`: SDK keys, and loading impression files into the warehouse. */
export function intakeCommand(ctx: CommandContext): Command {
  return new Command('intake').description('the impression intake: SDK keys and backfills').addCommand(keyCommand(ctx)).addCommand(loadCommand(ctx));
}
