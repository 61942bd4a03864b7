import { terminalBar, type ProgressStream } from '../progressBar';

export type { ProgressStream };

/** What `intake load` tells the person running it while it works; always on stderr, never on stdout (the summary's). */
export interface LoadProgress {
  /** A step with no measurable progress (DuckDB reading and checking the file). */
  step(text: string): void;
  /** The file is checked and split: uploads start. */
  read(impressions: number, partitions: number): void;
  /** One more partition stored. */
  uploaded(impressions: number, key: string): void;
  /** Ends the bar (also after a failure), so the error that follows starts on a clean line. */
  stop(): void;
}

/** At most one plain line per this long between the first and the last upload: a backfill may have thousands of partitions. */
const PLAIN_EVERY_MS = 1_000;

/**
 * A cli-progress bar counting impressions uploaded when `stream` is a terminal; otherwise plain
 * lines a log keeps readable (a bar's carriage returns would fill it with redraws).
 */
export function loadProgress(stream: ProgressStream = process.stderr, now: () => number = Date.now): LoadProgress {
  let partitions = 0;
  let impressions = 0;
  let done = 0;
  let doneImpressions = 0;
  if (stream.isTTY) {
    const bar = terminalBar(stream, 'uploading {bar} {percentage}% | {value}/{total} impressions | {partitionsDone}/{partitions} partitions | {duration_formatted}');
    let started = false;
    return {
      step: (text) => void stream.write(`${text}\n`),
      read(n, p) {
        partitions = p;
        stream.write(`read ${n} impressions in ${p} partitions\n`);
        bar.start(n, 0, { partitionsDone: 0, partitions: p });
        started = true;
      },
      uploaded(n) {
        done++;
        bar.increment(n, { partitionsDone: done, partitions });
      },
      stop() {
        if (started) bar.stop();
        started = false;
      },
    };
  }
  let lastLine = -Infinity;
  return {
    step: (text) => void stream.write(`${text}\n`),
    read(n, p) {
      partitions = p;
      impressions = n;
      stream.write(`read ${n} impressions in ${p} partitions\n`);
    },
    uploaded(n, key) {
      done++;
      doneImpressions += n;
      const t = now();
      if (done === 1 || done === partitions || t - lastLine >= PLAIN_EVERY_MS) {
        lastLine = t;
        stream.write(`uploaded ${done}/${partitions} partitions (${doneImpressions}/${impressions} impressions): ${key}\n`);
      }
    },
    stop() {},
  };
}
