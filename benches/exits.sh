#!/usr/bin/env bash
# How fast the console gives the terminal back and ends, for the README: the demo on a
# pseudo-terminal (tests/common/pty_exit.py), ended RUNS times (default 10) each way: SIGHUP,
# SIGTERM, a panic (OPSDECK_TEST_PANIC) and the terminal's master side closed (a dropped SSH
# connection). Milliseconds from the cause to the process's exit. BIN=path skips the build.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=$PWD/target/release/opsdeck
fi
RUNS=${RUNS:-10}
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
echo "| how | runs | median | max | terminal restored |"
echo "|---|---|---|---|---|"
for how in hup term panic lost; do
  extra=()
  [ "$how" = panic ] && extra=(env OPSDECK_TEST_PANIC=1)
  for _ in $(seq "$RUNS"); do
    HOME=$home XDG_DATA_HOME=$home/data XDG_CONFIG_HOME=$home/config LANG=C.UTF-8 TERM=xterm-256color \
      ${extra[@]+"${extra[@]}"} python3 tests/common/pty_exit.py "$how" Workloads "$BIN" demo
  done | python3 -c '
import json, statistics, sys
how = sys.argv[1]
runs = [json.loads(l) for l in sys.stdin if l.strip()]
ms = sorted(r["elapsed_ms"] for r in runs)
restored = all(
    r["modes"] is None or ("\x1b[?1049l" in r["after"] and all(r["modes"].values()))
    for r in runs)
print(f"| {how} | {len(ms)} | {statistics.median(ms):.0f} ms | {ms[-1]:.0f} ms | "
      f"{\"yes\" if restored else \"NO\"}{\" (no terminal left)\" if how == \"lost\" else \"\"} |")
' "$how"
done
