"""The observatoire (/observatoire/): shares of fiches and collectivités per enjeu and service
year by year, the sentences of the rising and falling themes, the labels' figures (levels,
progressions, first participations, coverage) checked against the palmarès', the comparison
between groups, the filters and their errors, the CSV and JSON files, the cache and the number of
queries whatever the span."""

import csv
import datetime
import io
import re
from unittest import mock

import pytest
from django.core.cache import cache
from django.db import connection
from django.template.loader import render_to_string
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from atlaas import catalogue
from atlaas.models import FicheAction
from label import palmares
from label.models import Labellisation
from observatoire import phrases, tableaux
from observatoire.donnees import construire
from observatoire.forms import ObservatoireForm
from outbox.models import Envoi
from tests.factories import DepartementFactory, EnjeuFactory, FicheFactory, RegionFactory, ServiceFactory
from tests.pages import taille
from tests.test_palmares import edition, publiee, publier, territoires  # noqa: F401 - fixtures

pytestmark = pytest.mark.django_db
NBSP, NNBSP = "\u00a0", "\u202f"


@pytest.fixture
def services():
    proximite = EnjeuFactory(nom="Vie quotidienne", slug="vie-quotidienne")
    securite = EnjeuFactory(nom="Identité", slug="identite")
    return {
        "wifi": ServiceFactory(enjeu=proximite, nom="Wifi public", slug="wifi"),
        "site": ServiceFactory(enjeu=proximite, nom="Site web", slug="site"),
        "cyber": ServiceFactory(enjeu=securite, nom="Cybersécurité", slug="cyber"),
    }


def fiche(collectivite, annee, *services, state=FicheAction.State.PUBLIEE):
    return FicheFactory(
        collectivite=collectivite,
        date_debut=datetime.date(annee, 5, 1),
        state=state,
        published_at=timezone.now() if state == FicheAction.State.PUBLIEE else None,
        services=list(services),
    )


@pytest.fixture
def fiches(territoires, services):  # noqa: F811
    """2019: the village Saint-Étienne-de-Fougères wifi; the ville Agen wifi, cyber, wifi + site.
    2026: the village cyber; Agen cyber, wifi. A draft of 2026 (site) does not count.
    All fiches: wifi 3 of 4 (75 %) → 1 of 3 (33 %); site 1 of 4 (25 %) → 0; cyber 25 % → 67 %."""
    village, agen = territoires["Saint-Étienne-de-Fougères"], territoires["Agen"]
    s = services
    fiche(village, 2019, s["wifi"])
    fiche(agen, 2019, s["wifi"])
    fiche(agen, 2019, s["cyber"])
    fiche(agen, 2019, s["wifi"], s["site"])
    fiche(village, 2026, s["cyber"])
    fiche(agen, 2026, s["cyber"])
    fiche(agen, 2026, s["wifi"])
    fiche(agen, 2026, s["site"], state=FicheAction.State.BROUILLON)
    return territoires


def choix(query=None):
    return ObservatoireForm(query or {}).choix()


def url(nom="observatoire:observatoire", **query):
    return reverse(nom) + ("?" + "&".join(f"{k}={v}" for k, v in query.items()) if query else "")


def test_fiches_shares_per_enjeu_and_service_year_by_year(fiches, services):
    obs = construire(choix({"debut": "2019", "fin": "2026"}))
    t = obs.themes
    assert t.annees == list(range(2019, 2027))
    assert (t.fiches[2019], t.fiches[2026], t.fiches[2022]) == (4, 3, 0)
    assert (t.collectivites[2019], t.collectivites[2026]) == (2, 2)
    par_nom = {s.nom: s for s in t.services}
    assert round(t.part(par_nom["Wifi public"], 2019)) == 75
    assert round(t.part(par_nom["Wifi public"], 2026)) == 33
    assert t.part(par_nom["Site web"], 2026) == 0  # the draft is not counted
    assert t.part(par_nom["Site web"], 2022) is None  # no fiche that year
    enjeux = {e.nom: e for e in t.enjeux}
    # The fiche with wifi and site counts once for their enjeu.
    assert enjeux["Vie quotidienne"].fiches[2019] == 3
    assert t.part(enjeux["Vie quotidienne"], 2019, "collectivites") == 100
    assert t.part(enjeux["Identité"], 2019, "collectivites") == 50


