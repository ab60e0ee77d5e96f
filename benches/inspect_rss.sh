#!/usr/bin/env bash
# The console's RSS at 50,000 pods (PODS=... to choose) before and after describing 100 pods
# one after the other (d, wait for the text, esc, next pod): the object is fetched on demand
# and dropped, so the figure must not move. Needs tmux. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
# BIN=path measures that binary instead of building the release one.
if [ -z "${BIN:-}" ]; then cargo build --release --quiet; BIN=$PWD/target/release/opsdeck; fi
N=${PODS:-50000}
COUNT=${COUNT:-100}
work=$(mktemp -d)
trap 'tmux -L opsdeck-inspect kill-server 2>/dev/null || true; kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

field() { awk -v k="$1" '$1==k":" {print $2}' "/proc/$2/status"; }
t() { tmux -L opsdeck-inspect "$@"; }
screen_has() { t capture-pane -p -t 0 | grep -q -- "$1"; }
wait_for() {
  for _ in $(seq 300); do screen_has "$1" && return 0; sleep 0.05; done
  echo "timed out waiting for $1" >&2; t capture-pane -p -t 0 >&2; exit 1
}

"$BIN" sim --pods "$N" --kubeconfig-out "$work/kc" > "$work/sim.log" &
for _ in $(seq 100); do grep -q listening "$work/sim.log" 2>/dev/null && break; sleep 0.1; done
t -f /dev/null new-session -d -x 200 -y 50 "env LANG=C.UTF-8 $BIN --kubeconfig $work/kc -n all"
pid=$(t display-message -p '#{pane_pid}')
t send-keys -t 0 2
wait_for "Pods \[[0-9]*\]"
sleep 8
before=$(field VmRSS "$pid")
start=$(date +%s.%N)
for i in $(seq "$COUNT"); do
  t send-keys -t 0 d
  wait_for "Describe ›"
  wait_for "read [0-9][0-9]:"
  t send-keys -t 0 Escape
  wait_for "Pods \["
  t send-keys -t 0 j
done
elapsed=$(python3 -c "import time; print(f'{($(date +%s.%N)-$start)/$COUNT*1000:.0f} ms')")
sleep 5
after=$(field VmRSS "$pid"); peak=$(field VmHWM "$pid")
echo "| pods | RSS before | RSS after $COUNT describes | peak RSS | per describe (key to text, esc) |"
echo "|---|---|---|---|---|"
echo "| $N | $((before/1024)) MB | $((after/1024)) MB | $((peak/1024)) MB | $elapsed |"
