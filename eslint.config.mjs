// Lint as temporalio/samples-typescript does (no floating promises), and the layers of src/
// enforced: each folder imports only from the layers below it. test/lint/layers.test.ts proves
// every rule below fires.
//
//   processes   src/worker.ts, src/worker/, src/cli/, src/dev/,  anything below
//               src/endpoint/, src/intake/, src/http/ (their
//               shared HTTP and Prometheus plumbing)
//   client      src/client.ts, src/integrationClient.ts,         messages, domain, config (types)
//               src/exportClient.ts
//   workflows   src/workflows/                                    messages, domain; activities as types only
//   activities  src/activities/                                   messages, domain, parquet, s3, client (starting workflows)
//   parquet     src/parquet/                                      domain (DuckDB and file formats; no Temporal)
//   s3          src/s3/                                           config (types)
//   messages    src/messages/                                     domain; defineSignal/defineQuery/defineUpdate
//   config      src/config/                                       nothing of ours
//   domain      src/domain/                                       nothing but zod: no I/O, no Temporal, no DuckDB
import tseslint from 'typescript-eslint';
import { builtinModules } from 'node:module';

const nodeBuiltins = [...builtinModules, ...builtinModules.map((m) => `node:${m}`)];

/** Our own folders, as regexes over relative import strings (so `@temporalio/client` is not `client`). */
const ours = {
  domain: '^(\\.\\.?/)+domain(/.*)?$',
  messages: '^(\\.\\.?/)+messages(/.*)?$',
  config: '^(\\.\\.?/)+config(/.*)?$',
  s3: '^(\\.\\.?/)+s3(/.*)?$',
  parquet: '^(\\.\\.?/)+parquet(/.*)?$',
  activities: '^(\\.\\.?/)+activities(/.*)?$',
  workflows: '^(\\.\\.?/)+workflows(/.*)?$',
  client: '^(\\.\\.?/)+(client|integrationClient|exportClient)$',
  processes: '^(\\.\\.?/)+(worker|cli|dev|endpoint|intake|http)(/.*)?$',
};

/** A no-restricted-imports rule: `banned` folders never, `typesOnly` folders as `import type` only. */
function restrict({ builtins = false, banned = [], typesOnly = [], packages = [], paths = [] }) {
  return [
    'error',
    {
      paths: [
        ...(builtins ? nodeBuiltins.map((name) => ({ name, message: 'This layer does no I/O: no Node built-ins.' })) : []),
        ...paths,
      ],
      patterns: [
        ...banned.map((folder) => ({ regex: ours[folder], message: `Layering: src/${folder} may not be imported here.` })),
        ...typesOnly.map((folder) => ({ regex: ours[folder], allowTypeImports: true, message: `Layering: import src/${folder} as types only here.` })),
        ...packages.map(({ group, message }) => ({ group, message })),
      ],
    },
  ];
}

const temporal = { group: ['@temporalio/*'], message: 'No Temporal in this layer.' };
const aws = { group: ['@aws-sdk/*'], message: 'No AWS in this layer: S3 I/O belongs to activities.' };
const duckdb = { group: ['@duckdb/*'], message: 'No DuckDB in this layer: it belongs to src/parquet.' };
const cliLib = { group: ['commander'], message: 'The CLI library belongs to src/cli.' };
const zod = { group: ['zod'], message: 'zod stays out of the workflow bundle: validate in activities or processes.' };

export const layerRules = {
  domain: restrict({
    builtins: true,
    banned: ['messages', 'config', 's3', 'parquet', 'activities', 'workflows', 'client', 'processes'],
    packages: [temporal, aws, duckdb, cliLib],
  }),
  config: restrict({
    banned: ['messages', 's3', 'parquet', 'activities', 'workflows', 'client', 'processes'],
    packages: [temporal, aws, duckdb, cliLib],
  }),
  messages: restrict({
    builtins: true,
    banned: ['config', 's3', 'parquet', 'activities', 'workflows', 'client', 'processes'],
    packages: [
      { group: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@temporalio/testing'], message: 'Messages are pure types and signal/query/update definitions.' },
      aws,
      duckdb,
      cliLib,
      zod,
    ],
    paths: [{ name: '@temporalio/workflow', allowImportNames: ['defineSignal', 'defineQuery', 'defineUpdate'], message: 'Messages may only define signals, queries and updates.' }],
  }),
  s3: restrict({
    banned: ['messages', 'parquet', 'activities', 'workflows', 'client', 'processes'],
    typesOnly: ['config'],
    packages: [temporal, duckdb, cliLib],
  }),
  parquet: restrict({
    banned: ['messages', 'config', 's3', 'activities', 'workflows', 'client', 'processes'],
    packages: [temporal, aws, cliLib],
  }),
  activities: restrict({
    banned: ['workflows', 'processes', 'config'],
    packages: [{ group: ['@temporalio/workflow', '@temporalio/worker'], message: 'Activities run outside the workflow sandbox and are registered by the worker process.' }, cliLib],
  }),
  workflows: restrict({
    builtins: true,
    banned: ['config', 's3', 'parquet', 'client', 'processes'],
    typesOnly: ['activities'],
    packages: [
      { group: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity'], message: 'Workflow code uses @temporalio/workflow only.' },
      aws,
      duckdb,
      cliLib,
      zod,
    ],
  }),
  client: restrict({
    banned: ['s3', 'parquet', 'activities', 'processes'],
    typesOnly: ['workflows', 'config'],
    packages: [duckdb, cliLib],
  }),
};

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
  ...['domain', 'config', 'messages', 's3', 'parquet', 'activities', 'workflows'].map((layer) => ({
    files: [`src/${layer}/**/*.ts`],
    rules: { 'no-restricted-imports': layerRules[layer] },
  })),
  { files: ['src/client.ts', 'src/integrationClient.ts', 'src/exportClient.ts'], rules: { 'no-restricted-imports': layerRules.client } },
);