def test_sentences_name_the_rising_and_falling_themes(fiches):
    obs = construire(choix({"debut": "2019", "fin": "2026"}))
    assert [phrase for phrase, _s in obs.hausses] == [
        f"Le thème «{NBSP}Cybersécurité{NBSP}» passe de 25{NNBSP}% à 67{NNBSP}% "
        "des fiches entre 2019 et 2026."
    ]
    assert [phrase for phrase, _s in obs.baisses] == [
        f"Le thème «{NBSP}Wifi public{NBSP}» passe de 75{NNBSP}% à 33{NNBSP}% des fiches entre 2019 et 2026.",
        f"Le thème «{NBSP}Site web{NBSP}» passe de 25{NNBSP}% à 0{NNBSP}% des fiches entre 2019 et 2026.",
    ]


def test_sentences_say_whose_fiches_they_count(fiches):
    obs = construire(choix({"debut": "2019", "fin": "2026", "type": "village"}))
    assert obs.hausses[0][0] == (
        f"Le thème «{NBSP}Cybersécurité{NBSP}» passe de 0{NNBSP}% à 100{NNBSP}% "
        "des fiches des villages entre 2019 et 2026."
    )
    assert phrases.des_fiches(
        {"strate": "moins-3000", "niveau": 5, "region": "75"}, {"75": "Nouvelle-Aquitaine"}
    ) == (
        f"des fiches des collectivités de moins de 3{NBSP}000 habitants de niveau 5 arobases "
        "de la région Nouvelle-Aquitaine"
    )


def test_no_sentence_with_fiches_in_one_year_only(fiches):
    obs = construire(choix({"debut": "2020", "fin": "2026"}))
    assert (obs.hausses, obs.baisses) == ([], [])


def test_labels_figures_match_the_palmares(publiee):  # noqa: F811
    annees = {a.annee: a for a in construire(choix({"debut": "2024", "fin": "2027"})).labels}
    publie = annees[2027]
    chiffres = palmares.construire(2027, publiee).chiffres
    assert not publie.importee
    assert publie.laureats == chiffres.laureats == 6
    assert publie.par_niveau == {n: nombre for n, _a, nombre in chiffres.par_niveau}
    assert (publie.hausses, publie.baisses, publie.stables) == (1, 1, 2)
    assert publie.premieres == chiffres.premieres == 1
    assert (publie.communes, publie.habitants) == (chiffres.communes, chiffres.habitants) == (7, 699_901)
    # Imported years: their own rows; no population given by the import, so no inhabitants.
    assert annees[2024].importee and annees[2025].importee  # 2025: published without results
    assert (annees[2024].laureats, annees[2024].premieres, annees[2024].communes) == (1, 1, 1)
    assert annees[2024].habitants is None
    assert (annees[2026].laureats, annees[2026].stables, annees[2026].premieres) == (2, 1, 1)


def test_labels_filters_and_what_an_imported_year_cannot_give(publiee):  # noqa: F811
    def labels(**query):
        return {a.annee: a for a in construire(choix({"debut": "2024", "fin": "2027", **query})).labels}

    region = labels(region="75")
    assert region[2027].laureats == 4  # the agglomération, Agen, Nérac, Saint-Étienne-de-Fougères
    villages = labels(type="village")
    assert villages[2027].laureats == 1
    assert not villages[2026].connue  # the type of an imported year's laureates is not known


