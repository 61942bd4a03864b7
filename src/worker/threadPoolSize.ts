import { DEFAULT_EXPORT_CONCURRENCY } from '../config/settings';
import { WRITE_CONCURRENCY } from '../parquet/exportConcurrency';

/**
 * libuv's thread pool (4 threads by default) runs zlib, file I/O and every DuckDB query (the
 * bindings hold a pool thread for a query's whole run), so long queries and the gzip of export
 * parts would queue behind each other. The default: a thread per CPU for finishing parts, one
 * for each COPY the exports run at once (EXPORT_CONCURRENCY exports of WRITE_CONCURRENCY parts
 * each), and 4 for file I/O and short queries; at least 8. Sized before anything uses the pool,
 * which starts on first use (threadPool.ts, the worker's first import), so EXPORT_CONCURRENCY is
 * read raw here: an invalid value is reported when the settings load.
 */
export function defaultThreadPoolSize(env: NodeJS.ProcessEnv, cpus: number): number {
  const exports = Number(env.EXPORT_CONCURRENCY);
  const concurrentExports = Number.isInteger(exports) && exports > 0 ? exports : DEFAULT_EXPORT_CONCURRENCY;
  return Math.max(8, cpus + concurrentExports * WRITE_CONCURRENCY + 4);
}

