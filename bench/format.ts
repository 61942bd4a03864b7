/**
 * Small helpers shared by the benches: waiting, time units, number formats, the log line and
 * plain-text tables.
 */

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
export const seconds = (ms: number) => Math.round(ms) / 1000;
export const fmtRate = (rowsPerSec: number) => `${(rowsPerSec / 1e6).toFixed(2)} M rows/s`;
export const fmtSec = (ms: number) => `${(ms / 1000).toFixed(2)} s`;
export const fmtMiB = (bytes: number) => `${(bytes / 1024 ** 2).toFixed(0)} MiB`;
export const verdict = (ok: boolean) => (ok ? 'PASS' : 'MISS');

export function log(msg: string): void {
  console.log(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}`);
}

export function renderTable(headers: string[], rows: string[][]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}
