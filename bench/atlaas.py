"""Server time and query count of the Atlaas catalogue (/atlaas/) for twenty fixed searches.

Each search is measured twice in a row: cold (the searches in the cache forgotten just before,
outside the timed part, as a publication does: the first visitor of a search after it) and warm
(the same request again). For comparison, the text part of the same searches is also run as a naive scan
(``icontains`` on the main fields, through the ORM, no page rendered).

Runs in-process (Django's test client, no network) on PostgreSQL only, on a database holding the
demo. ``bench/atlaas.sh`` builds a dedicated database for each size and runs this script on it:

    bash bench/atlaas.sh                        # 15,000 then 150,000 fiches, and the ratios
    # or, on a PostgreSQL database where `manage.py demo --fiches N` has run (options: --runs R):
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/vi_bench_atlaas .venv/bin/python bench/atlaas.py
"""

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path

from mesures import percentile

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "villes_internet.settings")

# What users type, with and without facets; the slugs and codes are those of the demo's
# taxonomy (atlaas/data/taxonomie.json) and referential (75 Nouvelle-Aquitaine, 47 Lot-et-Garonne).
RECHERCHES = [
    {"q": "médiation numérique seniors"},
    {"q": "budget participatif"},
    {"q": '"école numérique"'},
    {"q": "numérique -école"},
    {"q": "cybersécurité"},
    {"q": "données ouvertes OR open data"},
    {"q": "agen"},
    {"q": "tiers-lieu"},
    {"q": "télémédecine"},
    {"q": "démarches en ligne", "type": "village"},
    {"q": "médiation numérique", "enjeu": "mediation", "region": "75"},
    {"q": "budget participatif", "strate": "20000-100000"},
    {"q": "cybersécurité", "niveau": "4"},
    {"q": "inclusion numérique", "annee": "2024"},
    {"q": "médiathèque", "departement": "47"},
    {"enjeu": "mediation", "type": "village"},  # facets only
    {},  # the landing page
    {"q": "mediaton numerik"},  # no result: the page looks for a suggestion
    {"q": "médiation numérique", "tri": "date"},
    {"q": "numérique", "page": "3"},
]
NAIF_CHAMPS = ("titre", "sous_titre", "description", "resultats", "collectivite__nom")
NAIF_MAX = 200_000  # published fiches above which the naive scan runs once per search
CONDITIONS = {
    "froid": "froid (comme après une publication)",
    "chaud": "chaud (même requête, cache gardé)",
    "naif": "naïf icontains (ORM, sans page)",
}


def libelle(params):
    q = f"« {params['q']} »" if "q" in params else "(sans texte)"
    return " ".join([q, *(f"{k}={v}" for k, v in params.items() if k != "q")])


def plage(counts):
    return f"{min(counts)}–{max(counts)}" if min(counts) != max(counts) else str(min(counts))


def chiffres(times):
    return {"p50": statistics.median(times), "p95": percentile(times, 95)}


