/**
 * The results: each figure against its target, printed to the console as tables (results.json is
 * written by the entry point, bench.ts).
 */
import type { BurstResult } from './burst';
import { EventFile } from './eventFile';
import { ServiceResults } from './endToEnd';
import type { KillRecoveryResult } from './killRecovery';
import { fmtMiB, fmtRate, renderTable, verdict } from './format';
import { LocalResults, TimedRuns } from './localValidation';
import { BIG_ROWS, BURST_TARGETS, DEFAULTS, DUCKDB_THREADS, RSS_SAMPLE_MS, RUNS, SMALL_ROWS, STATUS_FLUSH_DELAY_MS, TARGETS } from './params';

export interface Target {
  name: string;
  target: string;
  measured: string;
  pass: boolean;
}

export function evaluateTargets(local: LocalResults, services: ServiceResults): Target[] {
  return [
    {
      name: '(a)/(b) validateLocalFile time vs baseline',
      target: `≤ ${TARGETS.oursVsBaselineMaxRatio}x`,
      measured: `${local.ratio.toFixed(2)}x`,
      pass: local.ratio <= TARGETS.oursVsBaselineMaxRatio,
    },
    {
      name: `(c) end to end, ${BIG_ROWS / 1e6}M rows`,
      target: `≥ ${fmtRate(TARGETS.e2eBigMinRowsPerSec)}`,
      measured: `${fmtRate(services.big.rowsPerSec)} (${services.big.seconds.toFixed(2)} s)`,
      pass: services.big.rowsPerSec >= TARGETS.e2eBigMinRowsPerSec,
    },
    {
      name: `(c) end to end, ${SMALL_ROWS / 1e3}k rows`,
      target: `≤ ${TARGETS.e2eSmallMaxSeconds} s`,
      measured: `${services.small.seconds.toFixed(2)} s`,
      pass: services.small.seconds <= TARGETS.e2eSmallMaxSeconds,
    },
    {
      name: '(e) status entries per second, one status workflow',
      target: `≥ ${TARGETS.statusMinEntriesPerSec}`,
      measured: `${services.status.entriesPerSec} (${services.status.entries} in ${services.status.seconds.toFixed(2)} s, ${services.status.reports} reports)`,
      pass: services.status.entriesPerSec >= TARGETS.statusMinEntriesPerSec,
    },
    {
      name: '(d) worker peak RSS (VmHWM)',
      target: `< ${fmtMiB(TARGETS.workerPeakRssMaxBytes)}`,
      measured: fmtMiB(services.worker.vmHwmBytes),
      pass: services.worker.vmHwmBytes < TARGETS.workerPeakRssMaxBytes,
    },
  ];
}

export function printFile(file: EventFile, counts: LocalResults['counts']): void {
  console.log(`\nEvent file: ${file.path}`);
  console.log(
    `  ${file.rows} rows, ${fmtMiB(file.bytes)}, snappy, ${file.rowGroups} row groups (DuckDB default), ` +
      `${file.reused ? 'reused' : `generated in ${file.generationSeconds} s (not timed)`}`,
  );
  console.log(`  valid ${counts.valid}, invalid ${counts.invalid} (${((100 * counts.invalid) / file.rows).toFixed(2)}%)`);
  for (const [codes, n] of Object.entries(counts.byCodes).filter(([k]) => k !== '')) console.log(`    ${codes}: ${n}`);
}

