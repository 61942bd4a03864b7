import type { ExportWindow } from '../../domain/export/windows';
import { terminalBar, type ProgressStream } from '../progressBar';
import { windowText } from './exportOutput';

/** What `export backfill --wait` tells the person waiting; on stderr, never on stdout (the summary's). */
export interface BackfillProgress {
  /** One more window has its `_SUCCESS`. */
  complete(window: ExportWindow, rows: number): void;
  /** Ends the bar (also after a failure), so what follows starts on a clean line. */
  stop(): void;
}

/**
 * A cli-progress bar counting complete windows when `stream` is a terminal; otherwise one plain
 * line per window, which a log keeps readable.
 */
export function backfillProgress(total: number, stream: ProgressStream = process.stderr): BackfillProgress {
  let done = 0;
  let rows = 0;
  if (stream.isTTY) {
    const bar = terminalBar(stream, 'exporting {bar} {value}/{total} windows | {rows} rows | {duration_formatted}');
    bar.start(total, 0, { rows: 0 });
    let running = true;
    return {
      complete(_window, n) {
        rows += n;
        bar.increment(1, { rows });
      },
      stop() {
        if (running) bar.stop();
        running = false;
      },
    };
  }
  stream.write(`waiting for ${total} window${total === 1 ? '' : 's'} to complete (their _SUCCESS in the bucket)\n`);
  return {
    complete(window, n) {
      done++;
      stream.write(`window ${windowText(window)} complete: ${n} row${n === 1 ? '' : 's'} (${done}/${total})\n`);
    },
    stop() {},
  };
}
