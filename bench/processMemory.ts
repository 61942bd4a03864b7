/**
 * Memory of another process (the worker), from /proc: VmRSS sampled while it works, and the
 * kernel's own peak, VmHWM.
 */
import { readFileSync } from 'node:fs';
import { RSS_SAMPLE_MS } from './params';

/** Samples the worker's VmRSS every RSS_SAMPLE_MS; VmHWM is the kernel's own peak. */
export class RssSampler {
  private timer: NodeJS.Timeout;
  maxRssBytes = 0;
  samples = 0;

  constructor(private pid: number) {
    this.timer = setInterval(() => this.sample(), RSS_SAMPLE_MS);
    this.sample();
  }

  private sample(): void {
    const rss = procStatusBytes(this.pid, 'VmRSS');
    if (rss === undefined) return;
    this.samples++;
    this.maxRssBytes = Math.max(this.maxRssBytes, rss);
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export function procStatusBytes(pid: number, field: 'VmRSS' | 'VmHWM'): number | undefined {
  try {
    const line = readFileSync(`/proc/${pid}/status`, 'utf8')
      .split('\n')
      .find((l) => l.startsWith(`${field}:`));
    const kb = Number(line?.match(/(\d+)\s*kB/)?.[1]);
    return Number.isFinite(kb) ? kb * 1024 : undefined;
  } catch {
    return undefined;
  }
}
