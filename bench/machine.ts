/**
 * The machine a bench ran on: CPU, memory, and the versions of Node, DuckDB, the Temporal CLI
 * and moto.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { PROJECT_ROOT, TEMPORAL_CLI, VENV_PYTHON } from '../src/dev/venv';
import { DuckDBInstance, openDuckDb, queryObjects, withConnection } from '../src/parquet/duckdb';
import { GIB, OUT_DIR } from './params';

export interface Machine {
  cpuModel: string;
  cores: number;
  totalMemoryBytes: number;
  node: string;
  duckdb: string;
  duckdbNodeApi: string;
  temporalCli: string;
  moto: string;
}

function cpuModel(): string {
  const line = readFileSync('/proc/cpuinfo', 'utf8')
    .split('\n')
    .find((l) => l.startsWith('model name'));
  return line?.split(':')[1]?.trim() ?? 'unknown';
}

function toolVersion(cmd: string, args: string[]): string {
  try {
    return execFileSync(cmd, args, { encoding: 'utf8' }).trim().split('\n')[0]!;
  } catch {
    return 'unknown';
  }
}

export async function describeMachine(db: DuckDBInstance): Promise<Machine> {
  const [row] = await withConnection(db, (c) => queryObjects(c, 'SELECT version() AS v'));
  const nodeApi = JSON.parse(await readFile(join(PROJECT_ROOT, 'node_modules', '@duckdb', 'node-api', 'package.json'), 'utf8')) as { version: string };
  return {
    cpuModel: cpuModel(),
    cores: cpus().length,
    totalMemoryBytes: totalmem(),
    node: process.version,
    duckdb: String(row?.v),
    duckdbNodeApi: nodeApi.version,
    temporalCli: toolVersion(TEMPORAL_CLI, ['--version']),
    moto: toolVersion(VENV_PYTHON, ['-c', 'import moto; print(moto.__version__)']),
  };
}

export async function machineDescription(): Promise<Machine> {
  const db = await openDuckDb({ memoryLimit: '64MB', threads: 1, tempDirectory: OUT_DIR });
  try {
    return await describeMachine(db);
  } finally {
    db.closeSync();
  }
}

export function printMachine(m: Machine, loadAtStart: string, busyAtStart: number): void {
  console.log('\nMachine');
  const lines: [string, string][] = [
    ['CPU', m.cpuModel],
    ['cores', String(m.cores)],
    ['memory', `${(m.totalMemoryBytes / GIB).toFixed(1)} GiB`],
    ['node', m.node],
    ['DuckDB', `${m.duckdb} (@duckdb/node-api ${m.duckdbNodeApi})`],
    ['Temporal CLI', m.temporalCli],
    ['moto', m.moto],
    ['load average at start', loadAtStart],
    ['CPUs busy at start', `${(busyAtStart * 100).toFixed(0)}% (over 1 s, before the bench did anything)`],
  ];
  for (const [k, v] of lines) console.log(`  ${k.padEnd(22)} ${v}`);
}
