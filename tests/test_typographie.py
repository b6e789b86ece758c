"""French typography of generated text (atlaas/typographie.py and its template filters)."""

import ast
import datetime
import gzip
import importlib.util
import io
import json
import re
import tokenize
from functools import cache
from pathlib import Path

import pytest
from django.template import Context, Template
from django.template.loader import render_to_string
from django.utils import timezone, translation

from atlaas.territoires import SHIPPED_FILE
from atlaas.typographie import a, commence_par_voyelle, de, de_personne, grand_nombre, une_ligne


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


# --- No-break spaces in French text ------------------------------------------------------------------
# French puts a no-break space (U+00A0) before « : » and inside « », a narrow one (U+202F) before
# « ; ! ? ». The French text is the source: the templates and the gettext strings of the code (the
# msgids). Punctuation followed by something else than a space or the end is not prose (10:30,
# https://, ?page=2, annee;code) and is left alone.

ESPACES = "\u00a0\u202f"
FAUTES = re.compile(
    rf"[^{ESPACES}][:;!?](?=[\s\"'»)<]|$)"  # no (or a breaking) space before : ; ! ?
    rf"|«(?![{ESPACES}])|(?<![{ESPACES}])»"  # « » without their no-break spaces
)
RACINE = Path(__file__).resolve().parent.parent
TRADUCTIONS = {"_", "gettext", "gettext_lazy", "ngettext", "ngettext_lazy", "pgettext_lazy", "gettext_noop"}
TRANS = re.compile(r"""\{%\s*trans(?:late)?\s+(?:"((?:[^"\\]|\\.)*)"|'((?:[^'\\]|\\.)*)')[^%]*%\}""")
ATTRIBUTS_LUS = re.compile(r"""\b(?:title|aria-label|alt|placeholder|content)="([^"]*)\"""")


def texte_des_gabarits(source):
    """A template's French text: its trans strings and text, variables as « X », tags, comments and
    styles dropped, except the attributes read to people (title, aria-label, alt, placeholder…)."""
    source = re.sub(
        r"\{#.*?#\}|\{% comment %\}.*?\{% endcomment %\}|<style.*?</style>", "", source, flags=re.S
    )
    source = TRANS.sub(lambda m: m.group(1) or m.group(2) or "", source)
    source = re.sub(r"\{\{.*?\}\}", "X", source, flags=re.S)
    source = re.sub(r"\{%.*?%\}", "", source, flags=re.S)
    return re.sub(r"<[^>]*>", lambda m: " ".join(ATTRIBUTS_LUS.findall(m.group(0))), source)


def chaines_traduites(source):
    """The string literals passed to gettext functions in Python ``source``, with their line."""
    jetons = list(tokenize.generate_tokens(io.StringIO(source).readline))
    ouvertes, profondeur, chaines = [], 0, []
    for precedent, jeton in zip([None, *jetons], jetons, strict=False):
        if jeton.type == tokenize.OP and jeton.string in "([{":
            profondeur += 1
            if jeton.string == "(" and precedent and precedent.string in TRADUCTIONS:
                ouvertes.append(profondeur)
        elif jeton.type == tokenize.OP and jeton.string in ")]}":
            if ouvertes and ouvertes[-1] == profondeur:
                ouvertes.pop()
            profondeur -= 1
        elif jeton.type == tokenize.STRING and ouvertes and ouvertes[-1] == profondeur:
            chaines.append((jeton.start[0], ast.literal_eval(jeton.string)))
    return chaines


def test_french_templates_put_no_break_spaces_before_double_punctuation_and_inside_guillemets():
    fautes = []
    for chemin in sorted((RACINE / "templates").rglob("*")):
        if chemin.suffix in (".html", ".txt"):
            for ligne in texte_des_gabarits(chemin.read_text()).splitlines():
                if FAUTES.search(ligne):
                    fautes.append(f"{chemin.relative_to(RACINE)}: {ligne.strip()}")
    assert not fautes, "\n".join(fautes)


def test_french_strings_of_the_code_put_no_break_spaces_before_double_punctuation():
    fautes = []
    for app in ("accounts", "atlaas", "label", "jury", "observatoire", "outbox", "rgpd", "villes_internet"):
        for chemin in sorted((RACINE / app).rglob("*.py")):
            if "migrations" not in chemin.parts:
                for ligne, chaine in chaines_traduites(chemin.read_text()):
                    if FAUTES.search(chaine):
                        fautes.append(f"{chemin.relative_to(RACINE)}:{ligne}: {chaine}")
    assert not fautes, "\n".join(fautes)


