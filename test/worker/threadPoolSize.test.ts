import assert from 'node:assert/strict';
import { WRITE_CONCURRENCY } from '../../src/parquet/exportConcurrency';
import { defaultThreadPoolSize } from '../../src/worker/threadPoolSize';

describe("the worker's libuv pool size", () => {
  it('gives a thread per CPU, one per COPY of the default two exports, and 4 more; at least 8', () => {
    assert.equal(defaultThreadPoolSize({}, 2), 2 + 2 * WRITE_CONCURRENCY + 4);
    assert.equal(defaultThreadPoolSize({}, 16), 16 + 2 * WRITE_CONCURRENCY + 4);
    assert.ok(defaultThreadPoolSize({}, 1) >= 8);
  });

  it("grows with EXPORT_CONCURRENCY, and ignores a value the settings will refuse", () => {
    assert.equal(defaultThreadPoolSize({ EXPORT_CONCURRENCY: '5' }, 2), 2 + 5 * WRITE_CONCURRENCY + 4);
    for (const bad of ['', 'x', '2.5', '-3', '0']) assert.equal(defaultThreadPoolSize({ EXPORT_CONCURRENCY: bad }, 2), defaultThreadPoolSize({}, 2), bad);
  });
});
