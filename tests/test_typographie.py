"""French typography of generated text (atlaas/typographie.py and its template filters)."""

import gzip
import json
import re
from functools import cache

import pytest
from django.template import Context, Template
from django.utils import translation

from atlaas.territoires import SHIPPED_FILE
from atlaas.typographie import a, commence_par_voyelle, de, de_personne, grand_nombre


@cache
def referentiel():
    """The names of every commune and intercommunalité of the shipped referential."""
    with gzip.open(SHIPPED_FILE, "rt", encoding="utf-8") as fichier:
        data = json.load(fichier)
    return [commune[1] for commune in data["communes"]], [epci[1] for epci in data["epci"]]


@pytest.mark.parametrize(
    ("nom", "avec_de", "avec_a"),
    [
        ("Agen", "d'Agen", "à Agen"),
        ("Cahors", "de Cahors", "à Cahors"),
        ("Le Havre", "du Havre", "au Havre"),
        ("Le Mans", "du Mans", "au Mans"),
        ("Les Abymes", "des Abymes", "aux Abymes"),
        ("La Rochelle", "de La Rochelle", "à La Rochelle"),
        ("L'Haÿ-les-Roses", "de L'Haÿ-les-Roses", "à L'Haÿ-les-Roses"),
        ("L'Île-d'Yeu", "de L'Île-d'Yeu", "à L'Île-d'Yeu"),
        ("Yzeure", "d'Yzeure", "à Yzeure"),
        ("Yvetot", "d'Yvetot", "à Yvetot"),
        ("Y", "d'Y", "à Y"),
        ("Yutz", "de Yutz", "à Yutz"),  # Y before a vowel sounds as a consonant
        ("Évry-Courcouronnes", "d'Évry-Courcouronnes", "à Évry-Courcouronnes"),
        ("Œuilly", "d'Œuilly", "à Œuilly"),
        ("Hazebrouck", "de Hazebrouck", "à Hazebrouck"),  # no elision before H: mute or not is unknown
        ("Hem", "de Hem", "à Hem"),
        ("CC Faucigny - Glières", "de la CC Faucigny - Glières", "à la CC Faucigny - Glières"),
        ("CA du Grand Dole", "de la CA du Grand Dole", "à la CA du Grand Dole"),
        ("CU d'Arras", "de la CU d'Arras", "à la CU d'Arras"),
        ("CU Le Havre Seine Métropole", "de la CU Le Havre Seine Métropole", None),
        ("Métropole de Lyon", "de la Métropole de Lyon", "à la Métropole de Lyon"),
        ("Communauté de communes du Val d'Adour", "de la Communauté de communes du Val d'Adour", None),
        (
            "Eurométropole de Strasbourg",
            "de l'Eurométropole de Strasbourg",
            "à l'Eurométropole de Strasbourg",
        ),
        ("Toulouse Métropole", "de Toulouse Métropole", "à Toulouse Métropole"),
        ("Orléans Métropole", "d'Orléans Métropole", "à Orléans Métropole"),
        ("Grand Paris Sud", "de Grand Paris Sud", "à Grand Paris Sud"),
        ("Le Havre (76)", "du Havre (76)", "au Havre (76)"),  # str() of a commune
        ("le Palais des congrès", "du Palais des congrès", "au Palais des congrès"),  # a ceremony's venue
    ],
)
def test_de_and_a_contract_elide_and_keep_the_article_of_a_name(nom, avec_de, avec_a):
    assert de(nom) == avec_de
    if avec_a:
        assert a(nom) == avec_a


def test_de_person_elides_before_a_vowel_and_never_contracts():
    assert de_personne("Anne Martin") == "d'Anne Martin"
    assert de_personne("Yves Roux") == "d'Yves Roux"
    assert de_personne("Yann Le Gall") == "de Yann Le Gall"
    assert de_personne("Le Gall") == "de Le Gall"
    assert de_personne("Hélène Petit") == "de Hélène Petit"


