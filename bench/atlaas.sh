#!/usr/bin/env bash
# Server time of the Atlaas catalogue (bench/atlaas.py) at several sizes of the demo, each on a
# database of its own (vi_bench_atlaas, created and dropped here), then the ratios of the largest
# size to the smallest. PostgreSQL at 127.0.0.1:5432 (user postgres); the cache is Redis (its
# database 15) when it answers on 127.0.0.1:6379, the in-process cache otherwise.
#
#     bash bench/atlaas.sh [--fiches N]... [--runs R] [--keep] [--moteur] [--sans-naif]
#
# --moteur: the searches answered by the Atlaas' search engine (ATLAAS_MOTEUR), its index built
# for each size in a temporary folder (the time and size printed); --sans-naif: without the naive
# scan (icontains), which takes minutes at a million fiches.
#
# Default: --fiches 15000 --fiches 150000 --runs 10. Above 15,000 fiches the demo builds 15,000 in
# Python and copies their published fiches in SQL (villes_internet/demo_croissance.py): 1.5 million
# (`--fiches 1500000`, 1.28 million published) take about four minutes and 3.4 GB of disk.
# --keep leaves the last database in place (for EXPLAIN ANALYZE); drop it with `psql -h 127.0.0.1 -U postgres -c "DROP DATABASE vi_bench_atlaas"`.
set -euo pipefail
cd "$(dirname "$0")/.."
DB=vi_bench_atlaas
SIZES=()
RUNS=10
KEEP=
MOTEUR=
OPTIONS=()
while [ $# -gt 0 ]; do
    case "$1" in
        --fiches) SIZES+=("$2"); shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        --moteur) MOTEUR=1; shift ;;
        --sans-naif) OPTIONS+=(--sans-naif); shift ;;
        *) echo "usage: bash bench/atlaas.sh [--fiches N]... [--runs R] [--keep] [--moteur] [--sans-naif]" >&2; exit 2 ;;
    esac
done
[ ${#SIZES[@]} -gt 0 ] || SIZES=(15000 150000)

REDIS_DB=14
source bench/demo_postgresql.sh

for n in "${SIZES[@]}"; do
    demo_de "$n"
    moteur=()
    [ -z "$MOTEUR" ] || moteur=(--moteur "$tmp/moteur-$n")
    "${PROD[@]}" $PY bench/atlaas.py --runs "$RUNS" --json "$tmp/$n.json" "${OPTIONS[@]}" "${moteur[@]}"
    echo
done
if [ ${#SIZES[@]} -gt 1 ]; then
    files=()
    for n in "${SIZES[@]}"; do files+=("$tmp/$n.json"); done
    $PY bench/atlaas.py --compare "${files[@]}"
fi
