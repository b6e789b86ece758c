#!/usr/bin/env bash
# Time the import of the referential (fresh database, then a second run) and the default demo,
# on SQLite and, when it answers on 127.0.0.1:5432, on PostgreSQL.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
seconds() {  # wall time of a command, in seconds with two decimals
    local start=$(date +%s%N)
    "$@" >/dev/null
    local ms=$(( ($(date +%s%N) - start) / 1000000 ))
    printf '%d.%02d' $((ms / 1000)) $((ms % 1000 / 10))
}

run() {
    $PY manage.py migrate --noinput -v0
    printf '%-10s import (new db)    %6s s\n' "$1" "$(seconds $PY manage.py import_territoires)"
    printf '%-10s import (again)     %6s s\n' "$1" "$(seconds $PY manage.py import_territoires)"
    $PY manage.py import_taxonomie >/dev/null
    printf '%-10s demo (default)     %6s s\n' "$1" "$(seconds $PY manage.py demo)"
}

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
(unset DATABASE_URL REDIS_URL; export SQLITE_PATH="$tmp/bench.sqlite3"; run SQLite)
if pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE IF EXISTS vi_bench" -c "CREATE DATABASE vi_bench"
    (export DATABASE_URL=postgres://postgres@127.0.0.1:5432/vi_bench; unset REDIS_URL; run PostgreSQL)
    psql -h 127.0.0.1 -U postgres -q -c "DROP DATABASE vi_bench"
fi
