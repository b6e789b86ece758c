#!/usr/bin/env bash
# Server time of the Atlaas catalogue (bench/atlaas.py) at several sizes of the demo, each on a
# database of its own (vi_bench_atlaas, created and dropped here), then the ratios of the largest
# size to the smallest. PostgreSQL at 127.0.0.1:5432 (user postgres); the cache is Redis (its
# database 15) when it answers on 127.0.0.1:6379, the in-process cache otherwise.
#
#     bash bench/atlaas.sh [--fiches N]... [--runs R] [--keep]
#
# Default: --fiches 15000 --fiches 150000 --runs 10. Above 15,000 fiches the demo builds 15,000 in
# Python and copies their published fiches in SQL (villes_internet/demo_croissance.py): 1.5 million
# (`--fiches 1500000`, 1.28 million published) take about four minutes and 3.4 GB of disk.
# --keep leaves the last database in place (for EXPLAIN ANALYZE); drop it with `psql -h 127.0.0.1 -U postgres -c "DROP DATABASE vi_bench_atlaas"`.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
DB=vi_bench_atlaas
SIZES=()
RUNS=10
KEEP=
while [ $# -gt 0 ]; do
    case "$1" in
        --fiches) SIZES+=("$2"); shift 2 ;;
        --runs) RUNS=$2; shift 2 ;;
        --keep) KEEP=1; shift ;;
        *) echo "usage: bash bench/atlaas.sh [--fiches N]... [--runs R] [--keep]" >&2; exit 2 ;;
    esac
done
[ ${#SIZES[@]} -gt 0 ] || SIZES=(15000 150000)

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    echo "PostgreSQL ne répond pas sur 127.0.0.1:5432 : ce banc d'essai ne mesure que PostgreSQL." >&2
    exit 1
fi
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB
if command -v redis-cli >/dev/null && [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; then
    # Broker database 14 (unused: tasks run eagerly), cache database 15, emptied by the script.
    export REDIS_URL=redis://127.0.0.1:6379/14 CELERY_TASK_ALWAYS_EAGER=true
    unset REDIS_CACHE_URL
    # The figures are those of production settings (DEBUG off: no template debugging).
    PROD=(env DEBUG=false SECRET_KEY="bench-$(head -c 48 /dev/urandom | base64 | tr -dc 'a-zA-Z0-9')"
          ALLOWED_HOSTS=localhost SITE_URL=https://localhost EMAIL_HOST=localhost
          EDITEUR=banc HEBERGEUR=banc)
else
    unset REDIS_URL REDIS_CACHE_URL
    PROD=()
    echo "Redis ne répond pas : mesures avec le cache en mémoire et DEBUG par défaut." >&2
fi

sql() { PGOPTIONS="-c client_min_messages=warning" psql -h 127.0.0.1 -U postgres -d postgres -q -v ON_ERROR_STOP=1 -c "$1"; }
sql_db() { PGOPTIONS="-c client_min_messages=warning" psql -h 127.0.0.1 -U postgres -d "$DB" -q -v ON_ERROR_STOP=1 -c "$1"; }
seconds() {  # wall time of a command, in seconds with one decimal
    local start=$(date +%s%N)
    "$@" >/dev/null
    local ms=$(( ($(date +%s%N) - start) / 1000000 ))
    printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}

tmp=$(mktemp -d)
cleanup() {
    rm -rf "$tmp"
    [ -n "$KEEP" ] || sql "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
}
trap cleanup EXIT

for n in "${SIZES[@]}"; do
    echo "=== $n fiches ==="
    sql "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
    sql "CREATE DATABASE $DB"
    $PY manage.py migrate --noinput -v0
    echo "référentiel (territoires, taxonomie)  $(seconds $PY manage.py import_territoires) s + $(seconds $PY manage.py import_taxonomie) s"
    echo "demo --fiches $n                       $(seconds $PY manage.py demo --fiches "$n") s"
    # The demo writes every fiche twice (created, then indexed): production's autovacuum clears the
    # dead rows and marks the pages all-visible within a minute; this machine's PostgreSQL runs
    # without it, so the bench does it once, as autovacuum would.
    echo "VACUUM (ANALYZE)                       $(seconds sql_db "VACUUM (ANALYZE)") s"
    echo "taille de la base                      $(psql -h 127.0.0.1 -U postgres -d "$DB" -Atc "SELECT pg_size_pretty(pg_database_size(current_database()))")"
    echo "charge de la machine                   $(cut -d' ' -f1-3 /proc/loadavg)"
    [ ${#PROD[@]} -eq 0 ] || "${PROD[@]}" $PY manage.py collectstatic --noinput -v0
    "${PROD[@]}" $PY bench/atlaas.py --runs "$RUNS" --json "$tmp/$n.json"
    echo
done
if [ ${#SIZES[@]} -gt 1 ]; then
    files=()
    for n in "${SIZES[@]}"; do files+=("$tmp/$n.json"); done
    $PY bench/atlaas.py --compare "${files[@]}"
fi
