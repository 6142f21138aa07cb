#!/usr/bin/env bash
# One entry point for a fresh Debian machine, as root:
#   bash scripts/run.sh lab [lab up options]   set up, build, and bring up the lab (nodes, router, pods, ping)
#   bash scripts/run.sh test                   set up, build, lint and run every test (unit + e2e)
#   bash scripts/run.sh bench                  set up, build and run the benchmarks
set -euo pipefail
cd "$(dirname "$0")/.."
what="${1:-}"; shift || true
case "$what" in
  lab|test|bench) ;;
  *) echo "usage: bash scripts/run.sh lab|test|bench [args]" >&2; exit 2 ;;
esac
bash scripts/setup.sh
source scripts/env.sh
case "$what" in
  lab) exec dist/bin/gannet lab up "$@" ;;
  test) pnpm -s lint && exec pnpm -s test "$@" ;;
  bench) exec pnpm -s bench "$@" ;;
esac
