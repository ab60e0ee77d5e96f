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
# As an operator runs it: with RUST_BACKTRACE=1 a panic spends ~200 ms more resolving its
# backtrace (after the terminal is restored).
unset RUST_BACKTRACE RUST_LIB_BACKTRACE
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT
echo "| how | runs | median | max | terminal restored |"
echo "|---|---|---|---|---|"
for how in hup term panic lost; do
  extra=() wait=Workloads
  # A panic is timed from the terminal's restore (its hook's first bytes), not from the screen.
  [ "$how" = panic ] && extra=(env OPSDECK_TEST_PANIC=1) wait=$'\e[?1049l'

  for _ in $(seq "$RUNS"); do
    HOME=$home XDG_DATA_HOME=$home/data XDG_CONFIG_HOME=$home/config LANG=C.UTF-8 TERM=xterm-256color \
      ${extra[@]+"${extra[@]}"} python3 tests/common/pty_exit.py "$how" "$wait" "$BIN" demo
  done | python3 -c '
import json, statistics, sys
how = sys.argv[1]
runs = [json.loads(l) for l in sys.stdin if l.strip()]
ms = sorted(r["elapsed_ms"] for r in runs)
restored = all(
    r["modes"] is None
    or (("\x1b[?1049l" in r["after"] or how == "panic") and all(r["modes"].values()))
    for r in runs)
yes = "yes" if restored else "NO"
note = " (no terminal left)" if how == "lost" else ""
print(f"| {how} | {len(ms)} | {statistics.median(ms):.0f} ms | {ms[-1]:.0f} ms | {yes}{note} |")
' "$how"
done