def comparer(*fichiers):
    """One table of the figures of several sizes (files written by --json, smallest first): p50
    and p95 of each condition at each size, and their ratios to the smallest size."""
    tailles = [json.loads(Path(f).read_text()) for f in fichiers]
    petit = tailles[0]
    entete = "".join(f"{t['fiches']:>11} p50 {'p95':>7}" for t in tailles)
    print(f"\n{'fiches publiées':<38}{entete}")
    conditions = {cle: nom for cle, nom in CONDITIONS.items() if all(cle in t for t in tailles)}
    for cle, nom in conditions.items():
        valeurs = "".join(f"{t[cle]['p50']:12.1f} ms {t[cle]['p95']:5.1f} ms" for t in tailles)
        print(f"  {nom:<36}{valeurs}")
    for t in tailles[1:]:
        print(f"Rapport {t['fiches']} / {petit['fiches']} fiches publiées     p50      p95")
        for cle, nom in conditions.items():
            ratios = [t[cle][p] / petit[cle][p] for p in ("p50", "p95")]
            print(f"  {nom:<38} {ratios[0]:5.1f} ×  {ratios[1]:5.1f} ×")
    if "charge" in petit:
        print(
            "Charge de la machine (1 min) à la fin de chaque taille : "
            + ", ".join(f"{t['fiches']} : {t.get('charge', '?')}" for t in tailles)
        )


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="mesures de chaque recherche (défaut : 10)")
    parser.add_argument("--json", help="écrit aussi les chiffres dans ce fichier (pour --compare)")
    parser.add_argument(
        "--compare", nargs="+", metavar="TAILLE.json", help="fichiers de --json, du plus petit au plus grand"
    )
    parser.add_argument(
        "--moteur",
        metavar="DOSSIER",
        help="le moteur de recherche de l'Atlaas (ATLAAS_MOTEUR), son index d'abord construit là",
    )
    parser.add_argument("--sans-naif", action="store_true", help="sans le parcours naïf (icontains)")
    args = parser.parse_args()
    if args.compare:
        comparer(*args.compare)
    else:
        mesurer(args.runs, args.json, args.moteur, not args.sans_naif)


def construire_moteur(dossier):
    """Point the catalogue at the engine in ``dossier`` and build its index there, timed."""
    from django.conf import settings

    from atlaas import catalogue

    settings.ATLAAS_MOTEUR = dossier
    start = time.perf_counter()
    nombre = catalogue.moteur.reconstruire()
    taille = sum(f.stat().st_size for f in Path(dossier).rglob("*") if f.is_file())
    print(
        f"moteur : index de {nombre} fiches construit en {time.perf_counter() - start:.1f} s, "
        f"{taille / 1e6:.0f} Mo dans {dossier}"
    )


