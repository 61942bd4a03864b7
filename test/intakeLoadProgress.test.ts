import assert from 'node:assert/strict';
import { loadProgress } from '../src/cli/intake/loadProgress';

/** A stream that keeps what is written; `isTTY` as a terminal or a pipe reports it. */
function fakeStream(isTTY: boolean) {
  const chunks: string[] = [];
  return { chunks, isTTY, columns: 120, write: (s: string) => chunks.push(s) > 0, cursorTo: () => true, clearLine: () => true, moveCursor: () => true };
}

describe('intake load progress: a bar on a terminal, plain lines otherwise', () => {
  it('without a terminal: the read line, the first and the last upload, and at most one line a second between', () => {
    const stream = fakeStream(false);
    let clock = 0;
    const progress = loadProgress(stream, () => clock);
    progress.step('reading f.jsonl (jsonl)');
    progress.read(10, 4);
    for (const [i, ms] of [0, 500, 1_000, 1_100].entries()) {
      clock = ms;
      progress.uploaded(i === 3 ? 4 : 2, `key-${i + 1}`);
    }
    progress.stop();
    assert.deepEqual(stream.chunks.join('').split('\n'), [
      'reading f.jsonl (jsonl)',
      'read 10 impressions in 4 partitions',
      'uploaded 1/4 partitions (2/10 impressions): key-1',
      'uploaded 3/4 partitions (6/10 impressions): key-3',
      'uploaded 4/4 partitions (10/10 impressions): key-4',
      '',
    ]);
  });

  it('on a terminal: a cli-progress bar counting impressions uploaded and partitions, ended by stop()', () => {
    const stream = fakeStream(true);
    const progress = loadProgress(stream);
    progress.read(3, 2);
    progress.uploaded(2, 'key-1');
    progress.uploaded(1, 'key-2');
    progress.stop();
    const out = stream.chunks.join('');
    assert.match(out, /^read 3 impressions in 2 partitions\n/);
    assert.match(out, /uploading .* 100% \| 3\/3 impressions \| 2\/2 partitions/);
    assert.doesNotMatch(out, /key-1/, 'the bar does not list keys');
  });
});
