#!/usr/bin/env bash
# Server time of the observatoire (bench/observatoire.py) at several sizes of the demo, each on a
# database of its own (vi_bench_observatoire, created and dropped here). PostgreSQL at
# 127.0.0.1:5432 (user postgres); the cache is Redis (its database 10) when it answers on
# 127.0.0.1:6379, the in-process cache otherwise.
#
#     bash bench/observatoire.sh [--fiches N]... [--runs R] [--keep] [--sans-tache]
#
# Default: --fiches 15000 --fiches 150000 --runs 10. --keep leaves the last database in place
# (for EXPLAIN ANALYZE); drop it with
# `psql -h 127.0.0.1 -U postgres -c "DROP DATABASE vi_bench_observatoire"`.
set -euo pipefail
cd "$(dirname "$0")/.."
DB=vi_bench_observatoire
SIZES=()
RUNS=10
KEEP=
SANS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --fiches) SIZES+=("$2"); shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --sans-tache) SANS=(--sans-tache); shift ;;
        *) echo "usage: bash bench/observatoire.sh [--fiches N]... [--runs R] [--keep] [--sans-tache]" >&2; exit 2 ;;
    esac
done
[ ${#SIZES[@]} -gt 0 ] || SIZES=(15000 150000)

REDIS_DB=9
source bench/demo_postgresql.sh

for n in "${SIZES[@]}"; do
    demo_de "$n"
    "${PROD[@]}" $PY bench/observatoire.py --runs "$RUNS" "${SANS[@]}"
    echo
done
