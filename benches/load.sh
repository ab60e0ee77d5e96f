#!/usr/bin/env bash
# Issue 15's load bench, for the README: the platform at ten times the demo's churn for
# DURATION seconds (default 600): `opsdeck sim --load` (500 pods replaced a second, 1,000 extra
# RabbitMQ queues, 100 extra SLOs, 1,000 extra alerts) on a world of PODS pods (default 10,000),
# watched by the console in tmux at 200x50 through the config the sim writes (every source
# over its own protocol). Keys (j/k and the view switches) go in a few a second the whole
# time; RSS is sampled every 10 s. Reports RSS at 1 min and at the end, min/max after the
# first minute, frames over 16 ms (OPSDECK_TIMINGS `frame_took`), key-to-frame p50/p99, the
# console's and the sim's CPU, and what the panes show (pods, queues, SLOs, alerts).
# BIN=path/to/opsdeck skips the build. Needs tmux and python3. Prints a Markdown table.
set -euo pipefail
cd "$(dirname "$0")/.."
. benches/proc.sh
if [ -z "${BIN:-}" ]; then
  cargo build --release --quiet
  BIN=${CARGO_TARGET_DIR:-$PWD/target}/release/opsdeck
fi
DURATION=${DURATION:-600}
PODS=${PODS:-10000}
WARMUP=${WARMUP:-60}
work=$(mktemp -d)
sock=opsdeck-load-bench-$$
trap 'tmux -L $sock kill-server 2>/dev/null || true; kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"' EXIT

# The platform is remote in real life; here the sim shares the 2 cores with the console, at
# the priority of the console's own decoding threads (nice 10, src/main.rs): what it takes
# from the console's loop is then what a remote API server would not take.
nice -n 10 "$BIN" sim --pods "$PODS" --load \
  --kubeconfig-out "$work/kc" --config-out "$work/config.toml" > "$work/sim.log" &
sim=$!
for _ in $(seq 600); do grep -q "listening" "$work/sim.log" 2>/dev/null && break; sleep 0.1; done

tmux -L "$sock" -f /dev/null new-session -d -x 200 -y 50 \
  "env OPSDECK_TIMINGS=$work/timings LANG=C.UTF-8 $BIN --config $work/config.toml --kubeconfig $work/kc -n all --audit-log $work/audit.jsonl"
# A console that ends keeps its pane: what it printed is the bench's answer then.
tmux -L "$sock" set-option -g remain-on-exit on
pid=""
for _ in $(seq 100); do pid=$(tmux -L "$sock" display-message -p '#{pane_pid}' 2>/dev/null) && [ -n "$pid" ] && break; sleep 0.05; done