def test_comparison_between_strata_and_types(fiches):
    obs = construire(choix({"debut": "2019", "fin": "2026", "comparer": "type"}))
    c = obs.comparaison
    assert [cle for cle, _nom in c.groupes] == ["village", "ville"]
    identite = next(pk for pk, nom in c.enjeux if nom == "Identité")
    assert (c.totaux["village"], c.totaux["ville"]) == (2, 5)
    assert c.part("village", identite) == 50 and c.part("ville", identite) == 40
    strates = construire(choix({"debut": "2019", "fin": "2026"})).comparaison
    assert [cle for cle, _nom in strates.groupes] == ["moins-3000", "20000-100000"]


def test_page_shows_sentences_charts_and_tables(client, fiches, publiee):  # noqa: F811
    response = client.get(url(debut=2019, fin=2027))
    html = response.content.decode()
    assert response.status_code == 200
    assert "Cybersécurité" in html and f"passe de 25{NNBSP}% à 67{NNBSP}%" in html
    # Two SVG charts (the themes' lines, the labels' bars); the heat maps are tables.
    assert html.count('<svg xmlns="http://www.w3.org/2000/svg" class="graphique"') == 2
    assert html.count("<caption>") == 5  # the detailed ones are on a page of their own
    assert 'class="num chaleur-6"' in html
    assert 'href="/observatoire/chiffres/?debut=2019&amp;fin=2027&amp;comparer=strate"' in html
    assert "Années reprises de l’historique du label, sans édition publiée dans le portail" in html
    assert 'href="/observatoire/donnees.csv?debut=2019&amp;fin=2027&amp;comparer=strate"' in html


def test_page_is_light_with_the_default_choices_and_with_every_filter(client, fiches, publiee):  # noqa: F811
    """A referential of the real one's size (18 régions, 101 départements in the form, 16 enjeux
    of 40 services in all) and fiches every year: under 100 kB and 1,500 elements for the
    default page and for a page with every filter."""
    for n in range(15):
        region = RegionFactory(code=f"9{n:02}", nom=f"Région {n}")
        for d in range(7):
            DepartementFactory(code=f"{n}{d}", nom=f"Département {n}-{d}", region=region)
    enjeux = [EnjeuFactory(nom=f"Enjeu {n}", slug=f"enjeu-{n}") for n in range(14)]
    nouveaux = [ServiceFactory(enjeu=enjeux[n % 14], nom=f"Thème {n}", slug=f"theme-{n}") for n in range(37)]
    annee = timezone.localdate().year
    for n, service in enumerate(nouveaux):
        fiche(fiches["Agen"] if n % 2 else fiches["Nérac"], annee - n % 8, service)
    pleine = {"region": "75", "departement": "47", "type": "ville", "strate": "20000-100000"}
    for query in ({}, {**pleine, "niveau": "3", "comparer": "region"}):
        octets, noeuds = taille(client.get(url(**query)).content)
        assert octets < 100_000 and noeuds < 1_500, (query, octets, noeuds)


def test_services_tables_show_the_most_frequent_and_the_files_all(client, fiches, services):
    for n in range(12):
        ServiceFactory(enjeu=services["wifi"].enjeu, nom=f"Service {n:02}", slug=f"service-{n}")
    page = client.get(url(debut=2019, fin=2026)).content.decode()
    assert "les chiffres des 10 services qui ont le plus de fiches sur la période" in page
    assert "Service 00" not in page  # their tables are on the detailed page
    html = client.get(url("observatoire:chiffres", debut=2019, fin=2026)).content.decode()
    assert "Les 10 services qui ont le plus de fiches sur la période" in html
    assert "Wifi public" in html and "Service 11" not in html
    lignes = client.get(url("observatoire:csv", debut=2019, fin=2026)).content.decode("utf-8-sig")
    assert ";Service 11;" in lignes


