"""A collectivité's public page shows its label history (chart, summary, distinctions, table),
its intercommunalité's label or its member communes' labels; only published or imported years,
and a number of queries that does not grow with the years or the member communes."""

import datetime
import io
import re

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from atlaas import catalogue
from label import palmares, publication
from label.models import Edition, HistoriqueComplet, Labellisation, Mention, Resultat
from tests.factories import CandidatureFactory, CommuneFactory, EditionFactory, EpciFactory

pytestmark = pytest.mark.django_db


def page_of(client, collectivite):
    response = client.get(reverse("atlaas:collectivite", args=[collectivite.code]))
    assert response.status_code == 200
    return response.content.decode()


def labels(collectivite, *rows):
    """rows: (annee, niveau) or (annee, niveau, ten, mentions)."""
    for row in rows:
        annee, niveau, ten, mentions = (*row, False, "")[:4] if len(row) == 2 else row
        Labellisation.objects.create(
            collectivite=collectivite, annee=annee, niveau=niveau, ten=ten, mentions=mentions
        )


def graphique(page):
    return re.search(r'<svg class="historique__graphique".*?</svg>', page, re.S).group(0)


def texte(html):
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip()


def test_historique_chart_has_a_bar_per_labelled_year_and_shows_the_gaps(client):
    agen = CommuneFactory(nom="Agen", code="47001")
    labels(agen, (2019, 3), (2020, 4), (2022, 5, True, "Arobase verte\nDémocratie locale"))
    page = page_of(client, agen)
    svg = graphique(page)
    assert 'role="img"' in svg and 'aria-labelledby="historique-graphique-titre"' in svg
    assert svg.count('class="historique__barre"') == 3
    assert svg.count('class="historique__inconnu"') == 1  # 2021: its palmarès is not known whole
    titres = [texte(t) for t in re.findall(r"<title[^>]*>(.*?)</title>", svg, re.S)]
    assert titres == [
        "Niveau du label de 2019 à 2022, de 1 à 5 arobases",
        "2019 : 3@ (niveau 3 sur 5)",
        "2020 : 4@ (niveau 4 sur 5)",
        "2021 : aucune donnée",
        "2022 : 5@ (niveau 5 sur 5), Territoire d'excellence numérique",
    ]
    assert [int(a) for a in re.findall(r">(\d{4})</text>", svg)] == [2019, 2020, 2021, 2022]
    assert "Label obtenu 3 fois depuis 2019, 5@ en 2022." in texte(page)
    assert "style=" not in page  # the CSP forbids inline styles


def test_historique_summary_tells_since_when_the_level_holds(client):
    nerac = CommuneFactory()
    labels(
        nerac, *[(annee, 3) for annee in range(2009, 2021, 2)], *[(annee, 5) for annee in range(2021, 2027)]
    )
    assert "Label obtenu 12 fois depuis 2009, 5@ depuis 2021." in texte(page_of(client, nerac))

    seule = CommuneFactory()
    labels(seule, (2024, 2))
    assert "Label obtenu une fois, en 2024 : 2@." in texte(page_of(client, seule))


def test_historique_lists_distinctions_and_the_ten_validity(client):
    annee = timezone.localdate().year
    agen = CommuneFactory()
    labels(
        agen,
        (annee - 6, 5, True, ""),
        (annee - 5, 5, False, "Mention libre"),
        (annee - 1, 5, True, "Arobase verte\nDémocratie locale"),
    )
    page = texte(page_of(client, agen))
    assert (
        f"Territoire d'excellence numérique {annee - 1}, valable jusqu'en {annee + 1} — en cours de validité"
        in page
    )
    assert f"Territoire d'excellence numérique {annee - 6}, valable jusqu'en {annee - 4} Mentions" in page
    assert f"Mentions {annee - 1} : Arobase verte, Démocratie locale" in page
    assert f"Mention {annee - 5} : Mention libre" in page
    assert page.count("en cours de validité") == 1


def test_historique_shows_the_imported_palmares(client, tmp_path):
    agen = CommuneFactory(code="47001")
    path = tmp_path / "palmares.csv"
    path.write_text("annee;code;niveau;mentions;ten\n1999;47001;@@;;\n2005;47001;4;Mention libre;\n")
    call_command("import_palmares", str(path), stdout=io.StringIO())
    page = page_of(client, agen)
    assert "1999\u00a0: 2@ (niveau 2 sur 5)" in page
    assert "Label obtenu 2 fois depuis 1999, 4@ en 2005." in texte(page)
    assert graphique(page).count('class="historique__inconnu"') == 5  # 2000 to 2004: not imported


