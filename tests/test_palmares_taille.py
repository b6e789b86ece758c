"""The palmarès page stays light at national scale (400 and 1,000 laureates in 101 départements
of 18 régions, overseas included, a mention for one in ten, a TEN for one in forty), its map of
the départements included: under 100 KB of HTML and 1,500 DOM nodes at 400 laureates (a real
palmarès has had up to about 260), and at 1,000 a page that grows by one line per laureate, not
more; every laureate still on the page with its link."""

import datetime

import pytest
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from atlaas.francais import normaliser_nom
from atlaas.models import Collectivite, Departement, Region, Zone
from label import publication
from label.models import Candidature, Edition, HistoriqueComplet, Labellisation, Mention, Resultat
from tests.factories import EditionFactory
from tests.pages import hors_svg, taille

pytestmark = pytest.mark.django_db
ANNEE = 2027
# Bytes and nodes allowed at 400 laureates, then for each laureate beyond: one line, one link.
OCTETS, NOEUDS = 100_000, 1_500
# Elements outside the map's SVG, as EcoIndex counts them: at 400 laureates, about 650 keep the
# page in its grade B (docs/palmares.md); the laureates' links are 400 of them.
HORS_SVG = 650
PAR_LAUREAT = 90, 1
MENTIONS = ("Arobase verte", "Médiation numérique", "Démocratie locale", "Numérique éducatif")


def territoire():
    """13 metropolitan régions of 7 or 8 départements (96) and 5 overseas ones of one each."""
    regions = [Region(code=f"{11 + k}", nom=f"Région métropolitaine {k + 1}") for k in range(13)]
    regions += [Region(code=f"0{k + 1}", nom=f"Région d'outre-mer {k + 1}", zone=Zone.DROM) for k in range(5)]
    regions = Region.objects.bulk_create(regions)
    departements = [
        Departement(code=f"{k + 1:02}", nom=f"Département {k + 1:02}", region=regions[k % 13])
        for k in range(96)
    ]
    departements += [
        Departement(code=f"97{k + 1}", nom=f"Département 97{k + 1}", region=regions[13 + k], zone=Zone.DROM)
        for k in range(5)
    ]
    return Departement.objects.bulk_create(departements)


def palmares_national(laureats):
    """A published edition with ``laureats`` laureates, names of ordinary length."""
    departements = territoire()
    HistoriqueComplet.objects.bulk_create([HistoriqueComplet(annee=annee) for annee in range(1999, ANNEE)])
    edition = EditionFactory(
        annee=ANNEE,
        numero=ANNEE - 1999,
        state=Edition.State.CLOSE,
        cloture=timezone.now() - datetime.timedelta(days=60),
        ceremonie_date=datetime.date(ANNEE, 1, 28),
        ceremonie_lieu="Agen",
    )
    mentions = Mention.objects.bulk_create(
        [Mention(edition=edition, nom=nom, ordre=k) for k, nom in enumerate(MENTIONS)]
    )
    collectivites = []
    for i in range(laureats):
        departement = departements[i % len(departements)]
        nom = f"Commune-exemple {i:03}"
        collectivites.append(
            Collectivite(
                nature=Collectivite.Nature.COMMUNE,
                code=f"{departement.code}{i:03}",
                nom=nom,
                slug=f"commune-exemple-{i:03}",
                nom_normalise=normaliser_nom(nom),
                departement=departement,
                region=departement.region,
                zone=departement.zone,
                population=400 + 97 * i,
            )
        )
    collectivites = Collectivite.objects.bulk_create(collectivites)
    Labellisation.objects.bulk_create(
        [
            Labellisation(collectivite=c, annee=ANNEE - 1, niveau=1 + (i + 1) % 5)
            for i, c in enumerate(collectivites)
            if i % 8
        ]
    )
    candidatures = Candidature.objects.bulk_create(
        [
            Candidature(
                edition=edition,
                collectivite=c,
                type=("ville", "village", "territoire")[i % 3],
                state=Candidature.State.DEPOSEE,
                submitted_at=timezone.now(),
            )
            for i, c in enumerate(collectivites)
        ]
    )
    resultats = Resultat.objects.bulk_create(
        [Resultat(candidature=c, niveau=1 + i % 5, ten=i % 40 == 4) for i, c in enumerate(candidatures)]
    )
    Resultat.mentions.through.objects.bulk_create(
        [
            Resultat.mentions.through(resultat_id=r.pk, mention_id=mentions[i % len(mentions)].pk)
            for i, r in enumerate(resultats)
            if i % 10 == 3
        ]
    )
    Edition.objects.filter(pk=edition.pk).update(resultats_clos_at=timezone.now())
    publication.publier(edition)
    cache.clear()
    return edition


@pytest.mark.parametrize("laureats", [400, 1000])
def test_palmares_page_stays_light(client, laureats):
    palmares_national(laureats)
    response = client.get(reverse("label:palmares", args=[ANNEE]))
    assert response.status_code == 200
    octets, noeuds = taille(response.content)
    print(f"palmarès, {laureats} lauréats : {octets} octets, {noeuds} nœuds")
    contenu = response.content.decode()
    for i in (0, 1, laureats // 2, laureats - 1):
        assert f">Commune-exemple {i:03}</a>" in contenu
    assert contenu.count('href="/collectivites/') >= laureats
    au_dela = laureats - 400
    assert octets < OCTETS + au_dela * PAR_LAUREAT[0]
    assert noeuds < NOEUDS + au_dela * PAR_LAUREAT[1]
    assert hors_svg(contenu) < HORS_SVG + au_dela * PAR_LAUREAT[1]