# Four keys a second: j/k in each view, a view switch every few seconds (overview, workloads,
# pods, events, queues, SLOs, alerts), so every pane is drawn under the load.
views=(0 1 2 5 6 7 9)
# Whole seconds from bash itself: the loop must not spawn a process per key.
secs() { echo $((${EPOCHREALTIME%.*} - start)); }
start=${EPOCHREALTIME%.*}
i=0
rss_log="$work/rss"
warm_frames="" warm_keys="" c_warm="" s_warm="" t_warm=""
while [ "$(secs)" -lt "$DURATION" ]; do
  if [ $((i % 16)) = 0 ]; then
    key=${views[$(((i / 16) % ${#views[@]}))]}
  elif [ $((i % 2)) = 0 ]; then key=j; else key=k; fi
  if [ "$(tmux -L "$sock" display-message -p -t 0 '#{pane_dead}')" = 1 ]; then
    echo "the console ended after $(secs) s (exit $(tmux -L "$sock" display-message -p -t 0 '#{pane_dead_status}')):" >&2
    tmux -L "$sock" capture-pane -p -t 0 -S -50 >&2
    exit 1
  fi
  tmux -L "$sock" send-keys -t 0 "$key"
  if [ $((i % 40)) = 0 ]; then
    echo "$(secs) $(field VmRSS "$pid")" >> "$rss_log"
  fi
  if [ -z "$warm_frames" ] && [ "$(secs)" -ge "$WARMUP" ]; then
    warm_frames=$(grep -c '^frame_took' "$work/timings" || true)
    warm_keys=$(grep -c '^key_to_frame' "$work/timings" || true)
    c_warm=$(cpu_ticks "$pid"); s_warm=$(cpu_ticks "$sim"); t_warm=$(now)
  fi
  i=$((i + 1))
  sleep 0.25
done
c_end=$(cpu_ticks "$pid"); s_end=$(cpu_ticks "$sim"); t_end=$(now)
echo "$(secs) $(field VmRSS "$pid")" >> "$rss_log"
hwm=$(field VmHWM "$pid")

# What the panes show, at the end: each view's title line (its count).
shown() {
  tmux -L "$sock" send-keys -t 0 "$1"
  sleep 1.5
  tmux -L "$sock" capture-pane -p -t 0 > "$work/screen-$1"
}
for v in 2 6 7 9; do shown "$v"; done
# What the world holds, for the pods pane's count to be checked against (the churn goes on:
# a tick's replacements either way).
world_pods=$(kubectl --kubeconfig "$work/kc" get pods -A --no-headers 2>"$work/kubectl.err" | wc -l) ||
  world_pods="kubectl failed: $(tail -1 "$work/kubectl.err")"
# The churn the console was under, measured from outside: pods new in a second listing taken
# 10 s after a first, per second between the two (the figures are worth what the load was).
names() { kubectl --kubeconfig "$work/kc" get pods -A -o name 2>/dev/null | sort; }
churn_t0=$(now); names > "$work/pods-before"
sleep 10
churn_t1=$(now); names > "$work/pods-after"
churned=$(comm -13 "$work/pods-before" "$work/pods-after" | wc -l)
churn_rate=$(python3 -c "print(round($churned / ($churn_t1 - $churn_t0)))")
tmux -L "$sock" kill-server 2>/dev/null || true
kill "$sim"; wait "$sim" 2>/dev/null || true
[ -n "${TIMINGS_OUT:-}" ] && cp "$work/timings" "$TIMINGS_OUT"
[ -n "${SCREENS_OUT:-}" ] && mkdir -p "$SCREENS_OUT" && cp "$work"/screen-* "$SCREENS_OUT"/

python3 - "$work" "$warm_frames" "$warm_keys" "$WARMUP" \
  "$c_warm" "$c_end" "$s_warm" "$s_end" "$t_warm" "$t_end" "$HZ" "$hwm" "$DURATION" "$PODS" "$world_pods" "$churn_rate" <<'EOF'
import re, sys
(work, warm_frames, warm_keys, warmup, c0, c1, s0, s1, t0, t1, hz, hwm, duration,
 pods, world_pods, churn_rate) = sys.argv[1:]
warm_frames, warm_keys, warmup = int(warm_frames), int(warm_keys), int(warmup)
lines = open(f"{work}/timings").read().splitlines()
# "frame_took SECONDS ROWS PREPARE_SECONDS VIEW": one frame's prepare and draw;
# "key_to_frame SECONDS ROWS": a key's wait for its frame (app/mod.rs).
frames = [l.split() for l in lines if l.startswith("frame_took ")]
took = [1000 * float(f[1]) for f in frames]
keys = [1000 * float(l.split()[1]) for l in lines if l.startswith("key_to_frame ")]
def pct(v, p):
    v = sorted(v)
    return v[min(len(v) - 1, int(round(p / 100 * (len(v) - 1))))] if v else float("nan")
rss = [(int(t), int(kb)) for t, kb in (l.split() for l in open(f"{work}/rss"))]
at_1min = min(rss, key=lambda r: abs(r[0] - 60))[1]
after = [kb for t, kb in rss if t >= warmup] or [rss[-1][1]]
lo, hi, last = min(after), max(after), rss[-1][1]
spread = 100 * (hi - lo) / lo
mb = lambda kb: f"{kb / 1024:.0f} MB"
cpu = lambda a, b: f"{100 * (int(b) - int(a)) / int(hz) / (float(t1) - float(t0)):.0f} %"
steady = took[warm_frames:]
over = [t for t in steady if t > 16]
over_all = [t for t in took if t > 16]
ks = keys[warm_keys:]

def title(view):
    # The pane's title: the second row (under the header), its box drawing taken out.
    lines = open(f"{work}/screen-{view}").read().splitlines()
    return " ".join(re.sub(r"[╭╮─│]", " ", lines[1] if len(lines) > 1 else "").split())

print(f"| {pods} pods, `sim --load`, {duration} s | value |")
print("|---|---|")
print(f"| console RSS at 1 min / at the end | {mb(at_1min)} / {mb(last)} |")
print(f"| console RSS after {warmup} s: min / max (spread) | {mb(lo)} / {mb(hi)} ({spread:.1f} %) |")
print(f"| console peak RSS (VmHWM) | {mb(int(hwm))} |")
print(f"| frames after {warmup} s over 16 ms / all, worst | {len(over)} / {len(steady)}, {max(steady, default=0):.1f} ms |")
print(f"| frames in the first {warmup} s over 16 ms / all, worst | {len(over_all) - len(over)} / {warm_frames}, {max(took[:warm_frames], default=0):.1f} ms |")
print(f"| frame time after {warmup} s, p50 / p99 | {pct(steady, 50):.1f} ms / {pct(steady, 99):.1f} ms |")
print(f"| key to frame after {warmup} s, p50 / p99 ({len(ks)} keys) | {pct(ks, 50):.1f} ms / {pct(ks, 99):.1f} ms |")
print(f"| console CPU after {warmup} s / the sim's (nice 10) | {cpu(c0, c1)} / {cpu(s0, s1)} |")
# Where the slow frames were: by view, and how much of them was the prepare (sorting, the
# figures across pods) rather than the drawing and writing.
by_view = {}
for f in frames[warm_frames:]:
    if 1000 * float(f[1]) > 16:
        n, prep = by_view.get(f[4], (0, 0.0))
        by_view[f[4]] = (n + 1, prep + float(f[3]) / float(f[1]))
slow = ", ".join(f"{v.replace('_', ' ')} {n} ({100 * p / n:.0f} % prepare)"
                 for v, (n, p) in sorted(by_view.items(), key=lambda i: -i[1][0]))
print(f"| frames over 16 ms after {warmup} s, by view | {slow or 'none'} |")
for v, name in [("2", "pods"), ("6", "queues"), ("7", "SLOs"), ("9", "alerts")]:
    print(f"| {name} pane at the end | {title(v)} |")
print(f"| pods the world holds then (`kubectl get pods -A`) | {world_pods} |")
print(f"| pods replaced a second at the end (two listings 10 s apart) | {churn_rate} |")
EOF
