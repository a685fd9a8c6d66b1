#!/usr/bin/env bash
# Runs streamchat's streaming benchmark on this machine and writes BENCHMARKS.md and bench/plots/.
# Usage: bench/run.sh [quick]      (quick: fewer levels and shorter windows, for trying it out)
set -euo pipefail
cd "$(dirname "$0")/.."

if ! command -v nginx >/dev/null; then
  echo "installing nginx (Debian package) ..."
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx
fi
# 10,000 streams hold ~30,000 sockets and files in streamchat (viewer + upstream + stream log).
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

mvn -B -q package -DskipTests
mvn -B -q -f bench/pom.xml package
java -Xms1g -jar bench/target/streamchat-bench.jar "$PWD" "$@"
echo "wrote BENCHMARKS.md and bench/plots/"