def test_each_page_builds_only_the_tables_it_shows(client, fiches, services):
    with mock.patch("observatoire.tableaux.comparaison", wraps=tableaux.comparaison) as comparaison:
        client.get(url("observatoire:chiffres", debut=2019, fin=2026))
        assert not comparaison.called
        client.get(url(debut=2019, fin=2026))
        assert comparaison.called


def test_detailed_figures_follow_the_choices_and_stay_in_the_cache(client, fiches, services):
    adresse = url("observatoire:chiffres", debut=2019, fin=2026, type="village")
    response = client.get(adresse)
    html = response.content.decode()
    assert response.status_code == 200
    assert "<h1>Les chiffres détaillés de l’observatoire</h1>" in html
    assert "Part des fiches des villages, et part des collectivités qui en ont une, par enjeu" in html
    for legende in (
        "Part des collectivités de l’année qui ont une fiche dans l’enjeu",
        "Part des fiches de l’année, par service",
        "Part des collectivités de l’année qui ont une fiche du service",
    ):
        assert f"<caption>{legende}</caption>" in html
    choix = "debut=2019&amp;fin=2026&amp;type=village&amp;comparer=strate"
    assert f'href="/observatoire/?{choix}"' in html  # back, with the same choices
    assert f'href="/observatoire/donnees.csv?{choix}"' in html
    with CaptureQueriesContext(connection) as requetes:
        assert client.get(adresse).content.decode() == html
    assert len(requetes) == 0
    # An invalid value is not kept; the valid choices still apply.
    assert "des fiches des villages" in client.get(adresse + "&region=XX").content.decode()


def test_invalid_values_are_said_next_to_their_field_and_the_rest_applies(client, fiches):
    response = client.get(url(debut=2019, fin=2026, region="XX", type="village", niveau="9"))
    html = response.content.decode()
    assert response.status_code == 200
    assert html.count('class="errorlist"') == 2  # région and niveau
    assert "des fiches des villages entre 2019 et 2026" in html  # the type still applies
    assert '<option value="village" selected>' in html
    inverse = client.get(url(debut=2026, fin=2019)).content.decode()
    assert "L’année de fin doit être celle du début ou une année suivante." in inverse
    form = ObservatoireForm({"debut": "2026", "fin": "2019"})
    assert (form.choix()["debut"], form.choix()["fin"]) == (2026, 2026)


def test_departement_is_typed_by_its_number_or_its_name(client, fiches):
    """Typed rather than chosen among a hundred options; the page and its files name its code."""
    for saisie in ("47", "lot-et-garonne", "Lot et Garonne (47)"):
        assert ObservatoireForm({"departement": saisie}).choix()["departement"] == "47"
    nom = client.get(url(debut=2019, fin=2026, departement="lot et garonne")).content.decode()
    code = client.get(url(debut=2019, fin=2026, departement="47")).content.decode()
    fichier = r'href="/observatoire/donnees\.csv\?[^"]*departement=47[&"]'
    assert "Lot-et-Garonne" in nom and re.search(fichier, nom) and re.search(fichier, code)
    inconnu = client.get(url(debut=2019, fin=2026, departement="Atlantide")).content.decode()
    assert "Aucun département ne s’appelle «\u00a0Atlantide\u00a0»" in inconnu
    champ = re.search(r'<input type="text" name="departement"[^>]*>', inconnu)[0]
    assert 'value="Atlantide"' in champ and 'aria-invalid="true"' in champ


