#!/usr/bin/env bash
# Batch-1 greedy decode benchmark of Jlama 0.8.4 on a Hugging Face model directory.
# Usage (from the repository root): bash bench/jlama/run.sh MODEL_DIR [extra JlamaDecode args]
#   e.g. bash bench/jlama/run.sh /tmp/m100 --repeats 5 --ops native
# Defaults: --prompt-tokens 16 --new-tokens 64 --repeats 5 --threads 2 --ops panama (extra args override; last wins).
# stdout: one JSON line. Logs: stderr.
# Env: JAVA25 (java binary, default temurin 25), JAVA_OPTS (extra JVM flags), MVN (default mvn).
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
if [ $# -lt 1 ]; then
  echo "usage: bash bench/jlama/run.sh MODEL_DIR [--prompt-tokens N] [--new-tokens N] [--repeats N] [--threads N] [--warmup N] [--mode loop|generate] [--ops panama|native|auto] [--prompt-ids a,b,c]" >&2
  exit 2
fi
MODEL="$1"; shift

JAVA25="${JAVA25:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}"
MVN="${MVN:-mvn}"
CP_FILE="$HERE/target/classpath.txt"

# Resolve Jlama's runtime classpath once (re-resolve when the pom changes).
if [ ! -s "$CP_FILE" ] || [ "$HERE/pom.xml" -nt "$CP_FILE" ]; then
  mkdir -p "$HERE/target"
  echo "[run.sh] resolving classpath with $MVN ..." >&2
  "$MVN" -B -q -f "$HERE/pom.xml" dependency:build-classpath -Dmdep.outputFile="$CP_FILE" >&2
fi

# jdk.incubator.vector: Jlama's Panama kernels. enable-native-access: jlama-native's FFM downcalls.
# sun-misc-unsafe-memory-access=allow: silences JDK 24+ warnings from jctools' use of sun.misc.Unsafe.
# --enable-preview is NOT needed: jlama-core classes are Java 20 (major 64) non-preview, and on Java 22+
# the multi-release jlama-native jar serves its non-preview Java 22 FFM classes.
exec "$JAVA25" \
  --add-modules jdk.incubator.vector \
  --enable-native-access=ALL-UNNAMED \
  --sun-misc-unsafe-memory-access=allow \
  ${JAVA_OPTS:-} \
  -cp "$(cat "$CP_FILE")" \
  "$HERE/JlamaDecode.java" \
  --model "$MODEL" --prompt-tokens 16 --new-tokens 64 --repeats 5 --threads 2 --ops panama "$@"