def mesurer(runs, fichier, moteur=None, naif_aussi=True):
    import importlib

    # Set up as a web worker is (gunicorn loads this module), its garbage collector's settings included.
    importlib.import_module("villes_internet.wsgi")

    from django.core.cache import cache, caches
    from django.db import connection
    from django.db.models import Q
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse

    from atlaas import catalogue
    from atlaas.forms import RechercheForm
    from atlaas.models import FicheAction

    if connection.vendor != "postgresql":
        sys.exit(
            "Ce banc d'essai ne mesure que PostgreSQL (le mode complet) : lancez `bash bench/atlaas.sh`, "
            "ou donnez DATABASE_URL=postgres://… d'une base où `manage.py demo` a tourné."
        )
    publiees = FicheAction.objects.published()
    nombre = publiees.count()
    if not nombre:
        sys.exit("Aucune fiche publiée : lancez d'abord `manage.py demo --fiches N` sur cette base.")
    for params in RECHERCHES:
        form = RechercheForm(params)
        if not form.is_valid():
            sys.exit(f"{libelle(params)} : paramètres inconnus de cette base {form.errors.as_json()}")

    # Server time without reconnections: the connection stays open for the whole run.
    connection.settings_dict["CONN_MAX_AGE"] = None
    # No setup_test_environment(): its template instrumentation (copies of every context for
    # response.context) would be counted as server time. The host is one the settings allow.
    client = Client(SERVER_NAME="localhost")
    url = reverse("atlaas:catalogue")

    def page(params):
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            response = client.get(url, params, secure=True)  # as behind the TLS proxy
            elapsed = (time.perf_counter() - start) * 1000
        assert response.status_code == 200, (libelle(params), response.status_code)
        return elapsed, len(captured)

    def naif(q):
        """Every word in one of the fields (``-mot``: in none), newest first: 20 rows and the count."""
        qs = publiees
        for token in q.split():
            mot = token.strip('"')
            if not mot.lstrip("-") or mot == "OR":
                continue
            condition = Q()
            for champ in NAIF_CHAMPS:
                condition |= Q(**{f"{champ}__icontains": mot.lstrip("-")})
            qs = qs.exclude(condition) if mot.startswith("-") else qs.filter(condition)
        with CaptureQueriesContext(connection) as captured:
            start = time.perf_counter()
            total = qs.count()
            lignes = list(
                qs.select_related("collectivite").defer("search_vector").order_by("-published_at", "-pk")[:20]
            )
            elapsed = (time.perf_counter() - start) * 1000
        return elapsed, len(captured), total, len(lignes)

    if moteur:
        construire_moteur(moteur)
    # A publication owes a new full CSV export, which a Celery worker writes in production. With
    # the bench's eager tasks it would run here, between two measures: at 1.3 million fiches,
    # 13 minutes each time. The searches' cache is forgotten all the same.
    catalogue.export.demander = lambda: None

    for params in RECHERCHES:  # warm-up: templates compiled, connection open
        page(params)

    mesures = {i: {"froid": [], "chaud": [], "naif": []} for i in range(len(RECHERCHES))}
    requetes = {"froid": [], "chaud": [], "naif": []}
    for _ in range(runs):
        for i, params in enumerate(RECHERCHES):
            # Cold: the state after a publication. Every search's counts, ids and facets
            # fragment are forgotten; the referential's names and the spelling words stay.
            catalogue.invalider()
            for condition in ("froid", "chaud"):
                elapsed, count = page(params)
                mesures[i][condition].append(elapsed)
                requetes[condition].append(count)
    naif_totaux = {}
    # The naive scan reads every fiche: seconds a search at a million, measured once there.
    for _ in range((runs if nombre <= NAIF_MAX else 1) if naif_aussi else 0):
        for i, params in enumerate(RECHERCHES):
            cache.clear()  # nothing of it is cached: for symmetry only
            elapsed, count, total, _lignes = naif(params.get("q", ""))
            mesures[i]["naif"].append(elapsed)
            requetes["naif"].append(count)
            naif_totaux[i] = total

    backend = type(caches["default"]).__name__
    print(
        f"{connection.vendor} — {nombre} fiches publiées ({FicheAction.objects.count()} en tout) ; "
        f"{len(RECHERCHES)} recherches × {runs} mesures ; cache {backend}"
    )
    print(f"\n{'recherche':<58} {'résultats':>9} {'froid p50':>10} {'chaud p50':>10} {'naïf p50':>9}")
    for i, params in enumerate(RECHERCHES):
        form = RechercheForm(params)
        form.is_valid()
        filtres = form.filtres()
        total = catalogue.rechercher(filtres, filtres.get("page", 1)).total
        m = mesures[i]
        print(
            f"{libelle(params)[:58]:<58} {total:>9} {statistics.median(m['froid']):7.1f} ms "
            f"{statistics.median(m['chaud']):7.1f} ms "
            + (f"{statistics.median(m['naif']):6.1f} ms  (naïf : {naif_totaux[i]})" if naif_aussi else "")
        )

    figures = {"fiches": nombre, "charge": round(os.getloadavg()[0], 2)}
    print(f"\n{'page /atlaas/, 20 recherches':<38} {'p50':>9} {'p95':>10}   requêtes SQL")
    for condition, nom in CONDITIONS.items():
        toutes = [t for i in mesures for t in mesures[i][condition]]
        if not toutes:
            continue
        figures[condition] = chiffres(toutes)
        print(
            f"{nom:<38} {figures[condition]['p50']:6.1f} ms {figures[condition]['p95']:7.1f} ms   "
            f"{plage(requetes[condition])}"
        )
    if naif_aussi:
        ratios = [figures["naif"][p] / figures["froid"][p] for p in ("p50", "p95")]
        print(f"{'naïf / froid':<38} {ratios[0]:6.1f} ×  {ratios[1]:7.1f} ×")
    print("Charge de la machine (1, 5, 15 min) : " + ", ".join(f"{x:.2f}" for x in os.getloadavg()))
    if fichier:
        Path(fichier).write_text(json.dumps(figures))
    cache.clear()  # leave nothing of this database in the cache


if __name__ == "__main__":
    main()