export function printLocal(local: LocalResults, rows: number): void {
  console.log(`\nLocal validation of ${rows} rows, ${DUCKDB_THREADS} DuckDB threads, memory limit ${DEFAULTS.DUCKDB_MEMORY_LIMIT}, best of ${RUNS}`);
  const cpuOf = (r: TimedRuns) => r.runsCpu.map((c) => `${c.bench!.toFixed(1)}/${c.others!.toFixed(1)}`).join(' ');
  const row = (name: string, r: TimedRuns) => [name, r.runsSeconds.map((s) => s.toFixed(2)).join(' / '), r.bestSeconds.toFixed(2), fmtRate(r.bestRowsPerSec), cpuOf(r)];
  console.log(
    renderTable(
      ['', 'runs (s)', 'best (s)', 'best rate', 'CPU s per run: ours/other processes'],
      [
        row(`(a) validateLocalFile, chunks of ${DEFAULTS.CHUNK_TARGET_ROWS}`, local.ours),
        row('(b) DuckDB baseline, one query', local.baseline),
      ],
    ),
  );
  console.log(`  (a)/(b) = ${local.ratio.toFixed(2)}x by best wall time, ${local.cpuRatio.toFixed(2)}x by least CPU time`);
  console.log(`  (a) and (b) agree on every code combination (valid ${local.counts.valid}, invalid ${local.counts.invalid})`);
}

