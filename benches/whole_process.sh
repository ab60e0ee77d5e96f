#!/usr/bin/env bash
# Whole-process figures for the README, for the sim at 1k, 10k and 50k pods (PODS="..." to
# choose): time to the first pod rows on screen and to the full sync (`opsdeck snapshot`),
# beside `kubectl get pods -A -o json` on the same sim; the console's steady and peak RSS; its
# CPU and redraws while nothing changes. Needs tmux and kubectl. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/proc.sh
cargo build --release --quiet
BIN=$PWD/target/release/opsdeck
IDLE=${IDLE:-10}
work=$(mktemp -d)
trap 'tmux -L opsdeck-bench kill-server 2>/dev/null || true; kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

secs() { python3 -c 'import sys,time; print(f"{time.time():.3f}")'; }

echo "| pods | first rows on screen | snapshot full sync | kubectl get pods -A -o json | steady RSS | peak RSS | CPU idle | redraws idle (${IDLE}s) |"
echo "|---|---|---|---|---|---|---|---|"
for n in ${PODS:-1000 10000 50000}; do
  dir="$work/$n"; mkdir -p "$dir"
  "$BIN" sim --pods "$n" --kubeconfig-out "$dir/kc" > "$dir/sim.log" &
  sim=$!
  for _ in $(seq 100); do grep -q listening "$dir/sim.log" 2>/dev/null && break; sleep 0.1; done

  t0=$(secs); kubectl --kubeconfig "$dir/kc" get pods -A -o json > /dev/null; t1=$(secs)
  kubectl_s=$(python3 -c "print(f'{$t1-$t0:.2f} s')")
  "$BIN" --kubeconfig "$dir/kc" -n all snapshot --output json > "$dir/snap.json"
  sync_s=$(python3 -c "import json; t=json.load(open('$dir/snap.json'))['timing']; print(f\"{t['full_sync_ms']/1000:.2f} s (first rows {t['first_pod_rows_ms']/1000:.2f} s)\")")

  tmux -L opsdeck-bench -f /dev/null new-session -d -x 200 -y 50 \
    "env OPSDECK_TIMINGS=$dir/timings LANG=C.UTF-8 $BIN --kubeconfig $dir/kc -n all"
  for _ in $(seq 300); do grep -q first_pod_rows_drawn "$dir/timings" 2>/dev/null && break; sleep 0.1; done
  first=$(awk '$1=="first_pod_rows_drawn" {printf "%.2f s", $2}' "$dir/timings")
  pid=$(tmux -L opsdeck-bench display-message -p '#{pane_pid}')
  # Let the full list land and settle, then watch it idle.
  sleep 8
  frames0=$(grep -c '^frame' "$dir/timings"); c0=$(cpu_ticks "$pid")
  sleep "$IDLE"
  frames1=$(grep -c '^frame' "$dir/timings"); c1=$(cpu_ticks "$pid")
  rss=$(field VmRSS "$pid"); hwm=$(field VmHWM "$pid")
  cpu=$(python3 -c "print(f'{100*($c1-$c0)/$HZ/$IDLE:.2f} %')")
  tmux -L opsdeck-bench kill-server
  kill "$sim"; wait "$sim" 2>/dev/null || true
  echo "| $n | $first | $sync_s | $kubectl_s | $((rss/1024)) MB | $((hwm/1024)) MB | $cpu | $((frames1-frames0)) |"
done
