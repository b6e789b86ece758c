"""Finding a collectivité by its name, typed the way people type it, over the real referential.

The shipped referential (``atlaas/data/territoires.json.gz``) is read once: the normalisation is
checked on every one of its names, the search on a sample loaded into the database.
"""

import functools
import importlib
import random
import re
import unicodedata
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection
from django.urls import reverse
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from atlaas.francais import normaliser_nom
from atlaas.models import Collectivite, Departement, Region
from atlaas.search import MIN_LENGTH, filtrer_collectivites, search_collectivites
from atlaas.territoires import KINDS, SHIPPED_FILE, import_compact, read_compact
from tests.factories import CommuneFactory

LIGATURES = {"œ": "oe", "Œ": "Oe", "æ": "ae", "Æ": "Ae"}


@functools.cache
def referentiel():
    return read_compact(SHIPPED_FILE)


@functools.cache
def noms():
    """(code, nom) of every commune and intercommunalité of the referential."""
    data = referentiel()
    return [(r[0], r[1]) for r in data["communes"]] + [(r[0], r[1]) for r in data["epci"]]


def sans_diacritiques(texte):
    return "".join(c for c in unicodedata.normalize("NFKD", texte) if not unicodedata.combining(c))


def tape_simplement(nom):
    """The name as typed on a plain keyboard: ASCII, « oe » for « œ », no accents, spaces for
    hyphens and apostrophes, lower case."""
    texte = "".join(LIGATURES.get(c, c) for c in nom)
    return re.sub(r"[-'’]", " ", sans_diacritiques(texte)).lower()


@st.composite
def saisies(draw, nom):
    """One way among many of typing ``nom``: ligature kept or spelt « oe », accents kept or not,
    hyphens and apostrophes as they are, as spaces or dropped, « St »/« Ste » for Saint/Sainte,
    any case, stray spaces."""
    texte = nom
    if draw(st.booleans()):
        texte = "".join(LIGATURES.get(c, c) for c in texte)
    if draw(st.booleans()):
        texte = sans_diacritiques(texte)
    texte = texte.replace("-", draw(st.sampled_from(["-", " ", "", "  "])))
    texte = re.sub(r"['’]", draw(st.sampled_from(["'", "’", " ", ""])), texte)
    if draw(st.booleans()):
        texte = re.sub(r"\bSainte\b", "Ste", re.sub(r"\bSaint\b", "St", texte))
    casse = draw(st.sampled_from([str, str.lower, str.upper, str.title]))
    return f"{' ' * draw(st.integers(0, 2))}{casse(texte)}{' ' * draw(st.integers(0, 2))}"


# --- The function, on every name of the referential ------------------------------------------


def test_the_referential_holds_every_commune_and_intercommunalite():
    counts = referentiel()["meta"]["counts"]
    assert len(noms()) == counts["communes"] + counts["epci"] == 36_224


def test_normaliser_nom_gives_every_name_typed_simply_the_key_of_the_name():
    differents = [nom for _code, nom in noms() if normaliser_nom(tape_simplement(nom)) != normaliser_nom(nom)]
    assert differents == []


def test_normaliser_nom_fits_the_column_and_keeps_a_searchable_key():
    cles = [normaliser_nom(nom) for _code, nom in noms()]
    assert max(map(len, cles)) <= Collectivite._meta.get_field("nom_normalise").max_length
    assert [nom for (_code, nom), cle in zip(noms(), cles, strict=True) if len(cle) < MIN_LENGTH] == ["Y"]


@settings(max_examples=200, deadline=None)
@given(data=st.data())
def test_normaliser_nom_ignores_how_the_name_is_typed(data):
    _code, nom = data.draw(st.sampled_from(noms()))
    assert normaliser_nom(data.draw(saisies(nom))) == normaliser_nom(nom)


@pytest.mark.parametrize(
    ("saisie", "nom"),
    [
        ("Vandoeuvre les Nancy", "Vandœuvre-lès-Nancy"),
        ("VANDŒUVRE-LÈS-NANCY", "Vandœuvre-lès-Nancy"),
        ("marcq en baroeul", "Marcq-en-Barœul"),
        ("Lhay les roses", "L'Haÿ-les-Roses"),
        ("L’Hay-les-Roses", "L'Haÿ-les-Roses"),
        ("St Denis", "Saint-Denis"),
        ("ste-marie", "Sainte-Marie"),
        ("Communauté de communes du Pays Houdanais (CCPH)", "CC du Pays Houdanais (CCPH)"),
        ("Communauté d'agglomération du Centre Littoral", "CA du Centre Littoral"),
    ],
)
def test_normaliser_nom_reads_real_names_in_their_variants(saisie, nom):
    assert normaliser_nom(saisie) == normaliser_nom(nom)


# --- Who writes the column ---------------------------------------------------------------------


