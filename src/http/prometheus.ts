/**
 * A small Prometheus registry of our own (no client library): labeled counters and histograms,
 * rendered in the text exposition format 0.0.4 that Prometheus scrapes from `GET /metrics`.
 */

type Labels = Record<string, string>;

/** The content type of the text exposition format. */
export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL = /^[a-zA-Z_][a-zA-Z0-9_]*$/;

const escapeHelp = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n');
const escapeValue = (s: string) => s.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/"/g, '\\"');

function formatNumber(n: number): string {
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  if (Number.isNaN(n)) return 'NaN';
  return String(n);
}

function formatLabels(pairs: [string, string][]): string {
  return pairs.length === 0 ? '' : `{${pairs.map(([k, v]) => `${k}="${escapeValue(v)}"`).join(',')}}`;
}

abstract class Metric<S> {
  protected readonly series = new Map<string, { labels: [string, string][]; state: S }>();

  constructor(
    readonly name: string,
    readonly help: string,
    readonly labelNames: readonly string[],
  ) {
    if (!NAME.test(name)) throw new Error(`invalid metric name ${name}`);
    for (const l of labelNames) if (!LABEL.test(l) || l === 'le') throw new Error(`invalid label name ${l} on ${name}`);
  }

  protected abstract fresh(): S;
  abstract readonly type: 'counter' | 'histogram';
  protected abstract lines(labels: [string, string][], state: S): string[];

  /** The series of these labels (exactly the declared names), created at zero on first use. */
  protected at(labels: Labels): S {
    const pairs = this.labelNames.map((n): [string, string] => {
      const v = labels[n];
      if (v === undefined) throw new Error(`${this.name}: label ${n} missing`);
      return [n, v];
    });
    if (Object.keys(labels).length !== this.labelNames.length) throw new Error(`${this.name}: labels are exactly ${this.labelNames.join(', ')}`);
    const key = JSON.stringify(pairs);
    let s = this.series.get(key);
    if (!s) {
      s = { labels: pairs, state: this.fresh() };
      this.series.set(key, s);
    }
    return s.state;
  }

  /** Makes the series exist at zero, so a rate over it starts from the process's start. */
  init(labels: Labels): void {
    this.at(labels);
  }

  render(): string {
    const out = [`# HELP ${this.name} ${escapeHelp(this.help)}`, `# TYPE ${this.name} ${this.type}`];
    const sorted = [...this.series.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    for (const [, s] of sorted) out.push(...this.lines(s.labels, s.state));
    return out.join('\n') + '\n';
  }
}

export class Counter extends Metric<{ value: number }> {
  readonly type = 'counter';
  protected fresh() {
    return { value: 0 };
  }

  inc(labels: Labels = {}, n = 1): void {
    if (!(n >= 0)) throw new Error(`${this.name}: a counter only goes up (got ${n})`);
    this.at(labels).value += n;
  }

  /** The current value of one series (0 when it was never incremented). */
  get(labels: Labels = {}): number {
    return this.at(labels).value;
  }

  protected lines(labels: [string, string][], state: { value: number }): string[] {
    return [`${this.name}${formatLabels(labels)} ${formatNumber(state.value)}`];
  }
}

interface HistogramState {
  /** Observations per bucket (not cumulative; rendered cumulatively). */
  buckets: number[];
  sum: number;
  count: number;
}

export class Histogram extends Metric<HistogramState> {
  readonly type = 'histogram';

  constructor(name: string, help: string, labelNames: readonly string[], readonly bounds: readonly number[]) {
    super(name, help, labelNames);
    if (bounds.length === 0 || bounds.some((b, i) => i > 0 && b <= bounds[i - 1]!)) throw new Error(`${name}: bucket bounds must increase`);
  }

  protected fresh(): HistogramState {
    return { buckets: new Array<number>(this.bounds.length).fill(0), sum: 0, count: 0 };
  }

  observe(labels: Labels, value: number): void {
    const s = this.at(labels);
    const i = this.bounds.findIndex((b) => value <= b);
    if (i >= 0) s.buckets[i]!++;
    s.sum += value;
    s.count++;
  }

  /** Observations of one series. */
  count(labels: Labels = {}): number {
    return this.at(labels).count;
  }

  protected lines(labels: [string, string][], s: HistogramState): string[] {
    const out: string[] = [];
    let cumulative = 0;
    this.bounds.forEach((b, i) => {
      cumulative += s.buckets[i]!;
      out.push(`${this.name}_bucket${formatLabels([...labels, ['le', formatNumber(b)]])} ${cumulative}`);
    });
    out.push(`${this.name}_bucket${formatLabels([...labels, ['le', '+Inf']])} ${s.count}`);
    out.push(`${this.name}_sum${formatLabels(labels)} ${formatNumber(s.sum)}`);
    out.push(`${this.name}_count${formatLabels(labels)} ${s.count}`);
    return out;
  }
}

/** Metrics by name, rendered together. */
export class MetricsRegistry {
  private readonly metrics = new Map<string, { render(): string }>();

  counter(name: string, help: string, labelNames: readonly string[] = []): Counter {
    return this.register(new Counter(name, help, labelNames));
  }

  histogram(name: string, help: string, labelNames: readonly string[], bounds: readonly number[]): Histogram {
    return this.register(new Histogram(name, help, labelNames, bounds));
  }

  private register<M extends { name: string; render(): string }>(m: M): M {
    if (this.metrics.has(m.name)) throw new Error(`metric ${m.name} registered twice`);
    this.metrics.set(m.name, m);
    return m;
  }

  /** Every metric in the text exposition format. */
  render(): string {
    return [...this.metrics.values()].map((m) => m.render()).join('');
  }
}
