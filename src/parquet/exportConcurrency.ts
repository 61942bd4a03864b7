/**
 * Parts DuckDB writes at once in one export, each on its own connection. Keeping a part's row
 * order makes each COPY mostly one thread, so two connections keep two cores busy: measured on
 * 10M rows and 2 cores, the write phase drops from 14-20 s to 10 s for JSON lines, 8-10 s to
 * 6.4 s for CSV and 5.8 s to 4.1 s for Parquet (docs/BENCHMARKS.md, figure (i)).
 *
 * A module of its own, free of imports, because the worker sizes libuv's pool from it before
 * anything else (DuckDB included) is loaded.
 */
export const WRITE_CONCURRENCY = 2;