def test_de_on_every_commune_of_the_referential_never_writes_de_le_nor_de_before_a_vowel():
    communes, _epci = referentiel()
    for nom in communes:
        texte, vers_a = de(nom), a(nom)
        assert not re.match(r"(de|à) (Le|Les|le|les) ", texte + "|" + vers_a), nom
        assert not re.match(r"de [AEIOUÂÊÎÔÛÉÈËÏÜŒÆ]", texte), nom
        if nom.startswith("Le "):
            assert (texte, vers_a) == ("du " + nom[3:], "au " + nom[3:])
        elif nom.startswith("Les "):
            assert (texte, vers_a) == ("des " + nom[4:], "aux " + nom[4:])
        elif nom.startswith(("La ", "L'", "H")):
            assert (texte, vers_a) == ("de " + nom, "à " + nom)
        elif nom[0] == "Y":
            assert texte in ("d'" + nom, "de " + nom)
            assert (texte == "d'" + nom) == (nom == "Y" or nom[1].lower() not in "aeiouyéèêë"), nom
        else:
            assert texte.endswith(nom) and vers_a == "à " + nom


def test_de_on_every_intercommunalite_of_the_referential_names_its_kind_with_la():
    _communes, epci = referentiel()
    assert len(epci) > 1200
    for nom in epci:
        texte = de(nom)
        if nom.split()[0] in ("CC", "CA", "CU", "Métropole"):
            assert texte == "de la " + nom, nom
        elif nom.startswith("Eurométropole"):
            assert texte == "de l'" + nom
        else:  # a brand such as « Toulouse Métropole »
            assert texte in ("de " + nom, "d'" + nom), nom
        assert not texte.startswith(("de Le ", "de Les ", "de A", "de E", "de O")), nom


def test_commence_par_voyelle_reads_accents_ligatures_and_y():
    assert [commence_par_voyelle(nom) for nom in ["Èze", "Île-Tudy", "Ys", "Yèvres", "Ymare", "Bâ", ""]] == [
        True,
        True,
        True,
        False,
        True,
        False,
        False,
    ]


def test_de_and_a_give_the_bare_name_in_english():
    with translation.override("en"):
        assert de("Le Havre") == "Le Havre"
        assert a("Les Abymes") == "Les Abymes"
        assert de_personne("Anne Martin") == "Anne Martin"


def test_filters_render_the_preposition_and_escape_the_name():
    template = Template(
        "{% load typographie %}"
        "{{ nom|de }} · {{ lieu|a }} · {{ jure|de_personne }} · {{ habitants|grand_nombre }}"
    )
    rendu = template.render(
        Context({"nom": "L'Haÿ-les-Roses", "lieu": "Le Havre", "jure": "Anne <b>", "habitants": 1_040_000})
    )
    assert rendu == "de L&#x27;Haÿ-les-Roses · au Havre · d&#x27;Anne &lt;b&gt; · 1,0\u00a0million"


@pytest.mark.parametrize(
    ("nombre", "texte"),
    [
        (845_210, "845\u00a0210"),
        (1_000_000, "1,0\u00a0million"),
        (1_040_000, "1,0\u00a0million"),
        (1_940_000, "1,9\u00a0million"),
        (1_960_000, "2,0\u00a0millions"),
        (12_345_678, "12,3\u00a0millions"),
        (1_500_000_000, "1,5\u00a0milliard"),
        (3_000_000_000, "3,0\u00a0milliards"),
    ],
)
def test_grand_nombre_puts_million_in_the_plural_from_two_on(nombre, texte):
    assert grand_nombre(nombre) == texte


@pytest.mark.django_db
def test_pages_of_a_member_name_the_collectivite_with_its_article(client):
    from tests.factories import MembershipFactory

    havre = MembershipFactory(collectivite__nom="Le Havre", collectivite__code="76351")
    metropole = MembershipFactory(
        user=havre.user, collectivite__nom="Métropole de Lyon", collectivite__code="200046977"
    )
    client.force_login(havre.user)

    espace = f"/espace/collectivites/{havre.collectivite.code}"
    fiches = client.get(f"{espace}/fiches/").content.decode()
    nouvelle = client.get(f"{espace}/fiches/nouvelle/").content.decode()
    membres = client.get(f"/espace/collectivites/{metropole.collectivite.code}/membres/").content.decode()

    assert "Fiches actions du Havre" in fiches and "de Le Havre" not in fiches
    assert "Nouvelle fiche action du Havre" in nouvelle
    assert "Membres de la Métropole de Lyon" in membres
