import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { StatusEntry } from '../src/domain/statusEntry';
import { validateWithCli } from './support/cli';
import { PROJECT_ROOT, VENV_PYTHON } from './support/paths';

/**
 * Contract column names are exact and case-sensitive, but DuckDB resolves identifiers
 * case-insensitively: a file with an extra `TIMESTAMP` before `timestamp` must be judged by
 * `timestamp`, never by its twin. Files from test/fixtures/pyarrow/make_files.py.
 */
describe('cli validate reads contract columns by their exact names', function () {
  let dir: string;
  let env: Record<string, string>;

  before(async function () {
    this.timeout(60_000);
    dir = await mkdtemp(join(tmpdir(), 'fme-exact-columns-'));
    await mkdir(join(dir, 'work'));
    env = { WORK_DIR: join(dir, 'work') };
    execFileSync(VENV_PYTHON, [join(PROJECT_ROOT, 'test', 'fixtures', 'pyarrow', 'make_files.py'), join(dir, 'pyarrow')], { stdio: 'pipe' });
  });

  after(async () => {
    if (dir) await rm(dir, { recursive: true, force: true });
  });

  const validate = (name: string) => validateWithCli(join(dir, 'pyarrow', name), 'env-a,env-b', env);
  const entry = (entryId: number, numberOfRows: number, errors: string[], errorsDetails: string[]): StatusEntry => ({
    originalCreationTime: 1_700_000_000_000,
    entryId,
    valid: errors.length === 0,
    numberOfRows,
    errors,
    errorsDetails,
    warnings: ['UNKNOWN_COLUMNS_IGNORED'],
  });

  it('an extra TIMESTAMP (seconds) before timestamp is ignored: no row is INVALID_TIMESTAMP', async () => {
    assert.deepEqual(await validate('case-colliding-timestamp.parquet'), [entry(0, 20, [], [])]);
  });

  it('an extra Key (INT64) before key is ignored: the null in key is found', async () => {
    assert.deepEqual(await validate('case-colliding-key.parquet'), [
      entry(0, 19, [], []),
      entry(1, 1, ['REQUIRED_FIELDS_NULL'], ['REQUIRED_FIELDS_NULL: 1 row (rows 5-5 of case-colliding-key.parquet) have null in required columns: key (1 row)']),
    ]);
  });

  it('every contract column shadowed by a twin of another type or with invalid values: all rows valid', async () => {
    assert.deepEqual(await validate('case-colliding-all.parquet'), [entry(0, 30, [], [])]);
  });
});
