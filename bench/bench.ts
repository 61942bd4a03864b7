/**
 * `npm run bench`: throughput and latency of the inbound path, printed as a table and written
 * to bench/out/results.json. See docs/BENCHMARKS.md for what each figure means.
 *
 *   (a) rows/s of validateLocalFile (the code the CLI and the activities run) on a local 10M-row file
 *   (b) rows/s of one set-based DuckDB query doing the same checks: the baseline (a) is held to
 *   (c) seconds from "upload completed" to "reports covering every row can be listed", through
 *       a Temporal dev server, moto and the worker as a separate process (10M rows and 100k rows)
 *   (d) the worker process's peak RSS
 *   (e) sustained status entries per second through one status workflow
 *
 * This file runs the figures in order and writes the results; the figures are in
 * localValidation.ts (a, b) and endToEnd.ts (c, d), the targets and tables in results.ts.
 *
 *   (f) the notification endpoint's latency at 100 and 200 signed notifications/s, beside bare starts
 *   (g) seconds from upload to report through moto's S3 -> SNS -> endpoint -> worker (notifications.ts)
 *   (h) the impression intake (its own process, moto as the warehouse): impressions/s accepted and
 *       durable, and p50/p99 latency of a 30,000-impression POST, at 4 and 8 closed-loop clients
 *       (intake.ts; targets and table in intakeResults.ts)
 *   (i) export formats: writeExportParts on a window of 10M impressions in every format and
 *       compression, beside one DuckDB COPY of the same rows (exportFormats.ts; exportResults.ts)
 *
 * `npm run bench -- --burst N` runs only the burst figures instead (issue 11), written to
 * bench/out/results-burst.json: N files of 1,000 rows at once (burst.ts), and a worker killed
 * mid-file and replaced (killRecovery.ts). `npm run bench -- --notifications` runs only (f) and
 * (g), written to bench/out/results-notifications.json. `npm run bench -- --intake` runs only (h),
 * written to bench/out/results-intake.json; `--intake-seconds N` shortens (h)'s runs (default 20 s).
 * `npm run bench -- --export` runs only (i), written to bench/out/results-export.json;
 * `--export-rows N` shortens its window (default 10,000,000 impressions).
 */
// Figure (i) runs writeExportParts in this process: libuv's pool is sized as the worker sizes it.
import '../src/worker/threadPool';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Cleanup, installSignalHandlers } from './cleanup';
import { loadAverage, warnIfBusy } from './cpuAccounting';
import { benchBurst } from './burst';
import { benchServices } from './endToEnd';
import { ensureEventFile, EventFile, expectedCombos } from './eventFile';
import { BenchFailure } from './failure';
import { log } from './format';
import { benchKillRecovery } from './killRecovery';
import { benchLocal } from './localValidation';
import { machineDescription, printMachine } from './machine';
import {
  BIG_ROWS,
  BURST_QUERY_CONCURRENCY,
  BURST_ROWS,
  BURST_UPLOAD_CONCURRENCY,
  DEFAULTS,
  DUCKDB_THREADS,
  KILL_AFTER_CHUNKS,
  OUT_DIR,
  RUNS,
  SMALL_ROWS,
  STATUS_FLUSH_DELAY_MS,
} from './params';
import {
  contentionNote,
  evaluateBurstTargets,
  evaluateTargets,
  printBurst,
  printEndToEnd,
  printFile,
  printKillRecovery,
  printLocal,
  printTargets,
  type Target,
} from './results';
import { startServices } from './services';
import { benchEndpointLatency, benchS3ToReport, NotificationResults } from './notifications';
import { evaluateNotificationTargets, printNotifications } from './notificationResults';
import { benchIntake, INTAKE_SECONDS, type IntakeResults } from './intake';
import { evaluateIntakeTargets, printIntake } from './intakeResults';
import { benchExport, EXPORT_ROWS, ExportResults } from './exportFormats';
import { evaluateExportTargets, exportFailures, printExport } from './exportResults';

const cleanup = new Cleanup();

