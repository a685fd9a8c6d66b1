#!/usr/bin/env bash
# Runs streamchat's streaming benchmark on this machine, the commit before a change and the
# working tree's build side by side in one run, and writes BENCHMARKS.md and bench/plots/.
# Usage: bench/run.sh [quick] [--before REV] [--only phase,phase] [--until HH:MM] [--offer N] [--levels N,N] [--profile DIR]
#   quick:    fewer levels and shorter windows, for trying it out
#   --before: the build to compare with (default 1e11f0d, the commit before the live path's
#             redesign, issue 12); it is built in a temporary git worktree, removed afterwards
#   --only:   latency, resume, memory, concurrency-h2, concurrency, overload, fan-out
#   --until:  UTC time after which no new level or phase starts (what is left out is said in the report)
#   --offer:  overload: streams to offer when the run has no concurrency phase to say what each build carried
#   --levels: the viewer counts (fan-out) or stream counts (concurrency) to run, e.g. 5000, instead of the full set
#   --profile: each streamchat process records a JFR profile into DIR (<build>-<phase>-<log>.jfr), to see where its time goes
set -euo pipefail
cd "$(dirname "$0")/.."

mode=full
before=1e11f0d
extra=()   # arguments passed through to the benchmark
while [ $# -gt 0 ]; do
  case "$1" in
    quick|full) mode=$1 ;;
    --before) before=$2; shift ;;
    --only) extra+=(--only "$2"); shift ;;
    --until) extra+=(--until "$2"); shift ;;
    --offer) extra+=(--offer "$2"); shift ;;
    --levels) extra+=(--levels "$2"); shift ;;
    --profile) extra+=(--profile "$(realpath -m "$2")"); shift ;;
    *) echo "usage: bench/run.sh [quick] [--before REV] [--only phase,phase] [--until HH:MM] [--offer N] [--levels N,N] [--profile DIR]" >&2; exit 2 ;;
  esac
  shift
done

if ! command -v nginx >/dev/null; then
  echo "installing nginx (Debian package) ..."
  apt-get update -q && DEBIAN_FRONTEND=noninteractive apt-get install -y -q nginx
fi
command -v openssl >/dev/null || { echo "openssl is needed for the fake model server's certificate" >&2; exit 1; }
# Each stream holds descriptors in streamchat and in the benchmark; raise the soft limit to the
# hard one (the benchmark skips, and says so, the levels that cannot fit under it).
ulimit -n 200000 2>/dev/null || ulimit -n "$(ulimit -Hn)"

before_rev=$(git rev-parse --short "$before^{commit}")
after_rev=$(git rev-parse --short HEAD)$(git diff --quiet HEAD -- src pom.xml || echo "+changes")
tmp=$(mktemp -d)
cleanup() {
  git worktree remove --force "$tmp/before" 2>/dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT

echo "building the before jar ($before_rev) in a temporary worktree ..."
git worktree add --detach -q "$tmp/before" "$before_rev"
(cd "$tmp/before" && mvn -B -o -q package -DskipTests)
cp "$tmp/before/target/streamchat.jar" "$tmp/streamchat-before.jar"
git worktree remove --force "$tmp/before"

echo "building the after jar ($after_rev) and the benchmark ..."
mvn -B -o -q package -DskipTests
mvn -B -o -q -f bench/pom.xml package
java -Xms1g -jar bench/target/streamchat-bench.jar "$PWD" "$mode" \
  --before "$tmp/streamchat-before.jar" "$before_rev" --after-rev "$after_rev" "${extra[@]}"
echo "wrote BENCHMARKS.md and bench/plots/"
