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
 *
 * `npm run bench -- --burst N` runs only the burst figures instead (issue 11), written to
 * bench/out/results-burst.json: N files of 1,000 rows at once (burst.ts), and a worker killed
 * mid-file and replaced (killRecovery.ts). `npm run bench -- --notifications` runs only (f) and
 * (g), written to bench/out/results-notifications.json.
 */
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
} from './results';
import { startServices } from './services';
import { benchEndpointLatency, benchS3ToReport, NotificationResults } from './notifications';
import { evaluateNotificationTargets, printNotifications } from './notificationResults';

const cleanup = new Cleanup();

async function main(): Promise<void> {
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
    const targets = [...evaluateTargets(local, services), ...evaluateNotificationTargets(notifications)];

    printMachine(machine, loadAtStart, busyAtStart);
    printFile(big, local.counts);
    printLocal(local, big.rows);
    printEndToEnd(services);
    printNotifications(notifications);
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
      targets,
    };
    await writeFile(resultsPath, JSON.stringify(results, null, 2) + '\n');
    console.log(`\nWrote ${resultsPath}`);
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

/** `npm run bench -- --notifications`: only (f) and (g). */
async function mainNotifications(): Promise<void> {
  installSignalHandlers(cleanup);
  try {
    await mkdir(OUT_DIR, { recursive: true });
    const loadAtStart = loadAverage();
    const busyAtStart = await warnIfBusy();
    const small = await ensureEventFile(SMALL_ROWS);
    const machine = await machineDescription();
    const notifications = await benchNotifications(small);
    const targets = evaluateNotificationTargets(notifications);
    printMachine(machine, loadAtStart, busyAtStart);
    printNotifications(notifications);
    printTargets(targets);
    const resultsPath = join(OUT_DIR, 'results-notifications.json');
    const results = { at: new Date().toISOString(), machine: { ...machine, loadAverageAtStart: loadAtStart, busyShareAtStart: busyAtStart }, files: { small }, notifications, targets };
    await writeFile(resultsPath, JSON.stringify(results, null, 2) + '\n');
    console.log(`\nWrote ${resultsPath}`);
  } finally {
    await cleanup.runAll();
  }
}

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

const USAGE = 'usage: node lib/bench/bench.js [--burst N | --notifications]   (npm run bench -- --burst N)';

/** `--burst N` or `--burst=N`: the number of files; `--notifications`; neither: the full bench. */
function parseArgs(argv: string[]): { burst?: number; notifications?: boolean } {
  let burst: number | undefined;
  let notifications = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    let raw: string | undefined;
    if (arg === '--notifications') {
      notifications = true;
      continue;
    }
    if (arg === '--burst') raw = argv[++i];
    else if (arg.startsWith('--burst=')) raw = arg.slice('--burst='.length);
    else throw new Error(`unknown argument ${arg}\n${USAGE}`);
    const n = Number(raw);
    if (raw === undefined || !Number.isSafeInteger(n) || n < 1) throw new Error(`--burst takes a number of files (a whole number ≥ 1), got ${raw ?? 'nothing'}\n${USAGE}`);
    burst = n;
  }
  if (burst !== undefined && notifications) throw new Error(`--burst and --notifications are separate runs\n${USAGE}`);
  return { burst, notifications };
}

function argsOrExit(): { burst?: number; notifications?: boolean } {
  try {
    return parseArgs(process.argv.slice(2));
  } catch (err) {
    console.error(err instanceof Error ? err.message : err);
    process.exit(2);
  }
}

if (require.main === module) {
  const { burst, notifications } = argsOrExit();
  (notifications ? mainNotifications() : burst === undefined ? main() : mainBurst(burst)).then(
    () => process.exit(0),
    (err: unknown) => {
      if (cleanup.interrupted) return; // the signal handler stops everything and exits
      console.error(err instanceof BenchFailure ? `\nBENCH FAILED: ${err.message}` : err);
      process.exit(1);
    },
  );
}