async function main(intakeSeconds: number, exportRows: number): Promise<void> {
  installSignalHandlers(cleanup);
  try {
    await mkdir(OUT_DIR, { recursive: true });
    const loadAtStart = loadAverage();
    const busyAtStart = await warnIfBusy();
    log(`event files: ${BIG_ROWS} and ${SMALL_ROWS} rows in ${OUT_DIR}`);
    const big = await ensureEventFile(BIG_ROWS);
    const small = await ensureEventFile(SMALL_ROWS);
    const expected = { big: expectedCombos(BIG_ROWS), small: expectedCombos(SMALL_ROWS) };
    const machine = await machineDescription();
    const local = await benchLocal(big, expected.big);
    const services = await benchServices(cleanup, small, big, expected);
    const notifications = await benchNotifications(small);
    const intake = await benchIntake(cleanup, intakeSeconds);
    const exported = await benchExport(exportRows);
    const targets = [...evaluateTargets(local, services), ...evaluateNotificationTargets(notifications), ...evaluateIntakeTargets(intake), ...evaluateExportTargets(exported)];

    printMachine(machine, loadAtStart, busyAtStart);
    printFile(big, local.counts);
    printLocal(local, big.rows);
    printEndToEnd(services);
    printNotifications(notifications);
    printIntake(intake);
    printExport(exported);
    printTargets(targets);
    const note = contentionNote(local, services);
    if (note) console.log(`\n${note}`);
    const resultsPath = join(OUT_DIR, 'results.json');
    const results = {
      at: new Date().toISOString(),
      machine: { ...machine, loadAverageAtStart: loadAtStart, busyShareAtStart: busyAtStart },
      settings: { duckdbThreads: DUCKDB_THREADS, duckdbMemoryLimit: DEFAULTS.DUCKDB_MEMORY_LIMIT, chunkTargetRows: DEFAULTS.CHUNK_TARGET_ROWS, statusFlushDelayMs: STATUS_FLUSH_DELAY_MS, runs: RUNS },
      files: { big, small },
      local,
      endToEnd: { small: services.small, big: services.big },
      statusThroughput: services.status,
      worker: services.worker,
      notifications,
      intake,
      export: exported,
      targets,
    };
    await writeFile(resultsPath, JSON.stringify(results, null, 2) + '\n');
    console.log(`\nWrote ${resultsPath}`);
    failIfExportWrong(exported);
  } finally {
    await cleanup.runAll();
  }
}

/** (f) and (g): the endpoint's latency on services of its own, then upload to report through SNS. */
async function benchNotifications(small: EventFile): Promise<NotificationResults> {
  const latency = await benchEndpointLatency(cleanup);
  const s3ToReport = await benchS3ToReport(cleanup, small);
  return { latency, s3ToReport };
}

/** What a figure run on its own measures, prints and writes under `results` in its JSON. */
interface SingleFigure<R> {
  /** bench/out/results-<name>.json */
  name: string;
  measure(): Promise<{ result: R; results: Record<string, unknown> }>;
  print(result: R): void;
  evaluate(result: R): Target[];
  /** Runs after the results are written: a check that fails the bench once the table is out. */
  check?(result: R): void;
}

/** One figure on its own (--notifications, --intake, --export): machine, table, targets, results file. */
async function mainFigure<R>(figure: SingleFigure<R>): Promise<void> {
  installSignalHandlers(cleanup);
  try {
    await mkdir(OUT_DIR, { recursive: true });
    const loadAtStart = loadAverage();
    const busyAtStart = await warnIfBusy();
    const machine = await machineDescription();
    const { result, results } = await figure.measure();
    const targets = figure.evaluate(result);
    printMachine(machine, loadAtStart, busyAtStart);
    figure.print(result);
    printTargets(targets);
    const resultsPath = join(OUT_DIR, `results-${figure.name}.json`);
    const written = { at: new Date().toISOString(), machine: { ...machine, loadAverageAtStart: loadAtStart, busyShareAtStart: busyAtStart }, ...results, targets };
    await writeFile(resultsPath, JSON.stringify(written, null, 2) + '\n');
    console.log(`\nWrote ${resultsPath}`);
    figure.check?.(result);
  } finally {
    await cleanup.runAll();
  }
}

/** `npm run bench -- --notifications`: only (f) and (g). */
const mainNotifications = () =>
  mainFigure<NotificationResults>({
    name: 'notifications',
    async measure() {
      const small = await ensureEventFile(SMALL_ROWS);
      const notifications = await benchNotifications(small);
      return { result: notifications, results: { files: { small }, notifications } };
    },
    print: printNotifications,
    evaluate: evaluateNotificationTargets,
  });

/** `npm run bench -- --intake`: only (h); the intake's settings are in `intake.settings`. */
const mainIntake = (intakeSeconds: number) =>
  mainFigure<IntakeResults>({
    name: 'intake',
    async measure() {
      const intake = await benchIntake(cleanup, intakeSeconds);
      return { result: intake, results: { intake } };
    },
    print: printIntake,
    evaluate: evaluateIntakeTargets,
  });

/** A run that failed or wrote other rows than the window's distinct impressions fails the bench, after the table is out. */
function failIfExportWrong(r: ExportResults): void {
  const failures = exportFailures(r);
  if (failures.length > 0) throw new BenchFailure(failures.join('\n'));
}

/** `npm run bench -- --export`: only (i). */
const mainExport = (exportRows: number) =>
  mainFigure<ExportResults>({
    name: 'export',
    async measure() {
      const exported = await benchExport(exportRows);
      return { result: exported, results: { export: exported } };
    },
    print: printExport,
    evaluate: evaluateExportTargets,
    check: failIfExportWrong,
  });

