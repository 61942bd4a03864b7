import assert from 'node:assert/strict';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadSettings } from '../src/config/settings';

function errorOf(env: NodeJS.ProcessEnv): ConfigError {
  try {
    loadSettings(env);
  } catch (err) {
    assert.ok(err instanceof ConfigError, `expected a ConfigError, got ${String(err)}`);
    return err;
  }
  assert.fail('loadSettings accepted an invalid environment');
}

describe('config', () => {
  it('has defaults for every setting', () => {
    assert.deepEqual(loadSettings({}), {
      TEMPORAL_ADDRESS: 'localhost:7233',
      TEMPORAL_NAMESPACE: 'default',
      TASK_QUEUE: 'fme-s3-integration',
      AWS_REGION: 'us-east-1',
      S3_FORCE_PATH_STYLE: false,
      WAREHOUSE_BUCKET: 'fme-events-warehouse',
      WAREHOUSE_PREFIX: 'events',
      WORK_DIR: join(tmpdir(), 'fme-s3-integration'),
      CHUNK_TARGET_ROWS: 1_000_000,
      STATUS_FLUSH_DELAY: 5_000,
      STATUS_PASS_WAIT: 60_000,
      REPROCESS_WINDOW: 7 * 86_400_000,
      DUCKDB_MEMORY_LIMIT: '512MB',
      DUCKDB_THREADS: 2,
      WORKER_MAX_CONCURRENT_CHUNKS: 2,
      WORKER_CAPACITY: 2 * 1024 ** 3,
      WORKER_MIN_FILE_COST: 16 * 1024 ** 2,
      SMALL_FILE_MAX_BYTES: 4 * 1024 ** 2,
      SMALL_FILE_CONCURRENCY: 8,
      LEASE_TIMEOUT: 20_000,
      HTTP_HOST: '0.0.0.0',
      HTTP_PORT: 8080,
      INTEGRATION_CACHE_TTL: 5_000,
      SWEEP_INTERVAL: 300_000,
      SWEEP_GRACE: 120_000,
      SWEEP_LOOKBACK: 86_400_000,
      PUBLIC_BASE_URL: 'http://localhost:8080',
      FME_ROLE_ARN: 'arn:aws:iam::000000000000:role/fme-s3-integration',
      LOG_LEVEL: 'INFO',
      WORKER_METRICS_ADDRESS: '0.0.0.0:9464',
      INTAKE_PUBLIC_URL: 'http://localhost:8090',
      INTAKE_PORT: 8090,
      INTAKE_MAX_BODY_BYTES: 16 * 1024 ** 2,
      INTAKE_ANSWER_DEADLINE: 5_000,
      INTAKE_CONCURRENCY: 4,
      INTAKE_MAX_INFLIGHT_BYTES: 512 * 1024 ** 2,
      INTAKE_KEY_CACHE_TTL: 30_000,
      EXPORT_SETTLE_DELAY: 120_000,
      EXPORT_DEDUP_LOOKBACK: 3_600_000,
      EXPORT_CONCURRENCY: 2,
      DECOMPRESSED_MAX_BYTES: 64 * 1024 ** 3,
      DECOMPRESSION_MAX_RATIO: 1000,
    });
  });

  it('refuses a settle delay that is not whole seconds, and fewer than 2 export slots, saying what to set', () => {
    assert.match(errorOf({ EXPORT_SETTLE_DELAY: '90500ms' }).message, /^ {2}EXPORT_SETTLE_DELAY: whole seconds .*\(got "90500ms"\)$/m);
    assert.match(errorOf({ EXPORT_CONCURRENCY: '1' }).message, /^ {2}EXPORT_CONCURRENCY: at least 2, .*\(got "1"\)$/m);
  });

  it('refuses an intake body limit under 10 MiB and an answer deadline under a second, saying what to set', () => {
    assert.match(errorOf({ INTAKE_MAX_BODY_BYTES: '5MB' }).message, /^ {2}INTAKE_MAX_BODY_BYTES: at least 10MiB .*\(got "5MB"\)$/m);
    assert.match(errorOf({ INTAKE_ANSWER_DEADLINE: '500ms' }).message, /^ {2}INTAKE_ANSWER_DEADLINE: at least 1s \(got "500ms"\)$/m);
  });

  it('reads decompression limits as byte sizes (decimal or binary units, or plain bytes) and a ratio', () => {
    assert.equal(loadSettings({ DECOMPRESSED_MAX_BYTES: '1048576' }).DECOMPRESSED_MAX_BYTES, 1_048_576);
    assert.equal(loadSettings({ DECOMPRESSED_MAX_BYTES: '1MiB' }).DECOMPRESSED_MAX_BYTES, 1_048_576);
    assert.equal(loadSettings({ DECOMPRESSED_MAX_BYTES: '500MB' }).DECOMPRESSED_MAX_BYTES, 500_000_000);
    assert.equal(loadSettings({ DECOMPRESSED_MAX_BYTES: '1.5 GiB' }).DECOMPRESSED_MAX_BYTES, 1.5 * 1024 ** 3);
    assert.equal(loadSettings({ DECOMPRESSED_MAX_BYTES: '2TB' }).DECOMPRESSED_MAX_BYTES, 2e12);
    assert.equal(loadSettings({ DECOMPRESSION_MAX_RATIO: '250' }).DECOMPRESSION_MAX_RATIO, 250);
    assert.match(errorOf({ DECOMPRESSED_MAX_BYTES: 'lots' }).message, /^ {2}DECOMPRESSED_MAX_BYTES: a size such as 64GiB, 500MB or 1048576 \(got "lots"\)$/m);
    assert.match(errorOf({ DECOMPRESSED_MAX_BYTES: '0' }).message, /^ {2}DECOMPRESSED_MAX_BYTES: .*\(got "0"\)$/m);
    assert.match(errorOf({ DECOMPRESSION_MAX_RATIO: '0' }).message, /^ {2}DECOMPRESSION_MAX_RATIO: .*\(got "0"\)$/m);
    assert.match(errorOf({ DECOMPRESSION_MAX_RATIO: 'x' }).message, /^ {2}DECOMPRESSION_MAX_RATIO: .*\(got "x"\)$/m);
  });

  it('reads the worker metrics address as host:port, the empty string turning the metrics off', () => {
    assert.equal(loadSettings({ WORKER_METRICS_ADDRESS: '127.0.0.1:19464' }).WORKER_METRICS_ADDRESS, '127.0.0.1:19464');
    assert.equal(loadSettings({ WORKER_METRICS_ADDRESS: '[::]:9464' }).WORKER_METRICS_ADDRESS, '[::]:9464');
    assert.equal(loadSettings({ WORKER_METRICS_ADDRESS: '' }).WORKER_METRICS_ADDRESS, '');
    for (const bad of ['9464', 'localhost', 'http://0.0.0.0:9464']) {
      assert.match(errorOf({ WORKER_METRICS_ADDRESS: bad }).message, /^ {2}WORKER_METRICS_ADDRESS: host:port such as 0\.0\.0\.0:9464, or empty/m, bad);
    }
  });

  it('refuses settings that contradict each other, naming the variable to change', () => {
    assert.match(errorOf({ TLS_CERT_FILE: '/c.pem' }).message, /^ {2}TLS_KEY_FILE: set TLS_CERT_FILE and TLS_KEY_FILE together, or neither/m);
    assert.match(errorOf({ REPROCESS_WINDOW: '12h' }).message, /^ {2}SWEEP_LOOKBACK: shorter than REPROCESS_WINDOW/m);
    assert.match(errorOf({ SWEEP_GRACE: '2d' }).message, /^ {2}SWEEP_LOOKBACK: longer than SWEEP_GRACE/m);
  });

  it('parses numbers, durations and booleans', () => {
    const s = loadSettings({
      CHUNK_TARGET_ROWS: '2048',
      STATUS_FLUSH_DELAY: '500ms',
      REPROCESS_WINDOW: '2h',
      SWEEP_LOOKBACK: '1h',
      S3_FORCE_PATH_STYLE: '1',
      S3_ENDPOINT: 'http://127.0.0.1:5000',
      DUCKDB_MEMORY_LIMIT: '1.5GB',
    });
    assert.equal(s.CHUNK_TARGET_ROWS, 2048);
    assert.equal(s.STATUS_FLUSH_DELAY, 500);
    assert.equal(s.REPROCESS_WINDOW, 7_200_000);
    assert.equal(s.S3_FORCE_PATH_STYLE, true);
    assert.equal(s.S3_ENDPOINT, 'http://127.0.0.1:5000');
    assert.equal(s.DUCKDB_MEMORY_LIMIT, '1.5GB');
    assert.equal(loadSettings({ STATUS_FLUSH_DELAY: '10m' }).STATUS_FLUSH_DELAY, 600_000);
    assert.equal(loadSettings({ REPROCESS_WINDOW: '7d' }).REPROCESS_WINDOW, 604_800_000);
    assert.equal(loadSettings({ STATUS_FLUSH_DELAY: '5s' }).STATUS_FLUSH_DELAY, 5_000);
    assert.equal(loadSettings({ S3_FORCE_PATH_STYLE: 'false' }).S3_FORCE_PATH_STYLE, false);
  });

  it('an invalid value names the variable, what it expects and what it got', () => {
    const err = errorOf({ CHUNK_TARGET_ROWS: 'lots' });
    assert.match(err.message, /^Invalid configuration; set these environment variables:\n/);
    assert.match(err.message, /^ {2}CHUNK_TARGET_ROWS: .* \(got "lots"\)$/m);

    const d = errorOf({ STATUS_FLUSH_DELAY: '5 seconds' });
    assert.match(d.message, /^ {2}STATUS_FLUSH_DELAY: a duration such as 500ms, 5s, 10m, 2h or 7d \(got "5 seconds"\)$/m);

    const m = errorOf({ DUCKDB_MEMORY_LIMIT: 'lots' });
    assert.match(m.message, /^ {2}DUCKDB_MEMORY_LIMIT: a size such as 512MB \(got "lots"\)$/m);
  });

  it('rejects values of the right shape but out of range', () => {
    assert.match(errorOf({ CHUNK_TARGET_ROWS: '0' }).message, /^ {2}CHUNK_TARGET_ROWS: .*\(got "0"\)$/m);
    assert.match(errorOf({ CHUNK_TARGET_ROWS: '1.5' }).message, /^ {2}CHUNK_TARGET_ROWS: .*\(got "1.5"\)$/m);
    assert.match(errorOf({ DUCKDB_THREADS: '-2' }).message, /^ {2}DUCKDB_THREADS: .*\(got "-2"\)$/m);
    assert.match(errorOf({ WAREHOUSE_BUCKET: 'ab' }).message, /^ {2}WAREHOUSE_BUCKET: .*\(got "ab"\)$/m);
    assert.match(errorOf({ TASK_QUEUE: '' }).message, /^ {2}TASK_QUEUE: .*\(got ""\)$/m);
    assert.match(errorOf({ S3_FORCE_PATH_STYLE: 'yes' }).message, /^ {2}S3_FORCE_PATH_STYLE: .*\(got "yes"\)$/m);
    assert.match(errorOf({ S3_ENDPOINT: 'not a url' }).message, /^ {2}S3_ENDPOINT: .*\(got "not a url"\)$/m);
  });

  it('lists every invalid variable, not just the first', () => {
    const err = errorOf({ CHUNK_TARGET_ROWS: 'x', REPROCESS_WINDOW: '1w', WORKER_MAX_CONCURRENT_CHUNKS: '0', TEMPORAL_ADDRESS: 'fine:7233' });
    const named = err.message
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(':')[0]);
    assert.deepEqual(named.sort(), ['CHUNK_TARGET_ROWS', 'REPROCESS_WINDOW', 'WORKER_MAX_CONCURRENT_CHUNKS']);
  });

  it('ignores unrelated environment variables', () => {
    assert.equal(loadSettings({ PATH: '/bin', HOME: '/root' }).TASK_QUEUE, 'fme-s3-integration');
  });
});
