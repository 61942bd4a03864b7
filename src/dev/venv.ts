import { join, resolve } from 'node:path';

/** The project-local virtualenv made by scripts/setup.sh, which holds the local peers. */
export const PROJECT_ROOT = resolve(__dirname, '..', '..', '..');
export const VENV_BIN = join(PROJECT_ROOT, '.venv', 'bin');
export const TEMPORAL_CLI = join(VENV_BIN, 'temporal');
export const TEMPORAL_TEST_SERVER = join(VENV_BIN, 'temporal-test-server');
export const MOTO_SERVER = join(VENV_BIN, 'moto_server');
export const VENV_PYTHON = join(VENV_BIN, 'python');
