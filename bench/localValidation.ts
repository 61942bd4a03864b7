/**
 * (a) rows/s of validateLocalFile (the code the CLI and the activities run) on the local file, and
 * (b) rows/s of one set-based DuckDB query doing the same checks: the baseline (a) is held to.
 */
import { performance } from 'node:perf_hooks';
import { DuckDBInstance, openDuckDb, queryObjects, sqlString, withConnection } from '../src/parquet/duckdb';
import { validateLocalFile } from '../src/parquet/validateLocalFile';
import { addCount, assertSameCounts, codesOf, ComboCounts, combosOfDocument, validInvalid } from './combos';
import { cpuBetween, markCpu } from './cpuAccounting';
import { EventFile } from './eventFile';
import { log, seconds } from './format';
import { DEFAULTS, DUCKDB_THREADS, ENVIRONMENTS, OUT_DIR, RUNS } from './params';

export interface TimedRuns {
  runsSeconds: number[];
  /** CPU seconds during each run: 'bench' is this process (DuckDB included), 'others' every other process. */
  runsCpu: Record<string, number>[];
  bestSeconds: number;
  bestRowsPerSec: number;
}

async function timeRuns(rows: number, runOnce: () => Promise<ComboCounts>, check: (c: ComboCounts, run: number) => void): Promise<TimedRuns> {
  const runsMs: number[] = [];
  const runsCpu: Record<string, number>[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const mark = markCpu();
    const started = performance.now();
    const combos = await runOnce();
    runsMs.push(performance.now() - started);
    runsCpu.push(cpuBetween(mark, markCpu()));
    check(combos, run);
  }
  const best = Math.min(...runsMs);
  return { runsSeconds: runsMs.map(seconds), runsCpu, bestSeconds: seconds(best), bestRowsPerSec: Math.round(rows / (best / 1000)) };
}

async function runOurs(db: DuckDBInstance, file: EventFile): Promise<ComboCounts> {
  const doc = await validateLocalFile(db, file.path, {
    fileName: 'bench.snappy.parquet',
    originalCreationTime: 1_700_000_000_000,
    environments: ENVIRONMENTS,
    targetChunkRows: DEFAULTS.CHUNK_TARGET_ROWS,
    workDir: OUT_DIR,
    decompressionLimits: { maxBytes: DEFAULTS.DECOMPRESSED_MAX_BYTES, maxRatio: DEFAULTS.DECOMPRESSION_MAX_RATIO },
  });
  return combosOfDocument(doc);
}

/** The same rules in one set-based query over the whole file, written independently of src/. */
function baselineSql(path: string): string {
  const required = ['environmentId', 'trafficTypeId', 'eventTypeId', 'key', 'timestamp'];
  const anyNull = required.map((c) => `"${c}" IS NULL`).join(' OR ');
  const nullCounts = required.map((c) => `count(*) FILTER (WHERE "${c}" IS NULL)::BIGINT AS "null_${c}"`).join(', ');
  const envs = ENVIRONMENTS.map(sqlString).join(', ');
  return `
    SELECT mask, count(*)::BIGINT AS rows, ${nullCounts},
      count("value")::BIGINT AS decoded_values, count("properties")::BIGINT AS decoded_properties
    FROM (
      SELECT *,
        (CASE WHEN ${anyNull} THEN 1 ELSE 0 END)
        + (CASE WHEN "environmentId" IS NOT NULL AND "environmentId" NOT IN (${envs}) THEN 2 ELSE 0 END)
        + (CASE WHEN "timestamp" IS NOT NULL AND ("timestamp" < 946684800000 OR "timestamp" >= 4102444800000) THEN 4 ELSE 0 END) AS mask
      FROM read_parquet(${sqlString(path)})
    )
    GROUP BY mask ORDER BY mask`;
}

async function runBaseline(db: DuckDBInstance, file: EventFile): Promise<ComboCounts> {
  const rows = await withConnection(db, (c) => queryObjects(c, baselineSql(file.path)));
  const m: ComboCounts = new Map();
  for (const r of rows) addCount(m, codesOf(Number(r.mask)), Number(r.rows));
  return m;
}

export interface LocalResults {
  ours: TimedRuns;
  baseline: TimedRuns;
  /** Best time of (a) divided by best time of (b). */
  ratio: number;
  /** Least CPU time of (a) divided by least CPU time of (b): less sensitive to other processes. */
  cpuRatio: number;
  counts: { valid: number; invalid: number; byCodes: Record<string, number> };
}

export async function benchLocal(file: EventFile, expected: ComboCounts): Promise<LocalResults> {
  const db = await openDuckDb({ memoryLimit: DEFAULTS.DUCKDB_MEMORY_LIMIT, threads: DUCKDB_THREADS, tempDirectory: OUT_DIR });
  try {
    let oursCounts: ComboCounts = new Map();
    log(`(a) validateLocalFile, ${RUNS} runs`);
    const ours = await timeRuns(file.rows, () => runOurs(db, file), (c, run) => {
      assertSameCounts(`(a) run ${run} and the generator's expected counts`, expected, c);
      oursCounts = c;
    });
    log(`(b) baseline query, ${RUNS} runs`);
    const baseline = await timeRuns(file.rows, () => runBaseline(db, file), (c, run) => {
      assertSameCounts(`(a) validateLocalFile and (b) baseline run ${run}`, oursCounts, c);
    });
    const ratio = Math.round((ours.bestSeconds / baseline.bestSeconds) * 100) / 100;
    const leastCpu = (r: TimedRuns) => Math.min(...r.runsCpu.map((c) => c.bench!));
    const cpuRatio = Math.round((leastCpu(ours) / leastCpu(baseline)) * 100) / 100;
    return { ours, baseline, ratio, cpuRatio, counts: { ...validInvalid(oursCounts), byCodes: Object.fromEntries(oursCounts) } };
  } finally {
    db.closeSync();
  }
}
