"""The steering page stays light at national scale: 300 submitted dossiers, 20 jurors, three
evaluations per dossier. It shows one page of dossiers at a time; the exports stay complete."""

import csv
import datetime
import io
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from atlaas.francais import normaliser_nom
from atlaas.models import Collectivite
from jury.models import ConflitDeclare, Evaluation, Jury, Note
from label.models import Candidature, Mention, TypeCandidature
from tests.factories import (
    CritereFactory,
    DepartementFactory,
    EditionFactory,
    JureFactory,
    RegionFactory,
)
from tests.jury import connecter
from tests.pages import taille

pytestmark = pytest.mark.django_db
ANNEE = 2027
DOSSIERS, JURES, PAR_DOSSIER = 300, 20, 3
SOUMISE, BROUILLON, A_FAIRE = Evaluation.State.SOUMISE, Evaluation.State.BROUILLON, Evaluation.State.A_FAIRE


def url(name, *args):
    return reverse(f"jury:{name}", args=[ANNEE, *args])


def edition_nationale(dossiers=DOSSIERS):
    """300 dossiers (or ``dossiers``) in 12 départements of 3 régions, 20 jurors and a president
    (in conflict with the eighth dossier), three jurors per dossier (mostly submitted, some
    drafts, some not started), four criteria, two mentions."""
    edition = EditionFactory(annee=ANNEE, jury_date=timezone.localdate() + datetime.timedelta(days=20))
    Jury.objects.get_or_create(edition=edition)
    criteres = [CritereFactory(edition=edition, libelle=f"Critère {k}", echelle=5) for k in range(4)]
    mentions = [Mention.objects.create(edition=edition, nom=nom) for nom in ("Arobase verte", "Médiation")]
    regions = [
        RegionFactory(code=code, nom=nom)
        for code, nom in (("75", "Nouvelle-Aquitaine"), ("76", "Occitanie"), ("84", "Auvergne-Rhône-Alpes"))
    ]
    departements = [
        DepartementFactory(code=f"{10 + k}", nom=f"Département {10 + k}", region=regions[k % 3])
        for k in range(12)
    ]
    collectivites = Collectivite.objects.bulk_create(
        [
            Collectivite(
                nature=Collectivite.Nature.COMMUNE,
                code=f"{departements[i % 12].code}{i:03}",
                nom=f"Saint-Exemple-sur-Garonne {i:03}",
                slug=f"saint-exemple-{i:03}",
                nom_normalise=normaliser_nom(f"Saint-Exemple-sur-Garonne {i:03}"),
                departement=departements[i % 12],
                region=departements[i % 12].region,
                population=1000 + 37 * i,
            )
            for i in range(dossiers)
        ]
    )
    types = [TypeCandidature.VILLE, TypeCandidature.VILLAGE, TypeCandidature.TERRITOIRE]
    candidatures = Candidature.objects.bulk_create(
        [
            Candidature(
                edition=edition,
                collectivite=c,
                type=types[i % 3],
                state=Candidature.State.DEPOSEE,
                submitted_at=timezone.now(),
            )
            for i, c in enumerate(collectivites)
        ]
    )
    president = JureFactory(edition=edition, president=True, nom="Hélène Présidente")
    jures = [JureFactory(edition=edition, nom=f"Juré numéro {k:02}") for k in range(JURES)]
    ConflitDeclare.objects.create(jure=president, collectivite=collectivites[7], motif="ancienne élue")
    evaluations = Evaluation.objects.bulk_create(
        [
            Evaluation(
                jure=jures[(i + k) % JURES],
                candidature=c,
                state=SOUMISE if (i + k) % 7 else (BROUILLON if i % 2 else A_FAIRE),
                niveau_propose=1 + (i * 3 + k) % 5,
                submitted_at=timezone.now(),
            )
            for i, c in enumerate(candidatures)
            for k in range(PAR_DOSSIER)
        ]
    )
    Note.objects.bulk_create(
        [
            Note(evaluation=e, critere=critere, score=(e.pk * 7 + k) % 6, commentaire="Bien")
            for e in evaluations
            for k, critere in enumerate(criteres)
        ]
    )
    Evaluation.mentions_proposees.through.objects.bulk_create(
        [
            Evaluation.mentions_proposees.through(evaluation=e, mention=mentions[e.pk % 2])
            for e in evaluations
            if e.state == SOUMISE and e.pk % 3
        ]
    )
    return edition, president, jures, candidatures