def test_historique_says_pas_de_label_only_for_a_year_whose_whole_palmares_is_known(client, tmp_path):
    """Agen, labelled in 2009 and 2013: 2010 was imported whole (``--complet``), 2011 is a
    published edition of the portal, 2012 was only partly imported."""
    agen = CommuneFactory(nom="Agen", code="47001")
    nerac = CommuneFactory(nom="Nérac", code="47195")
    path = tmp_path / "palmares.csv"
    path.write_text("annee;code;niveau;mentions;ten\n2009;47001;2;;\n2010;47195;3;;\n2013;47001;3;;\n")
    call_command("import_palmares", str(path), stdout=io.StringIO())
    path.write_text("annee;code;niveau;mentions;ten\n2010;47195;3;;\n")
    call_command("import_palmares", str(path), "--complet", stdout=io.StringIO())
    Labellisation.objects.create(collectivite=nerac, annee=2012, niveau=2)
    edition = EditionFactory(annee=2011, state=Edition.State.CLOSE, cloture=timezone.now())
    Resultat.objects.create(
        candidature=CandidatureFactory(edition=edition, state="deposee", collectivite=nerac), niveau=3
    )
    Edition.objects.filter(pk=edition.pk).update(resultats_clos_at=timezone.now())
    publication.publier(edition)

    page = page_of(client, agen)
    titres = [texte(t) for t in re.findall(r"<title[^>]*>(.*?)</title>", graphique(page), re.S)]
    assert titres[2:5] == ["2010 : pas de label", "2011 : pas de label", "2012 : aucune donnée"]
    assert graphique(page).count('class="historique__absence"') == 2
    assert "Trait au pied du graphique : pas de label cette année-là" in texte(page)
    assert "« ? » : aucune donnée pour cette année-là" in texte(page)

    HistoriqueComplet.objects.create(annee=2012)  # staff declare it complete
    palmares.invalider_historique()  # as the admin owes it
    assert "2012\u00a0: pas de label" in page_of(client, agen)
    assert "aucune donnée" not in page_of(client, agen)


def test_a_result_shows_only_once_its_edition_is_published(client, django_capture_on_commit_callbacks):
    edition = EditionFactory(
        annee=2027, state=Edition.State.CLOSE, cloture=timezone.now() - datetime.timedelta(days=60)
    )
    agen = CommuneFactory(nom="Agen")
    labels(agen, (2026, 3))
    resultat = Resultat.objects.create(
        candidature=CandidatureFactory(edition=edition, state="deposee", collectivite=agen),
        niveau=5,
        ten=True,
    )
    resultat.mentions.add(Mention.objects.create(edition=edition, nom="Arobase verte"))
    Edition.objects.filter(pk=edition.pk).update(resultats_clos_at=timezone.now())

    page = page_of(client, agen)
    assert "2027" not in page and "Arobase verte" not in page and "niveau 5 sur 5" not in page
    assert "Territoire d'excellence" not in page and "TEN" not in page
    assert "Label obtenu une fois, en 2026 : 3@." in texte(page)

    with django_capture_on_commit_callbacks(execute=True):  # the publication's tasks
        publication.publier(edition)
    page = page_of(client, agen)
    assert "2027\u00a0: 5@ (niveau 5 sur 5), Territoire d'excellence numérique" in page
    assert "Label obtenu 2 fois depuis 2026, 5@ en 2027." in texte(page)
    assert "Mention 2027 : Arobase verte" in texte(page)


def test_a_collectivite_without_label_says_so(client):
    page = page_of(client, CommuneFactory())
    assert "Aucun label obtenu à ce jour." in page and "historique__graphique" not in page


def test_a_commune_page_shows_its_epci_and_the_epci_latest_label(client):
    epci = EpciFactory(nom="Agglomération d'Agen")
    labels(epci, (2024, 3), (2026, 4))
    agen = CommuneFactory(nom="Agen", epci=epci)
    page = page_of(client, agen)
    assert f'<a href="{epci.get_absolute_url()}">Agglomération d&#x27;Agen</a>' in page
    assert "dernier label en 2026\u00a0:" in page
    assert 'aria-label="niveau 4 sur 5">@@@@</span>' in page

    boe = CommuneFactory(epci=EpciFactory())
    assert "aucun label à ce jour" in page_of(client, boe)


def test_an_epci_page_lists_its_members_with_their_latest_label(client):
    epci = EpciFactory()
    agen = CommuneFactory(nom="Agen", population=32801, epci=epci)
    boe = CommuneFactory(nom="Boé", population=5700, epci=epci)
    labels(agen, (2020, 5), (2025, 2))
    page = page_of(client, epci)
    rows = {
        texte(r) for r in re.findall(r"<tr>(.*?)</tr>", page.split("Liste des communes membres")[1], re.S)
    }
    assert f"Agen {agen.code} 32 801 @@ 2025" in rows
    assert f"Boé {boe.code} 5 700 — aucun label" in rows
    assert f'href="{boe.get_absolute_url()}"' in page
    assert '<details class="membres" open>' in page

    CommuneFactory.create_batch(20, epci=epci)
    catalogue.invalider()  # as the import of the territories does
    assert '<details class="membres" >' in page_of(client, epci)  # many members: collapsed


def queries(client, collectivite):
    with CaptureQueriesContext(connection) as context:
        page_of(client, collectivite)
    return len(context)


def test_the_page_queries_do_not_grow_with_the_history(client):
    courte, longue = CommuneFactory(epci=EpciFactory()), CommuneFactory(epci=EpciFactory())
    labels(courte, (2025, 3), (2026, 4))
    labels(longue, *[(annee, 1 + annee % 5, annee % 4 == 0, "Arobase verte") for annee in range(2001, 2021)])
    labels(longue.epci, *[(annee, 2) for annee in range(2001, 2021)])
    assert queries(client, courte) == queries(client, longue)


def test_the_page_queries_do_not_grow_with_the_member_communes(client, django_assert_max_num_queries):
    petite, grande = EpciFactory(), EpciFactory()
    for epci, nombre in [(petite, 2), (grande, 60)]:
        for commune in CommuneFactory.create_batch(nombre, epci=epci):
            labels(commune, (2024, 2), (2025, 3))
        labels(epci, (2025, 4))
    assert queries(client, petite) == queries(client, grande)
    with django_assert_max_num_queries(5):
        page_of(client, grande)