export function printEndToEnd(services: ServiceResults): void {
  console.log(`\nEnd to end (upload completed → report covering every row listed), status flush delay ${STATUS_FLUSH_DELAY_MS} ms (the production default; a finished file is reported at once)`);
  const rows = [services.small, services.big].map((r) => [
    `${r.rows} rows`,
    fmtMiB(r.fileBytes),
    r.uploadSeconds.toFixed(2),
    r.seconds.toFixed(2),
    fmtRate(r.rowsPerSec),
    String(r.reportObjects),
  ]);
  console.log(renderTable(['file', 'size', 'upload (s, untimed)', 'e2e (s)', 'rate', 'reports'], rows));
  for (const r of [services.small, services.big]) {
    console.log(`\n  Where the ${r.rows}-row run went (s):`);
    for (const [k, v] of Object.entries(r.timeline)) console.log(`    ${k.padEnd(56)} ${v.toFixed(2)}`);
    console.log(`    CPU seconds meanwhile: ${Object.entries(r.cpu).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
    console.log(
      '    activities (count, total s scheduled→completed, max s): ' +
        r.activities.map((a) => `${a.activity} ${a.count}× ${a.totalSeconds.toFixed(2)} (max ${a.maxSeconds.toFixed(2)})`).join('; '),
    );
  }
  const w = services.worker;
  console.log(`\nWorker process: VmRSS when ready ${fmtMiB(w.rssAtReadyBytes)}; VmHWM after the runs ${fmtMiB(w.vmHwmBytes)}; max VmRSS sampled every ${RSS_SAMPLE_MS} ms ${fmtMiB(w.maxSampledRssBytes)} (${w.samples} samples)`);
}

export function printTargets(targets: Target[]): void {
  console.log('\nTargets');
  console.log(renderTable(['figure', 'target', 'measured', ''], targets.map((t) => [t.name, t.target, t.measured, verdict(t.pass)])));
}

/** A note when other processes took a noticeable share of the CPUs during the timed parts. */
export function contentionNote(local: LocalResults, services: ServiceResults): string | undefined {
  const timed = [...local.ours.runsCpu, ...local.baseline.runsCpu, services.small.cpu, services.big.cpu];
  const others = timed.reduce((n, c) => n + (c.others ?? 0), 0);
  const all = timed.reduce((n, c) => n + Object.entries(c).filter(([k]) => k !== 'steal').reduce((m, [, v]) => m + v, 0), 0);
  if (others <= 0.05 * all) return undefined;
  return `NOTE: other processes used ${others.toFixed(1)} of ${all.toFixed(1)} CPU seconds during the timed parts: the figures are pessimistic; run again on a quiet machine.`;
}

export function evaluateBurstTargets(burst: BurstResult, kill: KillRecoveryResult): Target[] {
  const t = BURST_TARGETS;
  return [
    {
      name: `burst of ${burst.files}: worker restarts`,
      target: `${t.burstMaxWorkerRestarts}`,
      measured: `${burst.workerRestarts} (${burst.filesRestarted} files${burst.unqueried > 0 ? `; ${burst.unqueried} workflows did not answer` : ''})`,
      pass: burst.workerRestarts <= t.burstMaxWorkerRestarts && burst.unqueried === 0,
    },
    {
      name: `burst of ${burst.files}: failed workflows`,
      target: `${t.burstMaxFailures}`,
      measured: String(burst.failures),
      pass: burst.failures <= t.burstMaxFailures,
    },
    {
      name: `burst of ${burst.files}: files/s`,
      target: `≥ ${t.burstMinFilesPerSec}`,
      measured: `${burst.filesPerSec.toFixed(2)} (${burst.seconds.toFixed(2)} s)`,
      pass: burst.filesPerSec >= t.burstMinFilesPerSec,
    },
    {
      name: `kill recovery, ${kill.rows / 1e6}M rows`,
      target: `≤ ${t.killRecoveryMaxSeconds} s`,
      measured: `${kill.seconds.toFixed(2)} s`,
      pass: kill.seconds <= t.killRecoveryMaxSeconds,
    },
  ];
}

export function printBurst(b: BurstResult): void {
  console.log(`\nBurst: ${b.files} files of ${b.rowsPerFile} rows (${b.fileBytes} bytes), uploaded ${b.uploadConcurrency} at a time, each workflow started when its upload completed, default tuning`);
  const l = b.latencySeconds;
  console.log(
    renderTable(
      ['files', 'uploads (s)', 'first upload → last covered (s)', 'files/s', 'p50 (s)', 'p90 (s)', 'p99 (s)', 'max (s)', 'restarts', 'failures', 'reports'],
      [[String(b.files), b.uploadSeconds.toFixed(2), b.seconds.toFixed(2), b.filesPerSec.toFixed(2), l.p50.toFixed(2), l.p90.toFixed(2), l.p99.toFixed(2), l.max.toFixed(2), String(b.workerRestarts), String(b.failures), String(b.reportObjects)]],
    ),
  );
  console.log(`  latency = upload completed → the file's rows first covered by listed reports (min ${l.min.toFixed(2)} s)`);
  console.log(`  small-file path: ${b.smallFilePath} of ${b.files} files; files restarted: ${b.filesRestarted}${b.unqueried > 0 ? `; progress query unanswered: ${b.unqueried}` : ''}`);
  if (b.lateReports > 0) console.log(`  ${b.lateReports} reports were found only by a full listing: their files' latency may be late by up to 2 s`);
  if (b.failed.length > 0) console.log(`  failed: ${b.failed.map((f) => `${f.key} ${f.status}`).join(', ')}${b.failures > b.failed.length ? ', ...' : ''}`);
  console.log(`  CPU seconds meanwhile: ${Object.entries(b.cpu).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
}

export function printKillRecovery(k: KillRecoveryResult): void {
  console.log(`\nKill recovery: the ${k.rows}-row file (${fmtMiB(k.fileBytes)}, ${k.chunksTotal} chunks), worker killed with SIGKILL at ${k.chunksDoneAtKill} chunks done, a new worker process started at once`);
  const s = (v: number | null) => (v === null ? 'not seen' : v.toFixed(2));
  console.log(
    renderTable(
      ['kill → new worker ready (s)', 'kill → lease timed out (s)', 'kill → claimed again (s)', 'kill → pass over (s)', 'kill → every row reported (s)', 'recovery (s)', 'restarts'],
      [[k.newWorkerReadySeconds.toFixed(2), `${s(k.leaseTimedOutSeconds)}${k.leaseTimeoutType ? ` (${k.leaseTimeoutType})` : ''}`, s(k.claimedAgainSeconds), s(k.phaseSeconds), s(k.coveredSeconds), k.seconds.toFixed(2), String(k.workerRestarts)]],
    ),
  );
  console.log(`  recovery = kill → the earlier of "pass over" (progress phase waiting-for-reprocess) and "every row reported"; valid ${k.counts.valid}, invalid ${k.counts.invalid}, ${k.reportObjects} reports`);
  console.log(`  CPU seconds from the kill until recovered: ${Object.entries(k.cpu).map(([name, v]) => `${name} ${v.toFixed(1)}`).join(', ')}`);
  if (k.otherTimeouts.length > 0) console.log(`  other activity timeouts after the kill: ${k.otherTimeouts.join('; ')}`);
}