def test_csv_and_json_hold_the_page_figures(client, fiches, publiee):  # noqa: F811
    response = client.get(url("observatoire:csv", debut=2019, fin=2027, type="ville"))
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert 'filename="observatoire-2019-2027.csv"' in response["Content-Disposition"]
    lignes = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig")), delimiter=";"))
    assert lignes[0] == ["tableau", "annee", "theme", "groupe", "indicateur", "valeur"]
    assert ["services", "2019", "Wifi public", "", "part_fiches", "66.7"] in lignes
    assert ["labels", "2027", "", "", "laureats", "4"] in lignes  # the villes of 2027
    assert ["labels", "2026", "", "", "laureats", ""] in lignes  # imported: type not known
    donnees = client.get(url("observatoire:json", debut=2019, fin=2027)).json()
    assert donnees["choix"] == {"debut": 2019, "fin": 2027, "comparer": "strate"}
    assert donnees["fiches"]["2019"] == 4
    labels = {a["annee"]: a for a in donnees["labels"]}
    assert (labels[2027]["laureats"], labels[2027]["communes"], labels[2027]["par_niveau"]["5"]) == (6, 7, 2)
    assert donnees["tendances"]["hausses"][0].startswith(f"Le thème «{NBSP}Cybersécurité")


def test_page_is_kept_until_a_publication(client, fiches, services):
    avant = client.get(url(debut=2019, fin=2026)).content.decode()
    assert f"25{NNBSP}% à 67{NNBSP}%" in avant
    with mock.patch("atlaas.catalogue.index.invalider"):  # indexed, the cache not told yet
        fiche(fiches["Agen"], 2026, services["cyber"])
    assert client.get(url(debut=2019, fin=2026)).content.decode() == avant
    catalogue.invalider()  # what a publication does
    apres = client.get(url(debut=2019, fin=2026)).content.decode()
    assert f"25{NNBSP}% à 75{NNBSP}%" in apres


def test_an_imported_history_changes_the_page(client, fiches):
    avant = client.get(url(debut=2019, fin=2026)).content.decode()
    Labellisation.objects.create(collectivite=fiches["Nérac"], annee=2020, niveau=2)
    assert client.get(url(debut=2019, fin=2026)).content.decode() == avant
    palmares.invalider_historique()  # what an import does
    assert client.get(url(debut=2019, fin=2026)).content.decode() != avant


@pytest.mark.parametrize("comparer", ["strate", "region"])
def test_queries_do_not_grow_with_the_span(client, fiches, publiee, comparer):  # noqa: F811
    client.get(url())  # the referential's lists of régions and départements, kept an hour
    comptes = []
    for debut in (2026, 2018):  # two years, then ten
        with CaptureQueriesContext(connection) as requetes:
            assert client.get(url(debut=debut, fin=2027, comparer=comparer)).status_code == 200
        comptes.append(len(requetes))
    assert comptes[0] == comptes[1] <= 11
    with CaptureQueriesContext(connection) as requetes:
        client.get(url(debut=2018, fin=2027, comparer=comparer))
    assert len(requetes) == 0  # kept in the cache
    client.get(url(departement="lot et garonne"))
    with CaptureQueriesContext(connection) as requetes:  # a département typed: no query either
        client.get(url(departement="lot et garonne"))
    assert len(requetes) == 0


def test_a_publication_builds_the_default_page_before_its_first_visitor(
    client, fiches, services, django_capture_on_commit_callbacks
):
    nouvelle = fiche(fiches["Agen"], 2026, services["cyber"])
    cache.delete("atlaas:preparer")  # no other publication in the last seconds
    with django_capture_on_commit_callbacks(execute=True):
        catalogue.indexer([nouvelle.pk])  # what a publication does; its outbox rows run eagerly
    assert Envoi.objects.filter(task="observatoire.tasks.preparer", state=Envoi.State.FAIT).exists()
    with CaptureQueriesContext(connection) as requetes:
        assert client.get(url()).status_code == 200
    assert len(requetes) == 0  # built by the task


def test_a_page_kept_by_the_previous_release_is_rendered_again(client, fiches, settings):
    settings.RELEASE = "ancienne"
    client.get(url())
    with mock.patch("observatoire.views.render_to_string", wraps=render_to_string) as rendus:
        client.get(url())
        assert not rendus.called  # kept
        settings.RELEASE = "nouvelle"  # a deploy
        client.get(url())
        assert rendus.called