/** `npm run bench -- --burst N`: only the burst and kill-recovery figures, against one set of services. */
async function mainBurst(files: number): Promise<void> {
  installSignalHandlers(cleanup);
  try {
    await mkdir(OUT_DIR, { recursive: true });
    const loadAtStart = loadAverage();
    const busyAtStart = await warnIfBusy();
    log(`event files: ${BURST_ROWS} rows (burst) and ${BIG_ROWS} rows (kill recovery) in ${OUT_DIR}`);
    const small = await ensureEventFile(BURST_ROWS);
    const big = await ensureEventFile(BIG_ROWS);
    const machine = await machineDescription();
    const services = await startServices(cleanup, '(burst)');
    const burst = await benchBurst(services, files, small, expectedCombos(BURST_ROWS));
    const kill = await benchKillRecovery(cleanup, services, big, expectedCombos(BIG_ROWS));
    const targets = evaluateBurstTargets(burst, kill);

    printMachine(machine, loadAtStart, busyAtStart);
    printBurst(burst);
    printKillRecovery(kill);
    printTargets(targets);
    const resultsPath = join(OUT_DIR, 'results-burst.json');
    const results = {
      at: new Date().toISOString(),
      machine: { ...machine, loadAverageAtStart: loadAtStart, busyShareAtStart: busyAtStart },
      settings: {
        tuning: 'deployment defaults (fileWorkflowSettings of the default settings)',
        burstUploadConcurrency: BURST_UPLOAD_CONCURRENCY,
        burstQueryConcurrency: BURST_QUERY_CONCURRENCY,
        killAfterChunks: KILL_AFTER_CHUNKS,
        workerEnv: services.worker.env,
      },
      files: { burst: small, killRecovery: big },
      burst,
      killRecovery: kill,
      targets,
    };
    await writeFile(resultsPath, JSON.stringify(results, null, 2) + '\n');
    console.log(`\nWrote ${resultsPath}`);
  } finally {
    await cleanup.runAll();
  }
}

const USAGE = 'usage: node lib/bench/bench.js [--burst N | --notifications | --intake | --export] [--intake-seconds N] [--export-rows N]   (npm run bench -- --burst N)';

interface Args {
  burst?: number;
  notifications?: boolean;
  intake?: boolean;
  export?: boolean;
  /** Seconds of each (h) run, in the full bench or with --intake. */
  intakeSeconds: number;
  /** Impressions of (i)'s window, in the full bench or with --export. */
  exportRows: number;
}

/** A whole number ≥ 1 given to `flag` (as `--flag N` or `--flag=N`). */
function wholeNumber(flag: string, raw: string | undefined, what: string): number {
  const n = Number(raw);
  if (raw === undefined || !Number.isSafeInteger(n) || n < 1) throw new Error(`${flag} takes ${what} (a whole number ≥ 1), got ${raw ?? 'nothing'}\n${USAGE}`);
  return n;
}

/** `--burst N` (files), `--notifications`, `--intake`, `--export`, `--intake-seconds N`, `--export-rows N`; none of the first four: the full bench. */
function parseArgs(argv: string[]): Args {
  let burst: number | undefined;
  let notifications = false;
  let intake = false;
  let exportOnly = false;
  let intakeSeconds: number | undefined;
  let exportRows: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--notifications') notifications = true;
    else if (arg === '--intake') intake = true;
    else if (arg === '--export') exportOnly = true;
    else if (arg === '--burst') burst = wholeNumber('--burst', argv[++i], 'a number of files');
    else if (arg.startsWith('--burst=')) burst = wholeNumber('--burst', arg.slice('--burst='.length), 'a number of files');
    else if (arg === '--intake-seconds') intakeSeconds = wholeNumber('--intake-seconds', argv[++i], 'seconds per run');
    else if (arg.startsWith('--intake-seconds=')) intakeSeconds = wholeNumber('--intake-seconds', arg.slice('--intake-seconds='.length), 'seconds per run');
    else if (arg === '--export-rows') exportRows = wholeNumber('--export-rows', argv[++i], 'impressions in the window');
    else if (arg.startsWith('--export-rows=')) exportRows = wholeNumber('--export-rows', arg.slice('--export-rows='.length), 'impressions in the window');
    else throw new Error(`unknown argument ${arg}\n${USAGE}`);
  }
  if ([burst !== undefined, notifications, intake, exportOnly].filter(Boolean).length > 1) throw new Error(`--burst, --notifications, --intake and --export are separate runs\n${USAGE}`);
  if (intakeSeconds !== undefined && (burst !== undefined || notifications || exportOnly)) throw new Error(`--intake-seconds goes with --intake or the full bench\n${USAGE}`);
  if (exportRows !== undefined && (burst !== undefined || notifications || intake)) throw new Error(`--export-rows goes with --export or the full bench\n${USAGE}`);
  return { burst, notifications, intake, export: exportOnly, intakeSeconds: intakeSeconds ?? INTAKE_SECONDS, exportRows: exportRows ?? EXPORT_ROWS };
}

function argsOrExit(): Args {
  try {
    return parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  }
}

if (require.main === module) {
  const args = argsOrExit();
  const { burst, notifications, intake, intakeSeconds, exportRows } = args;
  (notifications ? mainNotifications() : intake ? mainIntake(intakeSeconds) : args.export ? mainExport(exportRows) : burst === undefined ? main(intakeSeconds, exportRows) : mainBurst(burst)).then(
    () => process.exit(0),
    (err: unknown) => {
      if (cleanup.interrupted) return; // the signal handler stops everything and exits
      console.error(err instanceof BenchFailure ? `\nBENCH FAILED: ${err.message}` : err);
      process.exit(1);
    },
  );
}
