#!/usr/bin/env bash
# Reads a Parquet file with parquet-mr itself (parquet-hadoop 1.18.1 + the Hadoop LZO codec from
# org.anarres.lzo:lzo-hadoop), the reader Spark and Hive use, and prints it as one JSON document:
#   {"codecs": [...], "createdBy": "...", "rows": [...]}
# Tests use it (test/support/parquetMr.ts) to prove the Parquet files we write are readable there.
#
#   bash scripts/parquet-mr.sh FILE.parquet   build the reader if needed, then read FILE
#   bash scripts/parquet-mr.sh --build-only   only build it (scripts/setup.sh does, so the Maven
#                                             dependencies are downloaded at set-up time)
#
# Needs Java 17+ and Maven 3.8+ on PATH; the first build downloads dependencies from Maven
# Central into ~/.m2. The build lands in test/tools/parquet-mr-reader/target/ and is redone only
# when the pom or a source file is newer than the jar.
set -euo pipefail

root="$(cd "$(dirname "$0")/.." && pwd)"
tool="$root/test/tools/parquet-mr-reader"
target="$tool/target"
jar="$target/parquet-mr-reader-1.0.0.jar"
stamp="$target/lib/.complete"

build_only=false
if [ "${1:-}" = "--build-only" ]; then
  build_only=true
  shift
fi
if ! $build_only && [ "$#" -ne 1 ]; then
  echo "usage: $0 FILE.parquet | --build-only" >&2
  exit 2
fi

for bin in java mvn; do
  command -v "$bin" >/dev/null || { echo "parquet-mr.sh: $bin not found on PATH (needs Java 17+ and Maven 3.8+)" >&2; exit 1; }
done

up_to_date() {
  [ -f "$jar" ] && [ -f "$stamp" ] && [ ! "$tool/pom.xml" -nt "$jar" ] &&
    [ -z "$(find "$tool/src" -type f -newer "$jar" -print -quit)" ]
}

build() {
  # Start from an empty target/lib so a changed dependency set leaves no stale jar behind.
  rm -rf "$target/lib" "$jar"
  # Maven's output goes to stderr (stdout is the JSON); Debian's Maven 3.8 prints stray colour
  # resets even with -B -q, dropped here. pipefail keeps mvn's exit status.
  (cd "$tool" && mvn -B -q package) 2>&1 | sed 's/\x1b\[0m//g' >&2
  touch "$stamp"
}

if ! up_to_date; then
  mkdir -p "$target"
  # Two processes (say, set-up and a test run) must not build into the same target/ at once.
  exec 9>"$target/.build.lock"
  flock 9
  if ! up_to_date; then
    echo "parquet-mr.sh: building $tool (the first build downloads its Maven dependencies)" >&2
    build
  fi
  flock -u 9
  exec 9>&-
fi

if $build_only; then
  exit 0
fi

exec java -cp "$jar:$target/lib/*" io.fme.tools.ReadParquet "$1"
