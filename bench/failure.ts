/**
 * A finding of the bench rather than a crash: counts that disagree, rows reported twice.
 * The entry point prints it as "BENCH FAILED: ..." instead of a stack trace.
 */

export class BenchFailure extends Error {}
