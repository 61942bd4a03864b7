import { join } from 'node:path';
import { PROJECT_ROOT } from '../../src/dev/venv';

export { TEMPORAL_CLI, TEMPORAL_TEST_SERVER, VENV_PYTHON, PROJECT_ROOT } from '../../src/dev/venv';
export const FIXTURES = join(PROJECT_ROOT, 'test', 'fixtures');
