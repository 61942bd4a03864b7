/** Targets and table of the intake figure (h). */
import { fmtMiB, renderTable } from './format';
import type { IntakeResults, IntakeRun } from './intake';
import type { Target } from './results';

/** Issue 15, "Done when". */
export const INTAKE_TARGETS = {
  minImpressionsPerSec: 200_000,
  /** p99 of a 30,000-impression POST, at the concurrency with the most impressions/s. */
  p99MaxMs: 1_000,
};

/** The run with the most impressions/s accepted and durable. */
export function bestIntakeRun(r: IntakeResults): IntakeRun | undefined {
  return [...r.runs].sort((a, b) => b.impressionsPerSec - a.impressionsPerSec)[0];
}

const refusedText = (run: IntakeRun) => {
  const entries = Object.entries(run.refused);
  return entries.length === 0 ? '0' : entries.map(([code, n]) => `${n} ${code}`).join(', ');
};

export function evaluateIntakeTargets(r: IntakeResults): Target[] {
  const best = bestIntakeRun(r);
  if (!best) return [];
  const t = INTAKE_TARGETS;
  const refusals = best.requests - best.accepted;
  return [
    {
      name: `(h) intake, impressions/s accepted and durable (best: ${best.concurrency} clients)`,
      target: `≥ ${t.minImpressionsPerSec.toLocaleString('en-US')}`,
      measured: `${best.impressionsPerSec.toLocaleString('en-US')} (${best.accepted} of ${best.requests} POSTs in ${best.seconds.toFixed(1)} s)`,
      pass: best.impressionsPerSec >= t.minImpressionsPerSec,
    },
    {
      name: `(h) intake, p99 of a ${r.body.impressions.toLocaleString('en-US')}-impression POST at ${best.concurrency} clients`,
      target: `< ${t.p99MaxMs} ms`,
      measured: `${best.latencyMs.p99} ms (p50 ${best.latencyMs.p50} ms; ${refusals} not 200)`,
      pass: best.latencyMs.p99 < t.p99MaxMs && refusals === 0,
    },
  ];
}

export function printIntake(r: IntakeResults): void {
  const s = r.settings;
  console.log(
    `\n(h) Impression intake: ${r.body.impressions.toLocaleString('en-US')}-impression POSTs (${(r.body.bytes / 1e6).toFixed(1)} MB of JSON, serialised once) to the intake process, ` +
      `closed loop over keep-alive connections, ${r.secondsPerRun} s per concurrency after ${r.warmupSeconds} s of warm-up; moto as the warehouse`,
  );
  console.log(`  intake: INTAKE_CONCURRENCY=${s.INTAKE_CONCURRENCY}, DUCKDB_THREADS=${s.DUCKDB_THREADS}, DUCKDB_MEMORY_LIMIT=${s.DUCKDB_MEMORY_LIMIT}, answer deadline ${s.INTAKE_ANSWER_DEADLINE_MS} ms`);
  console.log(
    renderTable(
      ['clients', 'seconds', 'requests', '200', 'impressions/s', 'p50 (ms)', 'p95 (ms)', 'p99 (ms)', 'max (ms)', 'not 200', 'stored objects', 'sampled rows'],
      r.runs.map((run) => [
        String(run.concurrency),
        run.seconds.toFixed(1),
        String(run.requests),
        String(run.accepted),
        run.impressionsPerSec.toLocaleString('en-US'),
        String(run.latencyMs.p50),
        String(run.latencyMs.p95),
        String(run.latencyMs.p99),
        String(run.latencyMs.max),
        refusedText(run),
        `${run.durability.storedObjects}${run.durability.extraObjects > 0 ? ` (${run.durability.extraObjects} extra)` : ''}`,
        run.durability.sampled.map((x) => x.rows).join('/'),
      ]),
    ),
  );
  console.log('  latency: send to the end of the answer, every answered request; impressions/s: impressions in 200 answers / (first send → last answer)');
  console.log('  durable: every batch a 200 named was listed in the warehouse, and the sampled ones read back with DuckDB');
  for (const run of r.runs) console.log(`  CPU seconds, ${run.concurrency} clients: ${Object.entries(run.cpu).map(([k, v]) => `${k} ${v.toFixed(1)}`).join(', ')}`);
  if (r.intake.vmHwmBytes !== undefined) console.log(`  intake process VmHWM after the runs: ${fmtMiB(r.intake.vmHwmBytes)}; its log: ${r.intake.log}`);
}
