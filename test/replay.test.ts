import assert from 'node:assert/strict';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Worker } from '@temporalio/worker';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { HISTORIES_DIR } from './support/histories';
import { workflowBundle } from './support/temporal';

/**
 * Recorded histories of earlier workflow code must replay on the current code: a change
 * that breaks one needs `patched()` (or a new workflow type), never an edited history.
 */
describe('replay of recorded workflow histories', function () {
  it('replays every history under test/histories without nondeterminism', async function () {
    const files = (await readdir(HISTORIES_DIR)).filter((f) => f.endsWith('.json')).sort();
    assert.ok(files.length >= 4, `expected recorded histories, found ${files.length}`);
    const types = new Set<string>();
    const histories = await Promise.all(
      files.map(async (f) => {
        const history = historyFromJSON(JSON.parse(await readFile(join(HISTORIES_DIR, f), 'utf8')));
        const started = history.events?.[0]?.workflowExecutionStartedEventAttributes;
        types.add(started?.workflowType?.name ?? '?');
        return { workflowId: f.replace(/\.json$/, ''), history };
      }),
    );
    for (const type of ['fileWorkflow', 'statusWorkflow', 'integrationWorkflow']) assert.ok(types.has(type), `${type} recorded, got ${[...types]}`);
    const results = Worker.runReplayHistories({ workflowBundle: await workflowBundle() }, histories);
    const failures: string[] = [];
    for await (const r of results) if (r.error) failures.push(`${r.workflowId}: ${r.error.message}`);
    assert.deepEqual(failures, []);
  });
});
