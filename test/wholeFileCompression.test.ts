import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WHOLE_FILE_EXTENSION } from '../src/domain/export/formats';
import { bzip2Encoder, compressFile, JS_BZIP2_CHUNK_BYTES } from '../src/parquet/wholeFileCompression';
import { withFailingBzip2OnPath } from './support/withoutBzip2';

/** Impression-like JSON lines, deterministic, at least `bytes` long. */
function jsonLines(bytes: number): Buffer {
  const lines: string[] = [];
  let total = 0;
  let seed = 7;
  const next = () => (seed = (Math.imul(seed, 1103515245) + 12345) >>> 0);
  for (let ts = 1764680000000; total < bytes; ts += next() % 40) {
    const line = JSON.stringify({ key: `user-${next() % 200_000}`, splitName: `flag_${next() % 60}`, treatment: ['on', 'off', 'control'][next() % 3], timestamp: ts, session: next().toString(16) }) + '\n';
    lines.push(line);
    total += line.length;
  }
  return Buffer.from(lines.join(''));
}

/** Where in a .bz2 file each stream starts ("BZh9" then the first block's magic, or the end-of-stream magic when empty). */
function streamStarts(bz2: Buffer): number[] {
  const starts: number[] = [];
  for (const header of [Buffer.from('BZh91AY&SY', 'latin1'), Buffer.from('BZh9\x17rE8P', 'latin1')]) {
    for (let at = bz2.indexOf(header); at >= 0; at = bz2.indexOf(header, at + 1)) starts.push(at);
  }
  return starts.sort((a, b) => a - b);
}

describe('whole-file compression of export parts', function () {
  let dir: string;
  let small: string;
  let large: string;
  let empty: string;

  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fme-wholefile-'));
    small = join(dir, 'small.jsonl');
    large = join(dir, 'large.jsonl');
    empty = join(dir, 'empty.jsonl');
    await writeFile(small, jsonLines(3 * 1024 * 1024));
    // Past one JS chunk, so the JavaScript encoder writes two streams.
    await writeFile(large, jsonLines(JS_BZIP2_CHUNK_BYTES + 200_000).subarray(0, JS_BZIP2_CHUNK_BYTES + 200_000));
    await writeFile(empty, '');
  });

  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  const decoded = (tool: string, args: string[], file: string) => execFileSync(tool, [...args, file], { maxBuffer: 64 * 1024 * 1024 });

  it('names the extensions .gz and .bz2', () => {
    assert.deepEqual(WHOLE_FILE_EXTENSION, { gzip: 'gz', bzip2: 'bz2' });
  });

  it('writes gzip that the system gunzip -c decodes to the input bytes, and resolves with its size', async () => {
    for (const [input, level] of [[small, undefined], [small, 1], [small, 6], [empty, undefined]] as const) {
      const out = join(dir, `gzip-${level}-${input === empty ? 'empty' : 'small'}.gz`);
      const size = await compressFile(input, out, 'gzip', level === undefined ? {} : { gzipLevel: level });
      assert.equal(size, (await stat(out)).size);
      assert.ok(decoded('gunzip', ['-c'], out).equals(await readFile(input)), `gzip level ${level ?? 'default'} of ${input}`);
    }
  });

  it('writes bzip2 with the system encoder that bzip2 -dc decodes to the input bytes (one stream; empty input too)', async () => {
    for (const input of [small, empty]) {
      const out = `${input}.system.bz2`;
      const size = await compressFile(input, out, 'bzip2', { bzip2: 'system' });
      const bz2 = await readFile(out);
      assert.equal(size, bz2.length);
      assert.deepEqual(streamStarts(bz2), [0]);
      assert.ok(decoded('bzip2', ['-dc'], out).equals(await readFile(input)));
    }
  });

  it('writes bzip2 with the JavaScript encoder that bzip2 -dc decodes to the input bytes, as concatenated streams past one chunk (empty input too)', async () => {
    for (const [input, streams] of [[large, 2], [empty, 1]] as const) {
      const out = `${input}.js.bz2`;
      const size = await compressFile(input, out, 'bzip2', { bzip2: 'js' });
      const bz2 = await readFile(out);
      assert.equal(size, bz2.length);
      assert.equal(streamStarts(bz2).length, streams, `streams in ${out}`);
      assert.ok(decoded('bzip2', ['-dc'], out).equals(await readFile(input)), `bzip2 -dc of ${out}`);
    }
  });

  it('uses the system bzip2 for auto when bzip2 is on PATH (one stream where the JavaScript encoder writes two)', async () => {
    execFileSync('sh', ['-c', 'command -v bzip2']);
    assert.equal(bzip2Encoder(), 'system');
    const out = join(dir, 'large.auto.bz2');
    await compressFile(large, out, 'bzip2');
    assert.deepEqual(streamStarts(await readFile(out)), [0]);
    assert.ok(decoded('bzip2', ['-dc'], out).equals(await readFile(large)));
  });

  it('rejects a missing input with an Error naming it, and leaves no output', async () => {
    const missing = join(dir, 'no-such-file.jsonl');
    for (const [codec, bzip2] of [['gzip', undefined], ['bzip2', 'system'], ['bzip2', 'js']] as const) {
      const out = join(dir, `missing.${codec}.${bzip2}`);
      await assert.rejects(compressFile(missing, out, codec, { bzip2 }), (err: Error) => {
        assert.match(err.message, /^cannot compress .*no-such-file\.jsonl: ENOENT/);
        return true;
      });
      assert.equal(existsSync(out), false);
    }
  });

  it('rejects when the bzip2 encoder fails, with its exit code and message, and removes the partial output', async () => {
    const out = join(dir, 'failing.bz2');
    await withFailingBzip2OnPath(dir, ['bzip2: I/O or other error, bailing out.  Possible reason follows.', 'bzip2: No space left on device'], () =>
      assert.rejects(compressFile(small, out, 'bzip2', { bzip2: 'system' }), /bzip2 exited with 1: I\/O or other error, bailing out\. +Possible reason follows\. No space left on device/),
    );
    assert.equal(existsSync(out), false);
  });

  it('rejects with the abort reason when the signal is aborted, before or during compression, and leaves no output', async () => {
    for (const [codec, bzip2] of [['gzip', undefined], ['bzip2', 'system'], ['bzip2', 'js']] as const) {
      const out = join(dir, `aborted.${codec}.${bzip2}`);
      await assert.rejects(compressFile(small, out, codec, { bzip2, signal: AbortSignal.abort() }), { name: 'AbortError' });
      assert.equal(existsSync(out), false);
    }
    // Mid-way: the system bzip2 is killed (it would take about a second on this input).
    const controller = new AbortController();
    const out = join(dir, 'aborted-midway.bz2');
    const started = Date.now();
    setTimeout(() => controller.abort(), 30);
    await assert.rejects(compressFile(large, out, 'bzip2', { bzip2: 'system', signal: controller.signal }), { name: 'AbortError' });
    assert.ok(Date.now() - started < 500, 'bzip2 stopped at once');
    assert.equal(existsSync(out), false);
  });
});
