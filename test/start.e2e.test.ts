import assert from 'node:assert/strict';
import { ChildProcess, execFile, spawn } from 'node:child_process';
import { mkdtemp } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ListObjectsV2Command } from '@aws-sdk/client-s3';
import { freePort } from '../src/dev/moto';
import { createS3Client } from '../src/s3/s3';
import { PROJECT_ROOT } from './support/paths';
import { waitFor } from './support/harness';

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

function exited(child: ChildProcess): Promise<number | null> {
  return child.exitCode !== null ? Promise.resolve(child.exitCode) : new Promise((r) => child.once('exit', (code) => r(code)));
}

/**
 * `npm start` as a newcomer runs it (pre-scripts skipped: the suite already built lib/, and a
 * rebuild would pull it from under the running tests).
 */
describe('npm start: the demo a newcomer runs', function () {
  this.timeout(300_000);

  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    it(`prints an environment the CLI works with as pasted, logs no WARN, and ${signal} to npm stops everything it started`, async () => {
      const [temporalPort, uiPort, motoPort, httpPort, intakePort] = [await freePort(), await freePort(), await freePort(), await freePort(), await freePort()];
      const demoDir = await mkdtemp(join(tmpdir(), 'fme-demo-'));
      const npm = spawn('npm', ['start', '--ignore-scripts'], {
        cwd: PROJECT_ROOT,
        env: { ...process.env, TEMPORAL_PORT: String(temporalPort), TEMPORAL_UI_PORT: String(uiPort), MOTO_PORT: String(motoPort), HTTP_PORT: String(httpPort), INTAKE_PORT: String(intakePort), DEMO_DIR: demoDir },
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      let output = '';
      npm.stdout!.on('data', (d: Buffer) => (output += d.toString()));
      npm.stderr!.on('data', (d: Buffer) => (output += d.toString()));
      try {
        await waitFor('the demo to finish its sample', async () => (output.includes('Running until Ctrl-C') ? true : undefined), 150_000);
        const exportLine = output.match(/^ {2}export (.+)$/m)?.[1];
        assert.ok(exportLine, output);
        const pasted = Object.fromEntries(exportLine.split(' ').map((kv) => kv.split('=') as [string, string]));
        assert.equal(pasted.TEMPORAL_ADDRESS, `127.0.0.1:${temporalPort}`);
        assert.equal(pasted.S3_ENDPOINT, `http://127.0.0.1:${motoPort}`);
        // The seed's flow: the sample's report came through S3 -> SNS -> the endpoint.
        assert.match(output, /^ {2}report: +s3:\/\/fme-demo-customer\/status\/\d{4}-\d\d-\d\d\/.+_report\.status$/m);
        assert.match(output, /no workflow was started by hand/);
        assert.match(output, new RegExp(`endpoint: +http://127\\.0\\.0\\.1:${httpPort}/v1/integrations/demo/notifications`));
        // The intake: a demo key, 300 impressions stored, and the printed key works for another post.
        const sdkKey = output.match(new RegExp(`^ {2}intake: +http://127\\.0\\.0\\.1:${intakePort}/api .*demo SDK key (fmesdk_\\S+)$`, 'm'))?.[1];
        assert.ok(sdkKey, output);
        assert.match(output, /^ {2}impressions: 300 posted as the Node SDK does, stored in s3:\/\/fme-events-warehouse\/impressions\/batches\/env=.+\.parquet$/m);
        const posted = await fetch(`http://127.0.0.1:${intakePort}/api/testImpressions/bulk`, {
          method: 'POST',
          headers: { authorization: `Bearer ${sdkKey}`, SplitSDKVersion: 'nodejs-11.11.2', 'content-type': 'application/json' },
          body: JSON.stringify([{ f: 'demo_flag', i: [{ k: 'user-1', t: 'on', m: Date.now() }] }]),
        });
        assert.equal(posted.status, 200, await posted.text());
        // The outbound half: the demo's export schedule, and where its first files appear.
        const exportFolder = output.match(/^ {14}s3:\/\/fme-demo-customer\/(impressions\/window_start=\d{8}T\d{4}Z\/) at about \S+ \(part, _manifest\.json, _SUCCESS\)$/m)?.[1];
        assert.ok(exportFolder, output);
        assert.match(output, /^ {2}export: +outbound integration demo-impressions, schedule export\/demo-impressions \(every minute\)/m);
        if (signal === 'SIGINT') {
          // Once is enough to see the schedule deliver: its run comes about a minute after the post.
          process.env.AWS_ACCESS_KEY_ID ??= 'testing';
          process.env.AWS_SECRET_ACCESS_KEY ??= 'testing';
          const customer = createS3Client({ AWS_REGION: 'us-east-1', S3_ENDPOINT: `http://127.0.0.1:${motoPort}`, S3_FORCE_PATH_STYLE: true });
          const listed = await waitFor(
            'the first export of the demo impressions',
            async () => {
              const keys = (await customer.send(new ListObjectsV2Command({ Bucket: 'fme-demo-customer', Prefix: exportFolder }))).Contents?.map((o) => o.Key!.split('/').pop()) ?? [];
              return keys.includes('_SUCCESS') ? keys : undefined;
            },
            120_000,
          );
          assert.deepEqual(listed.sort(), ['_SUCCESS', '_manifest.json', 'part-00000.snappy.parquet']);
        }

        // The printed upload command: another file, another report, nothing else done.
        assert.match(output, new RegExp(`^ {2}DEMO_DIR=${demoDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')} npm run -s demo:upload$`, 'm'));
        const upload = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
          execFile('npm', ['run', '-s', 'demo:upload'], { cwd: PROJECT_ROOT, env: { ...process.env, DEMO_DIR: demoDir } }, (err, stdout, stderr) =>
            resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
          ),
        );
        assert.equal(upload.code, 0, upload.stderr);
        assert.match(upload.stdout, /^report: +s3:\/\/fme-demo-customer\/status\/.+_report\.status\nrows: +\d+ valid, \d+ invalid$/m);
        // Both files were started by the endpoint, from SNS's notifications: none by hand.
        const metrics = await (await fetch(`http://127.0.0.1:${httpPort}/metrics`)).text();
        assert.match(metrics, /^fme_endpoint_files_total\{result="started"\} 2$/m, metrics);
        const progressLine = output.match(/^ {2}npm run -s cli -- (progress .+)$/m)?.[1];
        assert.ok(progressLine, output);

        // Only what was printed, plus PATH: nothing of the test's own environment helps.
        const progress = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) =>
          execFile('node', ['lib/src/cli/main.js', ...progressLine.split(/ +/), '--json'], { cwd: PROJECT_ROOT, env: { PATH: process.env.PATH, ...pasted } }, (err, stdout, stderr) =>
            resolve({ code: err ? Number(err.code) : 0, stdout, stderr }),
          ),
        );
        assert.equal(progress.code, 0, progress.stderr);
        assert.equal(JSON.parse(progress.stdout).phase, 'waiting-for-reprocess');
        // The printed offline command validates the demo's own sample: exit 1 (it has invalid rows on purpose).
        const validateLine = output.match(/^ {2}npm run -s cli -- (validate \S+ --environments \S+)/m)?.[1];
        assert.ok(validateLine, output);
        const validated = await new Promise<{ code: number; stdout: string }>((resolve) =>
          execFile('node', ['lib/src/cli/main.js', ...validateLine.split(/ +/)], { cwd: PROJECT_ROOT, maxBuffer: 16 * 1024 * 1024 }, (err, stdout) =>
            resolve({ code: err ? Number(err.code) : 0, stdout }),
          ),
        );
        assert.equal(validated.code, 1);
        const rows = Object.values(JSON.parse(validated.stdout) as Record<string, { numberOfRows: number }[]>).flat().reduce((n, e) => n + e.numberOfRows, 0);
        assert.equal(rows, 250_000);
        assert.doesNotMatch(output, /WARN|Warning/);

        npm.kill(signal);
        const code = await exited(npm);
        assert.equal(code, 0, output);
        assert.match(output, new RegExp(`${signal}: stopping the worker, the endpoint, the intake, the Temporal dev server and moto`));
        for (const port of [temporalPort, uiPort, motoPort, httpPort, intakePort]) assert.equal(await portOpen(port), false, `port ${port} still open`);
      } finally {
        if (npm.exitCode === null) npm.kill('SIGKILL');
      }
    });
  }
});
