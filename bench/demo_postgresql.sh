# Sourced by the benches that measure the demo on PostgreSQL at several sizes (atlaas.sh,
# observatoire.sh). Before sourcing: DB (the database, created and dropped here), REDIS_DB (the
# broker's Redis database; the cache takes the next one), KEEP (non-empty: the last database
# stays). Gives PY, PROD (the command prefix of production settings, empty without Redis), tmp
# (a folder removed at exit), sql, sql_db, seconds, and demo_de N (a fresh database with the demo
# of N fiches, its timings printed).
PY=.venv/bin/python

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    echo "PostgreSQL ne répond pas sur 127.0.0.1:5432 : ce banc d'essai ne mesure que PostgreSQL." >&2
    exit 1
fi
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB
if command -v redis-cli >/dev/null && [ "$(redis-cli -h 127.0.0.1 -p 6379 ping 2>/dev/null)" = PONG ]; then
    # The broker's database is unused (tasks run eagerly); the cache is the next one.
    export REDIS_URL=redis://127.0.0.1:6379/$REDIS_DB CELERY_TASK_ALWAYS_EAGER=true
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

demo_de() {
    echo "=== $1 fiches ==="
    sql "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
    sql "CREATE DATABASE $DB"
    $PY manage.py migrate --noinput -v0
    echo "référentiel (territoires, taxonomie)  $(seconds $PY manage.py import_territoires) s + $(seconds $PY manage.py import_taxonomie) s"
    echo "demo --fiches $1                       $(seconds $PY manage.py demo --fiches "$1") s"
    # The demo writes every fiche twice (created, then indexed): production's autovacuum clears the
    # dead rows and marks the pages all-visible within a minute; this machine's PostgreSQL runs
    # without it, so the bench does it once, as autovacuum would.
    echo "VACUUM (ANALYZE)                       $(seconds sql_db "VACUUM (ANALYZE)") s"
    echo "taille de la base                      $(psql -h 127.0.0.1 -U postgres -d "$DB" -Atc "SELECT pg_size_pretty(pg_database_size(current_database()))")"
    echo "charge de la machine                   $(cut -d' ' -f1-3 /proc/loadavg)"
    [ ${#PROD[@]} -eq 0 ] || "${PROD[@]}" $PY manage.py collectstatic --noinput -v0
}
