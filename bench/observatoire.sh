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
PY=.venv/bin/python
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

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    echo "PostgreSQL ne répond pas sur 127.0.0.1:5432 : ce banc d'essai ne mesure que PostgreSQL." >&2
    exit 1
fi
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB
if command -v redis-cli >/dev/null && [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; then
    # Broker database 9 (unused: tasks run eagerly), cache database 10.
    export REDIS_URL=redis://127.0.0.1:6379/9 CELERY_TASK_ALWAYS_EAGER=true
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
    [ ${#PROD[@]} -eq 0 ] || "${PROD[@]}" $PY manage.py collectstatic --noinput -v0
    "${PROD[@]}" $PY bench/observatoire.py --runs "$RUNS" "${SANS[@]}"
    echo
done
