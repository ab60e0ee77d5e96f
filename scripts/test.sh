#!/usr/bin/env bash
# Installs what the tests need (Debian packages) and runs every check CI runs:
# formatting, clippy, and the whole test suite (unit, reducer, rendering snapshots,
# kubectl against the simulated API server, the real binary driven in tmux, queues on a real
# redis-server and a real rabbitmq-server with its management plugin; the sim's PromQL against a
# real prometheus backfilled with promtool;
# alerts and silences against real prometheus-alertmanager instances). Each test starts its
# own servers on free loopback ports and stops them; nothing system-wide is used.
set -euo pipefail
cd "$(dirname "$0")/.."

missing=()
command -v tmux >/dev/null || missing+=(tmux)
command -v redis-server >/dev/null || missing+=(redis-server)
[ -x /usr/lib/rabbitmq/bin/rabbitmq-server ] || missing+=(rabbitmq-server)
{ command -v prometheus && command -v promtool; } >/dev/null || missing+=(prometheus)
command -v prometheus-alertmanager >/dev/null || missing+=(prometheus-alertmanager)
command -v kubectl >/dev/null || { echo "kubectl is required (the machine image ships it)" >&2; exit 1; }
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  if [ "$(id -u)" -eq 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

# Snapshot tests must never write new snapshots in CI.
export INSTA_UPDATE=no
export CARGO_TERM_COLOR=never

cargo fmt --check
cargo clippy --all-targets --locked -- -D warnings
cargo test --locked
