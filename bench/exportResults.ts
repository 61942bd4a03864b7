/** Targets and table of the export figure (i). */
import { fmtMiB, fmtRate, renderTable } from './format';
import type { ExportComboResult, ExportResults } from './exportFormats';
import type { Target } from './results';

/** Issue 17, item 5. */
export const EXPORT_TARGETS = {
  /** Parquet with DuckDB's own codecs: our time at most this many times DuckDB's COPY. */
  parquetMaxRatio: 1.5,
  /** JSON lines and CSV with gzip: DuckDB's COPY with gzip takes at least this many times ours. */
  gzipTextMinSpeedup: 2,
};
const PARQUET_HELD = ['snappy', 'gzip', 'zstd', 'none'];

const name = (c: ExportComboResult) => `${c.format}/${c.compression}`;
const thousands = (n: number) => n.toLocaleString('en-US');

/** Why a combination's rows are not the window's distinct impressions, or undefined when they are. */
export function rowsProblem(r: ExportResults, c: ExportComboResult): string | undefined {
  const e = r.expected;
  if (c.error) return c.error;
  if (!c.ours) return 'not run';
  if (c.ours.rows !== e.rows) return `ours wrote ${thousands(c.ours.rows)} rows, expected ${thousands(e.rows)}`;
  if (c.ours.duplicatesDropped !== e.duplicatesDropped) return `ours dropped ${thousands(c.ours.duplicatesDropped)} duplicates, expected ${thousands(e.duplicatesDropped)}`;
  if (c.duckdb && c.duckdb.rows !== e.rows) return `DuckDB's COPY wrote ${thousands(c.duckdb.rows)} rows, expected ${thousands(e.rows)}`;
  return undefined;
}

/** Every combination that failed or wrote other rows than expected: the bench then fails. */
export function exportFailures(r: ExportResults): string[] {
  return r.combos.flatMap((c) => {
    const p = rowsProblem(r, c);
    return p ? [`(i) ${name(c)}: ${p}`] : [];
  });
}

export function evaluateExportTargets(r: ExportResults): Target[] {
  const t = EXPORT_TARGETS;
  const rows = `${(r.rows / 1e6).toLocaleString('en-US')}M rows`;
  return r.combos.map((c): Target => {
    const problem = rowsProblem(r, c);
    const times = c.ours && c.duckdb ? ` (${c.ours.seconds.toFixed(2)} s vs ${c.duckdb.seconds.toFixed(2)} s)` : c.ours ? ` (${c.ours.seconds.toFixed(2)} s)` : '';
    const suffix = problem ? `; ${problem}` : '';
    if (c.format === 'parquet' && PARQUET_HELD.includes(c.compression)) {
      return {
        name: `(i) export ${name(c)}, ${rows}: time vs DuckDB's COPY`,
        target: `≤ ${t.parquetMaxRatio}x`,
        measured: `${c.ratio === undefined ? 'n/a' : `${c.ratio.toFixed(2)}x`}${times}${suffix}`,
        pass: !problem && c.ratio !== undefined && c.ratio <= t.parquetMaxRatio,
      };
    }
    if (c.format !== 'parquet' && c.compression === 'gzip') {
      const speedup = c.ratio === undefined ? undefined : 1 / c.ratio;
      return {
        name: `(i) export ${name(c)}, ${rows}: DuckDB's COPY with gzip / ours`,
        target: `≥ ${t.gzipTextMinSpeedup}x faster`,
        measured: `${speedup === undefined ? 'n/a' : `${speedup.toFixed(2)}x`}${times}${suffix}`,
        pass: !problem && speedup !== undefined && speedup >= t.gzipTextMinSpeedup,
      };
    }
    return {
      name: `(i) export ${name(c)}, ${rows}: completes, every row`,
      target: 'no time target',
      measured: `${c.ours ? `${fmtRate(c.ours.rowsPerSec)}` : 'not run'}${times}${c.ratio !== undefined ? `, ${c.ratio.toFixed(2)}x DuckDB` : ''}${suffix}`,
      pass: !problem,
    };
  });
}

