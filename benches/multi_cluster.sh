#!/usr/bin/env bash
# Several clusters in one console, for the README: CLUSTERS sims (default 10) of PODS pods each
# (default 50,000), served by one `opsdeck sim --clusters` process, watched by one console.
#   1. `opsdeck snapshot --context all`: first rows, each context in sync, all in sync;
#   2. the same with the last context replaced by a server that accepts and never answers:
#      the others must sync as fast as without it;
#   3. the console in tmux at 200x50 on every context: first rows on screen, every context
#      "ok" in the header, keystroke-to-frame latency (p50/p99) while syncing and after, steady
#      and peak RSS, CPU while idle.
# BIN=path/to/opsdeck skips the build. Needs tmux and python3. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/proc.sh
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=$PWD/target/release/opsdeck
fi
N=${CLUSTERS:-10}
PODS=${PODS:-50000}
IDLE=${IDLE:-10}
work=$(mktemp -d)
sock=opsdeck-mc-bench-$$
trap 'tmux -L $sock kill-server 2>/dev/null || true; kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# The clusters are remote in real life; here the sim shares the 2 cores with the console, at
# the priority of the console's own decoding threads (nice 10, src/main.rs): what it takes
# from the console's loop is then what a remote API server would not take.
nice -n 10 "$BIN" sim --clusters "$N" --pods "$PODS" --kubeconfig-out "$work/kc" > "$work/sim.log" &
for _ in $(seq 600); do grep -q "sim-$N listening" "$work/sim.log" 2>/dev/null && break; sleep 0.1; done

# A server that accepts connections and never says a word, as context "hang".
python3 - "$work/hang.port" <<'EOF' &
import socket, sys
s = socket.socket(); s.bind(("127.0.0.1", 0)); s.listen(128)
open(sys.argv[1], "w").write(str(s.getsockname()[1]))
held = []
while True:
    held.append(s.accept()[0])
EOF
for _ in $(seq 50); do [ -s "$work/hang.port" ] && break; sleep 0.1; done
port=$(cat "$work/hang.port")
cat > "$work/kc-hang" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: hang
  cluster:
    server: http://127.0.0.1:$port
contexts:
- name: hang
  context:
    cluster: hang
    user: sim-1-sim-admin
users: []
EOF
others=$(seq -s, -f 'sim-%g' 1 $((N - 1)))

# 1 and 2: headless.
"$BIN" --kubeconfig "$work/kc" --context all -n all snapshot --output json --timeout 60 > "$work/all.json" || true
KUBECONFIG="$work/kc:$work/kc-hang" "$BIN" --context "$others,hang" -n all snapshot --output json --timeout 30 > "$work/hang.json" || true
read -r first_all sync_all slowest_all <<<"$(python3 - "$work/all.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))["timing"]
ms = t["contexts_synced_ms"].values()
print(t["first_pod_rows_ms"] / 1000, (t["full_sync_ms"] or 0) / 1000, max(ms) / 1000)
EOF
)"
read -r slowest_with_hang synced_with_hang <<<"$(python3 - "$work/hang.json" <<'EOF'
import json, sys
t = json.load(open(sys.argv[1]))["timing"]["contexts_synced_ms"]
healthy = [v for k, v in t.items() if k != "hang"]
print(max(healthy) / 1000, len(healthy))
EOF
)"

# 3: the console.
tmux -L "$sock" -f /dev/null new-session -d -x 200 -y 50 \
  "env OPSDECK_TIMINGS=$work/timings LANG=C.UTF-8 $BIN --kubeconfig $work/kc --context all -n all --audit-log $work/audit.jsonl"
t0=$(now)
pid=""
for _ in $(seq 100); do pid=$(tmux -L "$sock" display-message -p '#{pane_pid}' 2>/dev/null) && [ -n "$pid" ] && break; sleep 0.05; done
# Keys while it syncs: j and k, 20 a second, until every context says ok.
synced_at=""
for i in $(seq 1200); do
  if [ $((i % 2)) = 0 ]; then key=j; else key=k; fi
  tmux -L "$sock" send-keys -t 0 "$key"
  sleep 0.05
  if [ $((i % 10)) = 0 ] && [ -z "$synced_at" ]; then
    header=$(tmux -L "$sock" capture-pane -p -t 0 | head -1)
    oks=$( (grep -o 'sim-[0-9]* ok' <<<"$header" || true) | wc -l)
    if [ "$oks" -ge "$N" ]; then synced_at=$(now); break; fi
  fi
done
during=$(grep -c '^key_to_frame' "$work/timings" || true)
sleep 5
rss=$(field VmRSS "$pid"); c0=$(cpu_ticks "$pid")
sleep "$IDLE"
c1=$(cpu_ticks "$pid")
idle_cpu=$(python3 -c "print(f'{100*($c1-$c0)/$HZ/$IDLE:.2f} %')")
# Keys once in sync: 200 more.
for i in $(seq 200); do
  if [ $((i % 2)) = 0 ]; then key=j; else key=k; fi
  tmux -L "$sock" send-keys -t 0 "$key"
  sleep 0.05
done
sleep 1
hwm=$(field VmHWM "$pid")
tmux -L "$sock" kill-server 2>/dev/null || true
[ -n "${TIMINGS_OUT:-}" ] && cp "$work/timings" "$TIMINGS_OUT"
first_drawn=$(awk '$1=="first_pod_rows_drawn" {printf "%.2f s", $2}' "$work/timings")
console_sync=$(python3 -c "print(f'{${synced_at:-0}-$t0:.1f} s' if '${synced_at}' else 'not in 60 s')")
python3 - "$work/timings" "$during" <<'EOF' > "$work/keys"
import sys
# "key_to_frame SECONDS ROWS": the key's wait for its frame (app/mod.rs).
lat = [1000 * float(l.split()[1]) for l in open(sys.argv[1]) if l.startswith("key_to_frame")]
during = int(sys.argv[2])
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")
a, b = lat[:during], lat[during:]
print(f"{pct(a,50):.1f} {pct(a,99):.1f} {len(a)} {pct(b,50):.1f} {pct(b,99):.1f} {len(b)}")
EOF
read -r p50_sync p99_sync n_sync p50_steady p99_steady n_steady < "$work/keys"

echo "| $N contexts x $PODS pods | value |"
echo "|---|---|"
echo "| snapshot: first pod rows | ${first_all} s |"
echo "| snapshot: slowest context in sync | ${slowest_all} s |"
echo "| snapshot: every context in sync | ${sync_all} s |"
echo "| snapshot, last context hanging: slowest of the other $synced_with_hang in sync | ${slowest_with_hang} s |"
echo "| console: first pod rows on screen | $first_drawn |"
echo "| console: every context ok in the header | $console_sync |"
echo "| console: key to frame while syncing, p50 / p99 ($n_sync keys) | $p50_sync ms / $p99_sync ms |"
echo "| console: key to frame in sync, p50 / p99 ($n_steady keys) | $p50_steady ms / $p99_steady ms |"
echo "| console: steady RSS / peak RSS | $((rss / 1024)) MB / $((hwm / 1024)) MB |"
echo "| console: CPU while idle (${IDLE} s) | $idle_cpu |"
