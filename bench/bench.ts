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
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Cleanup, installSignalHandlers } from './cleanup';
import { loadAverage, warnIfBusy } from './cpuAccounting';
import { benchServices } from './endToEnd';
import { ensureEventFile, expectedCombos } from './eventFile';
import { BenchFailure } from './failure';
import { log } from './format';
import { benchLocal } from './localValidation';
import { machineDescription, printMachine } from './machine';
import { BIG_ROWS, DEFAULTS, DUCKDB_THREADS, OUT_DIR, RUNS, SMALL_ROWS, STATUS_FLUSH_DELAY_MS } from './params';
import { contentionNote, evaluateTargets, printEndToEnd, printFile, printLocal, printTargets } from './results';

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
    const targets = evaluateTargets(local, services);

    printMachine(machine, loadAtStart, busyAtStart);
    printFile(big, local.counts);
    printLocal(local, big.rows);
    printEndToEnd(services);
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
      targets,
    };
    await writeFile(resultsPath, JSON.stringify(results, null, 2) + '\n');
    console.log(`\nWrote ${resultsPath}`);
  } finally {
    await cleanup.runAll();
  }
}

if (require.main === module) {
  main().then(
    () => process.exit(0),
    (err: unknown) => {
      if (cleanup.interrupted) return; // the signal handler stops everything and exits
      console.error(err instanceof BenchFailure ? `\nBENCH FAILED: ${err.message}` : err);
      process.exit(1);
    },
  );
}
