"""French typography of generated text: a place's name after « de » or « à », large round numbers.

The rules for a place's name (a commune, an intercommunalité, a ceremony's venue):

- the article of a name contracts with the preposition and loses its capital: « Le Havre » →
  « du Havre », « au Havre »; « Les Abymes » → « des Abymes », « aux Abymes ». « La » and « L' »
  never contract and keep their capital, being part of the name: « de La Rochelle »,
  « à L'Haÿ-les-Roses ». (Imprimerie nationale, « Lexique des règles typographiques », and the
  Commission nationale de toponymie.)
- an intercommunalité whose name starts with its kind (« CC », « CA », « CU », « Communauté »,
  « Métropole », « Eurométropole », « Agglomération », as the referential spells them) takes the
  article of that feminine noun: « de la CC du Pays de Gex », « de la Métropole de Lyon »,
  « de l'Eurométropole de Strasbourg ». A name where the kind comes later, as a brand
  (« Toulouse Métropole », « Grand Paris Sud »), takes none: « de Toulouse Métropole ».
- « de » elides before a vowel sound: a vowel, accented or not, Œ and Æ (« d'Agen »,
  « d'Évry-Courcouronnes », « d'Œuilly »), and Y followed by a consonant (« d'Yzeure »,
  « d'Yvetot », and « d'Y », the commune of the Somme). Y followed by a vowel is a consonant
  sound: « de Yutz », « de Yenne ».
- no elision before H. Whether the h of a name is mute (« d'Hyères ») or aspirated (« de Hem »,
  « du Havre ») cannot be told from its spelling, and the referential does not say; « de » is
  kept: « de Hazebrouck », « de Hyères » (where « d'Hyères » is the local usage). A name whose
  article is elided already shows a mute h: « de L'Haÿ-les-Roses ».

In a language other than French the name comes back bare: a translation writes its own
preposition around it. (gettext requires a msgid and its msgstr to use the same named
variables, so « Candidatures %(de_nom)s » is translated « Applications from %(de_nom)s ».)
"""

import re

from django.contrib.humanize.templatetags.humanize import intcomma, intword
from django.utils.formats import number_format
from django.utils.translation import get_language

from atlaas.francais import sans_accents

ARTICLE = re.compile(r"(?P<article>Les|Le|les|le) (?P<reste>\S.*)", re.S)
CONTRACTIONS = {"le": ("du", "au"), "les": ("des", "aux")}
# An intercommunalité named after its kind, a feminine noun: « la CC …», « l'Eurométropole … ».
GENRE_EPCI = re.compile(r"(?:CC|CA|CU|Communauté|Métropole|Eurométropole|Agglomération)(?![\w'’])")
VOYELLES = "aeiouœæ"


def _francais():
    return (get_language() or "fr").split("-")[0] == "fr"


def commence_par_voyelle(nom):
    """True when ``nom`` starts with a vowel sound written with a vowel (see the module's rules)."""
    lettres = sans_accents(nom[:2])
    if not lettres:
        return False
    if lettres[0] == "y":
        return len(lettres) == 1 or not lettres[1].isalpha() or lettres[1] not in VOYELLES + "y"
    return lettres[0] in VOYELLES


def _avec(preposition, nom):
    """« de »/« à » + ``nom``, by the rules of the module's docstring."""
    nom = str(nom).strip()
    if not nom:
        return nom
    if match := ARTICLE.fullmatch(nom):
        contractee = CONTRACTIONS[match["article"].lower()][preposition == "à"]
        return f"{contractee} {match['reste']}"
    if GENRE_EPCI.match(nom):
        article = "l'" if commence_par_voyelle(nom) else "la "
        return f"{preposition} {article}{nom}"
    if preposition == "de" and commence_par_voyelle(nom):
        return f"d'{nom}"
    return f"{preposition} {nom}"


def de(nom):
    """« Agen » → « d'Agen », « Le Havre » → « du Havre », « CC du Pays de Gex » → « de la CC du
    Pays de Gex »: a place's name after « de ». The bare name in another language than French."""
    return _avec("de", nom) if _francais() else str(nom)


def a(nom):
    """« Agen » → « à Agen », « Le Havre » → « au Havre », « Les Abymes » → « aux Abymes »: a
    place's name after « à ». The bare name in another language than French."""
    return _avec("à", nom) if _francais() else str(nom)


def de_personne(nom):
    """« Anne Martin » → « d'Anne Martin », « Pierre Le Gall » → « de Pierre Le Gall »: a person's
    name after « de », elided before a vowel only (a person's name has no article to contract).
    The bare name in another language than French."""
    nom = str(nom).strip()
    if not _francais() or not nom:
        return nom
    return f"d'{nom}" if commence_par_voyelle(nom) else f"de {nom}"


def une_ligne(texte):
    """``texte`` on one line, for an e-mail's subject: line breaks and runs of spaces become one
    space. No-break spaces stay (``str.split()`` would break them)."""
    return re.sub(r"[ \t\r\n]+", " ", texte).strip()


def grand_nombre(n):
    """« 1 040 000 » → « 1,0 million », « 12 345 678 » → « 12,3 millions », « 1,5 milliard »;
    below a million, the number with its thousands separated (« 845 210 »). humanize's
    ``intword`` writes « 1,0 millions »: French puts « million » and « milliard » in the
    plural from 2 on only."""
    if not _francais():
        return intword(n)
    n = int(n)
    for puissance, singulier, pluriel in ((9, "milliard", "milliards"), (6, "million", "millions")):
        if abs(n) >= 10**puissance:
            valeur = round(n / 10**puissance, 1)
            return f"{number_format(valeur, 1)}\u00a0{singulier if abs(valeur) < 2 else pluriel}"
    return intcomma(n)


MOIS = "janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre"
_PREMIER = re.compile(rf"(?<!\d)1 ({MOIS})\b")


def premier_du_mois(texte):
    """« 1 janvier 2026 » → « 1er janvier 2026 », as French writes the first day of a month
    (« 2 janvier » stays); in French only."""
    if not _francais():
        return texte
    return _PREMIER.sub("1er\u00a0\\1", texte)
