/** The CLI's exit codes; `cli --help` and the README list them. */
export const ExitCode = {
  /** Done; for `validate`, every entry is valid. */
  OK: 0,
  /** `validate` found invalid rows or an invalid file: the data is at fault, not the tool. */
  INVALID_DATA: 1,
  /** The command line or the environment's settings are wrong; nothing was done. */
  USAGE: 2,
  /** Something outside the data failed (Temporal or S3 unreachable, credentials, a missing workflow). */
  OPERATIONAL: 3,
} as const;
export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];

export const EXIT_CODES_HELP = `Exit codes:
  0  done (validate: every entry valid)
  1  invalid data (validate: some entry invalid)
  2  usage error: a wrong command line or setting; nothing was done
  3  operational failure: Temporal or S3 unreachable, credentials, missing workflow`;

/** A mistake in the command line found after commander parsed it: exit 2 with the command's usage. */
export class UsageError extends Error {}

/** An operational failure with a message the user can act on: exit 3, no stack trace. */
export class OperationalError extends Error {}
