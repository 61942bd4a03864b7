import { Presets, SingleBar } from 'cli-progress';

/** Where progress goes: stderr, whose `isTTY` chooses between a bar and plain lines. */
export interface ProgressStream {
  write(text: string): unknown;
  isTTY?: boolean;
}

/** The CLI's one bar style: cli-progress on the terminal, the cursor hidden while it runs. */
export function terminalBar(stream: ProgressStream, format: string): SingleBar {
  return new SingleBar({ stream: stream as NodeJS.WritableStream, format, hideCursor: true }, Presets.shades_classic);
}