def test_the_migration_fills_the_column_of_a_referential_already_loaded(db):
    CommuneFactory(nom="Vandœuvre-lès-Nancy", code="54547")
    CommuneFactory(nom="L'Haÿ-les-Roses", code="94038")
    Collectivite.objects.update(nom_normalise="")
    migration = importlib.import_module("atlaas.migrations.0006_collectivite_nom_normalise")
    migration.remplir(apps, SimpleNamespace(connection=connection))
    assert dict(Collectivite.objects.values_list("code", "nom_normalise")) == {
        "54547": "vandoeuvrelesnancy",
        "94038": "lhaylesroses",
    }


def test_the_admin_keeps_the_column_and_searches_like_the_portal(client, staff):
    commune = CommuneFactory(nom="Vandoeuvre", code="54547")
    client.force_login(staff)
    url = reverse("admin:atlaas_collectivite_change", args=[commune.pk])
    formulaire = client.get(url).context["adminform"].form
    donnees = {nom: valeur for nom, valeur in formulaire.initial.items() if valeur is not None}
    donnees.update(nom="Vandœuvre-lès-Nancy", epci="", departement=commune.departement_id)
    response = client.post(url, donnees)
    assert response.status_code == 302, response.context["adminform"].form.errors
    commune.refresh_from_db()
    assert commune.nom_normalise == "vandoeuvrelesnancy"
    liste = client.get(reverse("admin:atlaas_collectivite_changelist"), {"q": "vandoeuvre les nancy"})
    assert [c.code for c in liste.context["cl"].result_list] == ["54547"]


# --- The search, on a sample of the referential in the database --------------------------------

NOMMEES = {"54547", "59378", "94038", "11339", "30247", "93066", "97411"}  # the cases named below


def echantillon():
    """A compact referential restricted to every name with a ligature, the named cases, and
    communes drawn at random (fixed seed): 200 with an apostrophe, 300 whose name starts with
    Saint or Sainte, 1,000 others; the intercommunalités keep their members in it."""
    data = referentiel()
    hasard = random.Random(2026)
    communes = [r for r in data["communes"] if re.search("[œŒæÆ]", r[1]) or r[0] in NOMMEES]
    for motif, nombre in ((r"['’]", 200), (r"^Saint", 300), (r"^[^'’]*$", 1_000)):
        candidates = [r for r in data["communes"] if re.search(motif, r[1]) and r not in communes]
        communes += hasard.sample(candidates, nombre)
    codes = {r[0] for r in communes}
    population = {r[0]: r[5] for r in communes}
    epci = []
    for siren, nom, type_epci, _population, membres in data["epci"]:
        membres = [code for code in membres if code in codes]
        if membres:
            epci.append([siren, nom, type_epci, sum(population[c] for c in membres), membres])
    sample = {**data, "communes": communes, "epci": epci}
    sample["meta"] = {**data["meta"], "counts": {kind: len(sample[kind]) for kind in KINDS}}
    return sample


@pytest.fixture(scope="module")
def en_base(django_db_setup, django_db_blocker):
    """The sample, imported once for the module's tests (which see it through their own
    transaction) and removed after them."""
    sample = echantillon()
    with django_db_blocker.unblock():
        import_compact(sample)
        yield sample
        Collectivite.objects.all().delete()
        Departement.objects.all().delete()
        Region.objects.all().delete()


def test_the_sample_holds_every_name_with_a_ligature(db, en_base):
    avec_ligature = Collectivite.objects.filter(nom__regex="[œŒæÆ]")
    assert avec_ligature.count() == 109
    assert not avec_ligature.exclude(nom_normalise__regex="^[a-z0-9]+$").exists()
    assert len(en_base["communes"]) + len(en_base["epci"]) == Collectivite.objects.count()


def test_every_name_with_a_ligature_is_found_typed_simply(db, en_base):
    base = Collectivite.objects.all()
    introuvables = [
        c.nom
        for c in Collectivite.objects.filter(nom__regex="[œŒæÆ]")
        if not filtrer_collectivites(base, tape_simplement(c.nom)).filter(rank=0, pk=c.pk).exists()
    ]
    assert introuvables == []


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_search_finds_a_collectivite_of_the_referential_however_its_name_is_typed(db, en_base, data):
    code, nom = data.draw(
        st.sampled_from([(r[0], r[1]) for kind in ("communes", "epci") for r in en_base[kind]])
    )
    saisie = data.draw(saisies(nom))
    exactes = filtrer_collectivites(Collectivite.objects.all(), saisie).filter(rank=0)
    assert exactes.filter(code=code).exists(), (nom, saisie)


def test_search_finds_the_real_names_by_their_variants(db, en_base):
    for saisie, code in [
        ("Vandoeuvre", "54547"),
        ("vandoeuvre les nancy", "54547"),
        ("Marcq en Baroeul", "59378"),
        ("Marcq-en-Barœul", "59378"),
        ("L Hay les Roses", "94038"),
        ("lhay-les-roses", "94038"),
    ]:
        assert search_collectivites(saisie)[0].code == code, saisie


def test_search_gives_every_saint_denis_for_st_denis(db, en_base):
    exactes = filtrer_collectivites(Collectivite.objects.all(), "St Denis").filter(rank=0)
    assert sorted(exactes.values_list("code", flat=True)) == ["11339", "30247", "93066", "97411"]