@pytest.fixture
def nationale(client):
    _, president, jures, candidatures = edition_nationale()
    connecter(client, president.user)
    return jures, candidatures


def section(html, debut, fin):
    return html.split(debut, 1)[1].split(fin, 1)[0]


def noms(response):
    """The collectivités of the dossier table, in the order shown."""
    tableau = section(response.content.decode(), 'id="titre-dossiers"', "</tbody>")
    return re.findall(r"Saint-Exemple-sur-Garonne \d{3}", tableau)


def test_pilotage_weighs_under_150_kb_and_1500_nodes_at_300_dossiers(client, nationale):
    response = client.get(url("pilotage"))
    assert response.status_code == 200
    octets, noeuds = taille(response.content)
    jures = taille(section(response.content.decode(), 'id="titre-jures"', 'id="titre-dossiers"'))
    print(
        f"\nPilotage à {DOSSIERS} dossiers et {JURES} jurés : {octets} octets, {noeuds} nœuds "
        f"(avancement par juré : {jures[0]} octets, {jures[1]} nœuds)."
    )
    assert octets < 150_000
    assert noeuds < 1_500
    # The jurors' part: about ten elements and under a kilobyte a juror.
    assert jures[0] < (JURES + 1) * 1_000
    assert jures[1] < (JURES + 1) * 12 + 30


def test_pilotage_shows_50_dossiers_a_page_and_every_dossier_once(client, nationale):
    _, candidatures = nationale
    vus = []
    for numero in range(1, 7):
        response = client.get(url("pilotage"), {"tri": "departement", "page": numero})
        page = noms(response)
        assert len(page) == 50
        vus += page
        html = response.content.decode()
        assert f"Page {numero} sur 6" in html
        assert "300 dossiers retenus sur 300." in html
        assert f"Dossiers {50 * numero - 49} à {50 * numero} ci-dessous." in html
    assert sorted(vus) == sorted(c.collectivite.nom for c in candidatures)
    assert vus == sorted(vus, key=lambda nom: (int(nom[-3:]) % 12, nom))  # by département, then name


def test_pilotage_page_links_keep_the_sort_and_filters(client, nationale):
    response = client.get(url("pilotage"), {"tri": "moyenne", "type": "village", "page": "2"})
    html = response.content.decode()
    assert "100 dossiers retenus sur 300." in html and "Page 2 sur 2" in html
    assert 'href="?tri=moyenne&amp;type=village&amp;page=1"' in html
    assert len(noms(response)) == 50
    assert 'value="moyenne" selected' in html  # the form shows what is applied


def test_pilotage_out_of_range_pages_show_the_last_or_the_first(client, nationale):
    derniere = noms(client.get(url("pilotage"), {"page": "6"}))
    assert noms(client.get(url("pilotage"), {"page": "99"})) == derniere
    premiere = noms(client.get(url("pilotage")))
    assert noms(client.get(url("pilotage"), {"page": "deux"})) == premiere


def test_pilotage_exports_hold_every_dossier_not_a_page(client, nationale):
    _, candidatures = nationale
    response = client.get(url("export_csv"), {"page": "2", "type": "village"})
    lignes = list(csv.DictReader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    # Three rows a dossier, one for the dossier the president is in conflict with.
    assert len(lignes) == 3 * DOSSIERS - 2
    assert {ligne["Collectivité"] for ligne in lignes} == {c.collectivite.nom for c in candidatures}
