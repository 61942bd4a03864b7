import assert from 'node:assert/strict';
import { runCli } from './support/cli';

const run = (args: string[]) => runCli(args);

const EXIT_CODES = /Exit codes:\n {2}0 {2}done.*\n {2}1 {2}invalid data.*\n {2}2 {2}usage error.*\n {2}3 {2}operational failure/;

describe('CLI help: every command explains itself and exits 0', () => {
  it('cli --help lists every command, the environment it reads and the exit codes', async () => {
    const r = await run(['--help']);
    assert.equal(r.code, 0, r.stderr);
    for (const command of ['validate', 'integration', 'export', 'process', 'reprocess', 'progress']) assert.match(r.stdout, new RegExp(`^ {2}${command} `, 'm'));
    assert.match(r.stdout, /TEMPORAL_ADDRESS/);
    assert.match(r.stdout, /`npm start` demo/);
    assert.match(r.stdout, EXIT_CODES);
    assert.equal(r.stderr, '');
  });

  for (const command of ['validate', 'process', 'reprocess', 'progress']) {
    it(`cli ${command} --help and cli help ${command} show its options and the exit codes`, async () => {
      for (const args of [[command, '--help'], ['help', command]]) {
        const r = await run(args);
        assert.equal(r.code, 0, r.stderr);
        assert.match(r.stdout, new RegExp(`^Usage: cli ${command} \\[options\\]`));
        assert.match(r.stdout, EXIT_CODES);
      }
    });
  }

  for (const sub of ['create', 'list', 'show', 'update', 'delete']) {
    it(`cli integration ${sub} --help shows its options and the exit codes`, async () => {
      const r = await run(['integration', sub, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Usage: cli integration ${sub} \\[options\\]`));
      assert.match(r.stdout, EXIT_CODES);
    });
  }

  for (const sub of ['create', 'show', 'update', 'delete', 'backfill', 'status', 'pause', 'resume']) {
    it(`cli export ${sub} --help shows its options and the exit codes`, async () => {
      const r = await run(['export', sub, '--help']);
      assert.equal(r.code, 0, r.stderr);
      assert.match(r.stdout, new RegExp(`^Usage: cli export ${sub} \\[options\\]`));
      assert.match(r.stdout, EXIT_CODES);
    });
  }

  it('export create names every field of an outbound configuration as a flag', async () => {
    const r = await run(['export', 'create', '--help']);
    for (const flag of ['--id', '--bucket', '--environments', '--region', '--write-prefix', '--format', '--compression', '--interval', '--account-id']) assert.match(r.stdout, new RegExp(`${flag} `));
  });

  it('integration create names every field as a flag', async () => {
    const r = await run(['integration', 'create', '--help']);
    for (const flag of ['--id', '--bucket', '--region', '--topic-arn', '--status-prefix', '--environments', '--prefix', '--suffixes']) assert.match(r.stdout, new RegExp(`${flag} `));
  });

  it('every command that prints data other than JSON has --json', async () => {
    const commands = [
      ['process'],
      ['reprocess'],
      ['progress'],
      ...['create', 'list', 'show', 'update', 'delete'].map((s) => ['integration', s]),
      ...['create', 'show', 'update', 'delete', 'backfill', 'status', 'pause', 'resume'].map((s) => ['export', s]),
    ];
    for (const command of commands) {
      assert.match((await run([...command, '--help'])).stdout, /--json +print the result as JSON/, command.join(' '));
    }
  });
});
