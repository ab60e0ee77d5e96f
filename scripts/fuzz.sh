#!/usr/bin/env bash
# Runs every parser fuzz target (tests/fuzz/: config, keymap, theme, runbook and SLO files; the
# Kubernetes, Prometheus, OpenCost, RabbitMQ, Alertmanager, health, Celery and Redis decoders)
# for INPUTS inputs each (default 1,000,000), optimized but with overflow checks and debug
# assertions on, and prints a Markdown table: target, inputs, panics, broken properties, wall
# time. Exits 1 on any panic or broken property, naming the first input of each.
#
#   scripts/fuzz.sh [INPUTS] [TARGET...]      FUZZ_SEED=N picks another sequence of inputs.
#
# The same targets run a few thousand times each in `cargo test --test fuzz_parsers`.
set -euo pipefail
cd "$(dirname "$0")/.."
inputs="${1:-1000000}"
shift || true
cargo build --quiet --profile fuzz --example fuzz
exec "${CARGO_TARGET_DIR:-target}/fuzz/examples/fuzz" "$inputs" "$@"