const mib = (bytes: number | undefined) => (bytes === undefined ? '' : (bytes / 1024 ** 2).toFixed(1));
const rss = (bytes: number | undefined) => (bytes === undefined ? '' : fmtMiB(bytes));

export function printExport(r: ExportResults): void {
  const d = r.data;
  const p = d.plan;
  const s = r.settings;
  console.log(
    `\n(i) Export formats: writeExportParts on a ${s.window.start.slice(0, 16)}–${s.window.end.slice(11, 16)} window of ${thousands(r.rows)} distinct impressions, ` +
      `beside one DuckDB COPY of the same rows where DuckDB can write the format`,
  );
  console.log(
    `  input: ${d.files.length} intake files (zstd Parquet, ${mib(d.bytes)} MiB): ${p.windowFiles} received in the window (${p.retriedInWindow} of them retried batches, ${p.lookbackRetried} retries of batches received before it), ` +
      `${p.lookbackFiles} in the lookback; ${thousands(p.receivedInWindow)} rows received in the window, ${thousands(p.expectedDuplicates)} of them repeats; ` +
      `${d.reused ? 'reused' : `generated in ${d.generationSeconds} s (not timed)`}`,
  );
  console.log(`  DuckDB: ${s.duckdbThreads} threads, memory limit ${s.duckdbMemoryLimit}, a fresh instance per run; ${thousands(s.partRows)} rows per part; finishing concurrency ${s.finishConcurrency}`);
  console.log(
    renderTable(
      ['format', 'compression', 'ours (s)', 'prepare (s)', 'ours rows/s', 'parts', 'ours MiB', 'ours peak RSS', 'DuckDB (s)', 'DuckDB rows/s', 'DuckDB MiB', 'ours/DuckDB', 'rows'],
      r.combos.map((c) => [
        c.format,
        c.compression,
        c.ours ? c.ours.seconds.toFixed(2) : 'failed',
        c.ours?.prepareSeconds?.toFixed(2) ?? '',
        c.ours ? thousands(c.ours.rowsPerSec) : '',
        c.ours ? String(c.ours.files) : '',
        mib(c.ours?.bytes),
        rss(c.ours?.peakRssBytes),
        c.duckdb ? c.duckdb.seconds.toFixed(2) : c.error?.includes('DuckDB:') ? 'failed' : '—',
        c.duckdb ? thousands(c.duckdb.rowsPerSec) : '',
        mib(c.duckdb?.bytes),
        c.ratio !== undefined ? `${c.ratio.toFixed(2)}x` : '',
        rowsProblem(r, c) ? 'WRONG' : 'ok',
      ]),
    ),
  );
  console.log('  ours: writeExportParts end to end (dedup into an ordered table, counts, parts written by DuckDB, then LZO pages or whole-file gzip/bzip2 where needed)');
  console.log('  prepare: from the call until the output folder appeared (writeExportParts creates it once the rows are deduplicated, ordered and counted)');
  console.log("  DuckDB: one COPY of the same rows (lookback hashes anti-joined, one row per content hash, the export's order) to one file; — where DuckDB has no writer");
  console.log(`  rows ok: ${thousands(r.expected.rows)} rows and ${thousands(r.expected.duplicatesDropped)} duplicates dropped, in every run`);
  for (const c of r.combos) {
    if (c.error) console.log(`  ${name(c)} failed: ${c.error}`);
  }
  const cpu = (x: Record<string, number>) => `${(x.bench ?? 0).toFixed(1)}/${(x.others ?? 0).toFixed(1)}`;
  console.log(`  CPU s, this process/other processes: ${r.combos.map((c) => `${name(c)} ${c.ours ? cpu(c.ours.cpu) : '-'}${c.duckdb ? ` (DuckDB ${cpu(c.duckdb.cpu)})` : ''}`).join('; ')}`);
}
