/**
 * Parameters of the bench (sizes, threads, runs, delays) and the targets its figures are held to.
 * See docs/BENCHMARKS.md for what each figure means.
 */
import { join } from 'node:path';
import { loadSettings, Settings } from '../src/config/settings';
import { PROJECT_ROOT } from '../src/dev/venv';

export const OUT_DIR = join(PROJECT_ROOT, 'bench', 'out');
export const BIG_ROWS = 10_000_000;
export const SMALL_ROWS = 100_000;
export const ENVIRONMENTS = ['env-a', 'env-b', 'env-c'];
export const DUCKDB_THREADS = 2;
export const RUNS = 3;
export const REPORT_POLL_MS = 100;
export const RSS_SAMPLE_MS = 200;
export const UPLOAD_PART_BYTES = 16 * 1024 * 1024;
export const GIB = 1024 ** 3;
/** Defaults of every setting, untouched by this shell's environment. */
export const DEFAULTS: Settings = loadSettings({});
/** Status flush delay of the bench's file workflows: the production default. */
export const STATUS_FLUSH_DELAY_MS = DEFAULTS.STATUS_FLUSH_DELAY;

/** `--burst N`: rows of each burst file, uploads and workflow queries in flight at once. */
export const BURST_ROWS = 1_000;
export const BURST_UPLOAD_CONCURRENCY = 16;
export const BURST_QUERY_CONCURRENCY = 16;
/** The kill-recovery figure kills the worker once the 10M-row file's progress shows this many chunks done. */
export const KILL_AFTER_CHUNKS = 2;

export const TARGETS = {
  oursVsBaselineMaxRatio: 2,
  e2eBigMinRowsPerSec: 1_000_000,
  e2eSmallMaxSeconds: 2,
  statusMinEntriesPerSec: 1_000,
  workerPeakRssMaxBytes: GIB,
};

/** Targets of `--burst N` (issue 11, "Done when"). */
export const BURST_TARGETS = {
  burstMaxWorkerRestarts: 0,
  burstMaxFailures: 0,
  burstMinFilesPerSec: 10,
  killRecoveryMaxSeconds: 45,
};