def test_typography_check_finds_the_usual_mistakes():
    assert FAUTES.search("Phase : jury")
    assert FAUTES.search("Phase: jury")
    assert FAUTES.search("Vraiment ?")
    assert FAUTES.search("le filtre « Village »")
    for correct in [
        "Phase\u00a0: jury",
        "Vraiment\u202f?",
        "«\u00a0Village\u00a0»",
        "à 10:30",
        "https://x.fr/?a=1",
    ]:
        assert not FAUTES.search(correct), correct
    assert texte_des_gabarits('<a title="{% trans \'Flux : fiches\' %}" href="?p=2">{{ n }} :</a>') == (
        "Flux : fichesX :"
    )


def test_une_ligne_joins_lines_and_keeps_no_break_spaces():
    assert une_ligne("  Fiche publiée\u00a0:\n  Wifi   public\n") == "Fiche publiée\u00a0: Wifi public"


def test_reprendre_traductions_unfuzzies_only_entries_changed_by_their_spaces():
    spec = importlib.util.spec_from_file_location("reprendre", RACINE / "scripts/reprendre_traductions.py")
    script = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(script)
    po = (
        'msgid ""\nmsgstr ""\n\n'
        '#: a.py:1\n#, fuzzy, python-format\n#| msgid "Phase : %(p)s"\n'
        'msgid "Phase\u00a0: %(p)s"\nmsgstr "Phase: %(p)s"\n\n'
        '#, fuzzy\n#| msgid "Fiche « %(t)s »"\n'
        'msgid "Fiche «\u00a0%(t)s\u00a0»"\nmsgstr "Record %(t)s"\n\n'
        '#, fuzzy, python-format\n#| msgid "Membres de %(nom)s"\n'
        'msgid "Membres %(de_nom)s"\nmsgstr "Members of %(nom)s"\n'
    )
    texte, reprises = script.reprendre(po)
    assert reprises == 2
    assert '#: a.py:1\n#, python-format\nmsgid "Phase\u00a0: %(p)s"\nmsgstr "Phase: %(p)s"' in texte
    assert 'msgid "Fiche «\u00a0%(t)s\u00a0»"\nmsgstr "Record %(t)s"' in texte
    assert '#, fuzzy, python-format\n#| msgid "Membres de %(nom)s"\nmsgid "Membres %(de_nom)s"' in texte


def test_facet_counts_separate_thousands_with_a_no_break_space():
    ligne = {"url": "?enjeu=x", "libelle": "Inclusion", "nombre": 12345, "unite": "actions"}
    html = render_to_string("atlaas/catalogue/_facette.html", {"facette": {"lignes": [ligne]}})
    assert '<span class="facette__nombre">12\u00a0345<span' in html


@pytest.mark.django_db
def test_palmares_key_figures_write_one_million_in_the_singular(client):
    from label import publication
    from label.models import Edition, Resultat
    from tests.factories import CandidatureFactory, CommuneFactory, EditionFactory

    edition = EditionFactory(
        annee=2027, numero=28, state=Edition.State.CLOSE, cloture=timezone.now() - datetime.timedelta(days=60)
    )
    toulouse = CommuneFactory(nom="Toulouse", code="31555", population=1_040_000)
    candidature = CandidatureFactory(edition=edition, collectivite=toulouse, state="deposee")
    Resultat.objects.create(candidature=candidature, niveau=5)
    Edition.objects.filter(pk=edition.pk).update(resultats_clos_at=timezone.now())
    publication.publier(edition)

    page = client.get("/palmares/2027/").content.decode()
    assert "<strong>1,0\u00a0million</strong>" in page and "d'habitants couverts" in page


def test_dates_write_the_first_of_the_month_premier_in_french_only():
    from django.template import Context, Template
    from django.utils import translation

    page = Template(
        '{{ d|date:"j F Y" }} · {{ d|date:"l j F Y" }} · {{ l|date:"j F Y" }} · {{ o|date:"j F Y" }}'
    )
    dates = {"d": datetime.date(2026, 1, 1), "l": datetime.date(2026, 1, 2), "o": datetime.date(2026, 10, 11)}
    with translation.override("fr"):
        assert page.render(Context(dates)) == (
            "1er\u00a0janvier 2026 · jeudi 1er\u00a0janvier 2026 · 2 janvier 2026 · 11 octobre 2026"
        )
    with translation.override("en"):
        assert page.render(Context(dates)).startswith("1 January 2026 · Thursday 1 January 2026")
