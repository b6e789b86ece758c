#!/usr/bin/env bash
# The restore drill on the demo, timed: a backup (`manage.py sauvegarder`), its restoration into a
# fresh database and folder (`restaurer --base … --media …`), then over the live database and
# MEDIA_ROOT (`restaurer --ecraser`, the disaster case). PostgreSQL at 127.0.0.1:5432 (user
# postgres); the databases vi_bench_restauration and vi_bench_restauration_cible are created and
# dropped here. Tasks run eagerly (no Redis): the demo's certificates are generated in-process.
#
#     bash bench/restauration.sh [--fiches N]     (default: the default demo, 15,000 fiches)
#
# KEEP=1 leaves both databases and the temporary folder (backup, media) in place.
set -euo pipefail
cd "$(dirname "$0")/.."
PY=.venv/bin/python
DB=vi_bench_restauration
CIBLE=${DB}_cible
DEMO=()
while [ $# -gt 0 ]; do
    case "$1" in
        --fiches) DEMO=(--fiches "$2"); shift 2 ;;
        *) echo "usage: bash bench/restauration.sh [--fiches N]" >&2; exit 2 ;;
    esac
done

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
    echo "PostgreSQL ne répond pas sur 127.0.0.1:5432 : ce banc d'essai mesure pg_dump et pg_restore." >&2
    exit 1
fi
tmp=$(mktemp -d)
export DATABASE_URL=postgres://postgres@127.0.0.1:5432/$DB MEDIA_ROOT=$tmp/media LOG_LEVEL=WARNING
unset REDIS_URL REDIS_CACHE_URL

sql() { PGOPTIONS="-c client_min_messages=warning" psql -h 127.0.0.1 -U postgres -d "${2:-postgres}" -Atq -v ON_ERROR_STOP=1 -c "$1"; }
seconds() {  # wall time of a command, in seconds with one decimal
    local start=$(date +%s%N)
    "$@" >/dev/null
    local ms=$(( ($(date +%s%N) - start) / 1000000 ))
    printf '%d.%d' $((ms / 1000)) $((ms % 1000 / 100))
}
cleanup() {
    [ -z "${KEEP:-}" ] || return 0
    rm -rf "$tmp"
    sql "DROP DATABASE IF EXISTS $DB WITH (FORCE)"
    sql "DROP DATABASE IF EXISTS $CIBLE WITH (FORCE)"
}
trap cleanup EXIT
# What the drill compares: a few row counts and every media file's checksum.
empreinte() {
    sql "SELECT (SELECT count(*) FROM atlaas_ficheaction) || ' fiches, ' ||
                (SELECT count(*) FROM label_labellisation) || ' labels, ' ||
                (SELECT count(*) FROM label_document WHERE fichier <> '') || ' documents'" "$1"
    (cd "$2" && find . -type f ! -path './.restauration-*' -exec sha256sum {} + | sort | sha256sum)
}

for base in $DB $CIBLE; do
    sql "DROP DATABASE IF EXISTS $base WITH (FORCE)"
    sql "CREATE DATABASE $base"
done
$PY manage.py migrate --noinput -v0
$PY manage.py import_territoires >/dev/null
$PY manage.py import_taxonomie >/dev/null
echo "demo ${DEMO[*]:-(défaut)}               $(seconds $PY manage.py demo "${DEMO[@]}") s"
sql "VACUUM (ANALYZE)" $DB

echo "sauvegarder                         $(seconds $PY manage.py sauvegarder --dossier "$tmp/sauvegardes") s"
dossier=$(ls -d "$tmp"/sauvegardes/2*)
$PY - "$dossier/manifeste.json" <<'PY'
import json, sys
m = json.load(open(sys.argv[1]))
print(f"  base.dump {m['base']['taille'] / 1e6:.1f} Mo, media.tar {m['media']['taille'] / 1e6:.1f} Mo "
      f"({m['media']['fichiers']} fichiers, {len(m['media']['absents'])} absents)")
PY
echo "restaurer --base (base neuve)       $(seconds $PY manage.py restaurer "$dossier" --base $CIBLE --media "$tmp/media_cible") s"
source=$(empreinte $DB "$MEDIA_ROOT")
[ "$(empreinte $CIBLE "$tmp/media_cible")" = "$source" ] || { echo "la copie restaurée diffère" >&2; exit 1; }
echo "  identique : $(head -n 1 <<<"$source"), fichiers compris"
echo "restaurer --ecraser (base en place) $(seconds $PY manage.py restaurer "$dossier" --ecraser) s"
[ "$(empreinte $DB "$MEDIA_ROOT")" = "$source" ] || { echo "la base restaurée diffère" >&2; exit 1; }
echo "  identique"
