import assert from 'node:assert/strict';
import { ESLint } from 'eslint';
import { PROJECT_ROOT } from '../support/paths';

/**
 * The layering of src/ is enforced by lint (eslint.config.mjs); these cases prove each rule
 * fires on the import it forbids, and stays quiet on the imports the layer is allowed.
 */
describe('lint enforces the layers of src/', function () {
  this.timeout(120_000);
  let eslint: ESLint;

  before(() => {
    // With CI=true typescript-eslint infers a single run and reads each file from disk once,
    // ignoring the text lintText passes; these cases lint text that is not on disk.
    eslint = new ESLint({
      cwd: PROJECT_ROOT,
      overrideConfig: { languageOptions: { parserOptions: { disallowAutomaticSingleRunInference: true } } },
    });
  });

  async function restrictedImports(filePath: string, code: string): Promise<string[]> {
    const [result] = await eslint.lintText(`${code}\n`, { filePath: `${PROJECT_ROOT}/${filePath}` });
    return result!.messages.filter((m) => m.ruleId === 'no-restricted-imports').map((m) => m.message);
  }

  const forbidden: [layer: string, file: string, code: string][] = [
    ['activities', 'src/activities/sharedActivities.ts', "import { fileWorkflow } from '../workflows/fileWorkflow';"],
    ['activities', 'src/activities/sharedActivities.ts', "import type { fileWorkflow } from '../workflows/fileWorkflow';"],
    ['activities', 'src/activities/fileActivities.ts', "import { loadSettings } from '../config/settings';"],
    ['activities', 'src/activities/fileActivities.ts', "import { createWorkerProcess } from '../worker/workerProcess';"],
    ['activities', 'src/activities/fileActivities.ts', "import { proxyActivities } from '@temporalio/workflow';"],
    ['domain', 'src/domain/codes.ts', "import { readFile } from 'node:fs/promises';"],
    ['domain', 'src/domain/codes.ts', "import { readFile } from 'fs';"],
    ['domain', 'src/domain/codes.ts', "import { S3Client } from '@aws-sdk/client-s3';"],
    ['domain', 'src/domain/codes.ts', "import { DuckDBInstance } from '@duckdb/node-api';"],
    ['domain', 'src/domain/codes.ts', "import { defineSignal } from '@temporalio/workflow';"],
    ['domain', 'src/domain/codes.ts', "import { reprocessSignal } from '../messages';"],
    ['domain', 'src/domain/codes.ts', "import { openDuckDb } from '../parquet/duckdb';"],
    ['parquet', 'src/parquet/duckdb.ts', "import { Context } from '@temporalio/activity';"],
    ['parquet', 'src/parquet/duckdb.ts', "import { createFileActivities } from '../activities/fileActivities';"],
    ['parquet', 'src/parquet/duckdb.ts', "import { fileWorkflow } from '../workflows/fileWorkflow';"],
    ['parquet', 'src/parquet/duckdb.ts', "import { S3Client } from '@aws-sdk/client-s3';"],
    ['parquet (nested)', 'src/parquet/lzo/transcode.ts', "import { fileWorkflow } from '../../workflows/fileWorkflow';"],
    ['messages', 'src/messages/index.ts', "import { proxyActivities } from '@temporalio/workflow';"],
    ['messages', 'src/messages/index.ts', "import { Client } from '@temporalio/client';"],
    ['messages', 'src/messages/index.ts', "import { readFile } from 'node:fs';"],
    ['messages', 'src/messages/index.ts', "import { z } from 'zod';"],
    ['messages', 'src/messages/index.ts', "import { fileWorkflow } from '../workflows/fileWorkflow';"],
    ['workflows', 'src/workflows/fileWorkflow.ts', "import { createFileActivities } from '../activities/fileActivities';"],
    ['workflows', 'src/workflows/fileWorkflow.ts', "import { join } from 'node:path';"],
    ['workflows', 'src/workflows/fileWorkflow.ts', "import { z } from 'zod';"],
    ['workflows', 'src/workflows/fileWorkflow.ts', "import { openDuckDb } from '../parquet/duckdb';"],
    ['workflows', 'src/workflows/fileWorkflow.ts', "import { Context } from '@temporalio/activity';"],
    ['config', 'src/config/settings.ts', "import { createS3Client } from '../s3/s3';"],
    ['s3', 'src/s3/s3.ts', "import { reprocessSignal } from '../messages';"],
    ['client', 'src/client.ts', "import { createWorkerProcess } from './worker/workerProcess';"],
    ['client', 'src/client.ts', "import { createFileActivities } from './activities/fileActivities';"],
  ];
  for (const [layer, file, code] of forbidden) {
    it(`${layer}: refuses ${code}`, async () => {
      assert.equal((await restrictedImports(file, code)).length, 1, `expected a no-restricted-imports error in ${file}`);
    });
  }

  const allowed: [layer: string, file: string, code: string][] = [
    ['activities', 'src/activities/sharedActivities.ts', "import { statusEntriesSignal } from '../messages';"],
    ['activities', 'src/activities/fileActivities.ts', "import { openDuckDb } from '../parquet/duckdb';"],
    ['activities', 'src/activities/sharedActivities.ts', "import type { Client } from '@temporalio/client';"],
    ['domain', 'src/domain/codes.ts', "import { z } from 'zod';"],
    ['domain', 'src/domain/keys.ts', "import { stableHash } from './hash';"],
    ['messages', 'src/messages/index.ts', "import { defineSignal, defineQuery, defineUpdate } from '@temporalio/workflow';"],
    ['messages', 'src/messages/index.ts', "import type { ObjectVersion } from '../domain/keys';"],
    ['parquet', 'src/parquet/duckdb.ts', "import { planChunks } from '../domain/chunkPlan';"],
    ['workflows', 'src/workflows/fileWorkflow.ts', "import type { FileActivities } from '../activities/fileActivities';"],
    ['workflows', 'src/workflows/fileWorkflow.ts', "import { reprocessSignal } from '../messages';"],
    ['client', 'src/client.ts', "import type { fileWorkflow } from './workflows/fileWorkflow';"],
  ];
  for (const [layer, file, code] of allowed) {
    it(`${layer}: allows ${code}`, async () => {
      assert.deepEqual(await restrictedImports(file, code), []);
    });
  }

  it('the whole project is lint-clean (no layer violation today)', async () => {
    const results = await eslint.lintFiles(['src']);
    const errors = results.flatMap((r) => r.messages.filter((m) => m.severity === 2).map((m) => `${r.filePath}:${m.line} ${m.message}`));
    assert.deepEqual(errors, []);
  });
});
