import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdir, mkdtemp, readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { processDirName, sweepDeadProcessDirs } from '../src/worker/scratchDirs';

describe('scratch directories of dead workers and intakes', () => {
  it('removes only the directories of this host whose process is gone', async () => {
    const workDir = await mkdtemp(join(tmpdir(), 'fme-sweep-'));
    const deadPid = spawnSync('true').pid!;
    const names = {
      deadWorker: processDirName('worker', 'ab12cd34', deadPid, 'host-a.example'),
      deadDuckdb: processDirName('duckdb', '0f0f0f0f', deadPid, 'host-a.example'),
      deadIntake: processDirName('intake', '1a2b3c4d', deadPid, 'host-a.example'),
      liveIntake: processDirName('intake', '1a2b3c4d', process.pid, 'host-a.example'),
      liveWorker: processDirName('worker', 'ab12cd34', process.pid, 'host-a.example'),
      otherHost: processDirName('worker', 'ab12cd34', deadPid, 'host-b'),
      unrelated: 'files-kept',
    };
    for (const n of Object.values(names)) await mkdir(join(workDir, n));

    const removed = await sweepDeadProcessDirs(workDir, 'host-a.example');

    assert.deepEqual(removed.sort(), [names.deadDuckdb, names.deadIntake, names.deadWorker].sort());
    assert.deepEqual((await readdir(workDir)).sort(), [names.liveIntake, names.liveWorker, names.otherHost, names.unrelated].sort());
  });

  it("removes a directory of this very pid made before the process started (a container's restarted pid 1)", async () => {
    const workDir = await mkdtemp(join(tmpdir(), 'fme-sweep-'));
    const predecessor = processDirName('intake', '1a2b3c4d', process.pid, 'host-a.example');
    await mkdir(join(workDir, predecessor));
    const removed = await sweepDeadProcessDirs(workDir, 'host-a.example', Date.now() + 60_000);
    assert.deepEqual(removed, [predecessor]);
  });

  it('names a directory after its kind, host, pid and a random part', () => {
    assert.equal(processDirName('worker', 'abc', 42, 'h-1'), 'worker-h-1-42-abc');
  });
});
