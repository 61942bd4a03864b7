import { decodeEntryId } from './entryId';
import type { FileStatusEntry } from './statusEntry';

/**
 * When a status workflow writes a report and what goes into it (DECISIONS, "Status entries and
 * reports"): a file's entries from one pass are ready when the pass ends, or `passWaitMs` after
 * its first entry when the pass is long; ready entries go out `flushDelayMs` after they are
 * ready, at once when every pass with pending entries has ended or `maxEntriesPerReport` are
 * pending. A report holds whole passes unless one pass alone has more entries than a report.
 * Pure (times are passed in), so the workflow stays deterministic and this is unit-tested.
 */
export interface BatchingRules {
  flushDelayMs: number;
  passWaitMs: number;
  maxEntriesPerReport: number;
}

/** One file's entries from one pass, waiting to be reported. */
export interface PendingPass {
  key: string;
  entries: FileStatusEntry[];
  firstAtMs: number;
  /** When the pass's last entries arrived; absent while the pass runs. */
  endedAtMs?: number;
}

/** A pass is one generation of one file version: (fileName, originalCreationTime, generation). */
export function passKeyOf(e: FileStatusEntry): string {
  return `${e.fileName}\u0000${e.entry.originalCreationTime}\u0000${decodeEntryId(e.entry.entryId).generation}`;
}

export class PendingReports {
  private readonly passes = new Map<string, PendingPass>();

  constructor(
    private readonly rules: BatchingRules,
    carried: readonly PendingPass[] = [],
  ) {
    for (const p of carried) this.passes.set(p.key, { ...p, entries: [...p.entries] });
  }

  /** Entries not reported before; `ended` names passes whose last entries these are. */
  add(entries: readonly FileStatusEntry[], ended: readonly string[], nowMs: number): void {
    for (const e of entries) {
      const key = passKeyOf(e);
      let pass = this.passes.get(key);
      if (!pass) this.passes.set(key, (pass = { key, entries: [], firstAtMs: nowMs }));
      pass.entries.push(e);
    }
    for (const key of ended) {
      const pass = this.passes.get(key);
      if (pass && pass.endedAtMs === undefined) pass.endedAtMs = nowMs;
    }
  }

  get size(): number {
    let n = 0;
    for (const p of this.passes.values()) n += p.entries.length;
    return n;
  }

  get passCount(): number {
    return this.passes.size;
  }

  private readyAt(p: PendingPass): number {
    return p.endedAtMs ?? p.firstAtMs + this.rules.passWaitMs;
  }

  private allEnded(): boolean {
    for (const p of this.passes.values()) if (p.endedAtMs === undefined) return false;
    return true;
  }

  private atOnce(): boolean {
    return this.size >= this.rules.maxEntriesPerReport || this.allEnded();
  }

  /** When the next report is due (absolute ms; at or before now means now); undefined when nothing is pending. */
  flushDueAt(): number | undefined {
    if (this.passes.size === 0) return undefined;
    if (this.atOnce()) return -Infinity;
    let earliest = Infinity;
    for (const p of this.passes.values()) earliest = Math.min(earliest, this.readyAt(p));
    return earliest + this.rules.flushDelayMs;
  }

  /**
   * Removes and returns the entries of the next report: whole ready passes, oldest first, up to
   * the report size; a pass bigger than a report on its own goes out in report-sized pieces.
   * A full report's worth pending takes ready passes first, and running ones only when nothing
   * is ready, so a small running file is not split just because others filled a report.
   * `all` takes passes whether they are ready or not (to drain before continue-as-new).
   */
  /** When the first entry of the oldest pass the last takeReport took arrived (what report latency is measured from). */
  lastTakenFirstAtMs: number | undefined;

  takeReport(nowMs: number, all = false): FileStatusEntry[] {
    const passes = [...this.passes.values()];
    const ready = passes.filter((p) => this.readyAt(p) <= nowMs);
    const everything = all || (this.atOnce() && (this.allEnded() || ready.length === 0));
    const candidates = (everything ? passes : ready)
      .sort((a, b) => a.firstAtMs - b.firstAtMs || (a.key < b.key ? -1 : 1));
    const max = this.rules.maxEntriesPerReport;
    const report: FileStatusEntry[] = [];
    this.lastTakenFirstAtMs = undefined;
    const took = (pass: PendingPass) => (this.lastTakenFirstAtMs = Math.min(this.lastTakenFirstAtMs ?? Infinity, pass.firstAtMs));
    for (const pass of candidates) {
      if (report.length === 0 && pass.entries.length > max) {
        report.push(...pass.entries.splice(0, max));
        took(pass);
        break;
      }
      if (report.length + pass.entries.length > max) continue;
      report.push(...pass.entries);
      pass.entries = [];
      took(pass);
    }
    for (const [key, pass] of this.passes) if (pass.entries.length === 0) this.passes.delete(key);
    return report;
  }

  snapshot(): PendingPass[] {
    return [...this.passes.values()].map((p) => ({ ...p, entries: [...p.entries] }));
  }
}
