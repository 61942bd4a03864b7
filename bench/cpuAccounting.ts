/**
 * CPU accounting: the machine is shared, so each timing says who else used the CPUs meanwhile.
 * Read from /proc (Linux).
 */
import { readdirSync, readFileSync } from 'node:fs';
import { log, sleep } from './format';

const CLK_TCK = 100;

/** CPU seconds of the whole machine since boot, from /proc/stat. */
function machineCpu(): { busy: number; idle: number; steal: number } {
  const f = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1).map(Number);
  const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
  return { busy: (user + nice + system + irq + softirq) / CLK_TCK, idle: (idle + iowait) / CLK_TCK, steal: steal / CLK_TCK };
}

/** utime + stime of one process (all its threads), seconds; undefined once it is gone. */
function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
  } catch {
    return undefined;
  }
}

function selfCpuSeconds(): number {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1e6;
}

/** The pid of this process's child whose command line contains `needle` (e.g. the moto server startMoto ran). */
export function childPidMatching(needle: string): number | undefined {
  for (const entry of readdirSync('/proc').filter((e) => /^\d+$/.test(e))) {
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (ppid === process.pid && readFileSync(`/proc/${entry}/cmdline`, 'utf8').includes(needle)) return Number(entry);
    } catch {
      // the process went away meanwhile
    }
  }
  return undefined;
}

export interface CpuMark {
  machine: { busy: number; idle: number; steal: number };
  self: number;
  pids: Record<string, number | undefined>;
}

export function markCpu(pids: Record<string, number | undefined> = {}): CpuMark {
  const perPid: Record<string, number | undefined> = {};
  for (const [name, pid] of Object.entries(pids)) perPid[name] = pid === undefined ? undefined : processCpuSeconds(pid);
  return { machine: machineCpu(), self: selfCpuSeconds(), pids: perPid };
}

/**
 * CPU seconds used between two marks: by this process ('bench'), by each named process, by every
 * other process of the machine ('others': other users' work too), plus idle and hypervisor steal.
 */
export function cpuBetween(a: CpuMark, b: CpuMark): Record<string, number> {
  const round = (v: number) => Math.round(v * 100) / 100;
  const out: Record<string, number> = { bench: round(b.self - a.self) };
  let accounted = b.self - a.self;
  for (const name of Object.keys(b.pids)) {
    const used = (b.pids[name] ?? 0) - (a.pids[name] ?? 0);
    out[name] = round(used);
    accounted += used;
  }
  out.others = round(Math.max(0, b.machine.busy - a.machine.busy - accounted));
  out.idle = round(b.machine.idle - a.machine.idle);
  out.steal = round(b.machine.steal - a.machine.steal);
  return out;
}

export function loadAverage(): string {
  return readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ');
}

/** Share of the machine's CPU time that was busy over one second, before the bench does anything. */
async function busyShareNow(): Promise<number> {
  const a = machineCpu();
  await sleep(1_000);
  const b = machineCpu();
  const busy = b.busy - a.busy;
  return busy / Math.max(0.01, busy + b.idle - a.idle);
}

export async function warnIfBusy(): Promise<number> {
  const share = await busyShareNow();
  if (share > 0.25) {
    log(`WARNING: the CPUs are ${(share * 100).toFixed(0)}% busy before the bench starts: other processes compete, timings will be pessimistic`);
  }
  return Math.round(share * 100) / 100;
}
