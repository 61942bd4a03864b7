/**
 * `npm run demo:upload`: uploads another sample file into the running `npm start` demo and waits
 * for its report, which arrives through S3 -> SNS -> the endpoint, with no further action.
 */
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createS3Client } from '../s3/s3';
import { openDuckDb } from '../parquet/duckdb';
import { DemoInfo, uploadSample, waitForReport } from './demo';
import { PROJECT_ROOT } from './venv';

const ROWS = 10_000;

async function main(): Promise<void> {
  const dir = process.env.DEMO_DIR ?? join(PROJECT_ROOT, '.work');
  let demo: DemoInfo;
  try {
    demo = JSON.parse(await readFile(join(dir, 'demo.json'), 'utf8')) as DemoInfo;
  } catch {
    throw new Error(`no running demo found in ${dir}: start it with \`npm start\` first (in this directory)`);
  }
  Object.assign(process.env, demo.env);
  const s3 = createS3Client({ AWS_REGION: demo.env.AWS_REGION!, S3_ENDPOINT: demo.env.S3_ENDPOINT, S3_FORCE_PATH_STYLE: true });
  const scratch = await mkdtemp(join(tmpdir(), 'fme-demo-upload-'));
  const db = await openDuckDb({ memoryLimit: '256MB', threads: 1, tempDirectory: scratch });
  try {
    const { key } = await uploadSample(db, s3, scratch, ROWS);
    console.log(`uploaded s3://${demo.bucket}/${key} (${ROWS} rows); waiting for its report ...`);
    const report = await waitForReport(s3, demo.bucket, demo.statusPrefix, key, 60_000);
    console.log(`report:  s3://${demo.bucket}/${report.reportKey}\nrows:    ${report.valid} valid, ${report.invalid} invalid`);
  } finally {
    db.closeSync();
  }
}

main().catch((err: unknown) => {
  console.error(`error: ${err instanceof Error ? err.message : String(err)}`);
  process.exit(1);
});
