// Lint as temporalio/samples-typescript does: no floating promises anywhere, and
// workflow code free of Node built-ins and of activity implementations (types only).
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

export default tseslint.config(
  { ignores: ['lib/**', 'node_modules/**', '.venv/**', '.work/**', 'bench/out/**', 'test/fixtures/**', 'eslint.config.mjs'] },
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    languageOptions: {
      parserOptions: { project: './tsconfig.json', tsconfigRootDir: import.meta.dirname },
    },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': [
        'error',
        {
          paths: [...builtinModules, ...builtinModules.map((m) => `node:${m}`)].map((name) => ({
            name,
            message: 'Workflow code is sandboxed and deterministic: no Node built-ins.',
          })),
          patterns: [
            { group: ['**/activities/*'], allowTypeImports: true, message: 'Import activities as types only; call them through proxyActivities.' },
            { group: ['**/parquet/*', '**/s3', '**/config', '**/dev/*'], allowTypeImports: true, message: 'Workflows must not import I/O modules.' },
          ],
        },
      ],
    },
  },
);
