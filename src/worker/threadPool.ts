import { availableParallelism } from 'node:os';

/**
 * libuv's thread pool (4 threads by default) runs zlib, file I/O and every DuckDB query (the
 * bindings hold a pool thread for a query's whole run), so two long queries and the gzip of two
 * export parts would queue behind each other. Sized before anything uses the pool, which starts
 * on first use: this module is the worker's first import. An operator's UV_THREADPOOL_SIZE wins.
 */
process.env.UV_THREADPOOL_SIZE ??= String(Math.max(8, availableParallelism() + 4));
