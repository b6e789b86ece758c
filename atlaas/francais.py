"""French words for the Atlaas search: accents removed, case folded, stemmed.

PostgreSQL does the same with its ``french_unaccent`` configuration (``unaccent`` then the Snowball
French stemmer). This module gives embedded mode (SQLite FTS5) the same words, and both modes the
highlighting of excerpts and the spelling suggestions.
"""

import re
import unicodedata
from functools import lru_cache

import snowballstemmer

WORD = re.compile(r"\w+")
LIGATURES = str.maketrans({"œ": "oe", "Œ": "OE", "æ": "ae", "Æ": "AE", "’": "'"})

# Snowball's French stop words, the list of PostgreSQL's french configuration, without the
# accented ones (« été », « même »…): with french_unaccent, PostgreSQL removes the accents before
# it looks a word up, so « été » is searched there, and must be here too (likewise « a », « ils »
# and « les », missing from that list).
STOP_WORDS = frozenset(
    """
    au aux avec ce ces dans de des du elle en et eux il je la le leur lui ma mais me mes moi
    mon ne nos notre nous on ou par pas pour qu que qui sa se ses son sur ta te tes toi ton tu un une
    vos votre vous c d j l m n s t y suis es est sommes sont serai seras sera serons serez seront
    serais serait serions seriez seraient fus fut sois soit soyons soyez soient fusse fusses fussions
    fussiez fussent ayant ayante ayantes ayants eu eue eues eus ai as avons avez ont aurai auras aura
    aurons aurez auront aurais aurait aurions auriez auraient avais avait avions aviez avaient eut
    eurent aie aies ait ayons ayez aient eusse eusses eussions eussiez eussent
    """.split()  # noqa: SIM905 - easier to read as text
)

_stemmer = snowballstemmer.stemmer("french")


def sans_accents(text):
    """« Médiation numérique » → « mediation numerique » (lower case, no diacritics, no ligatures)."""
    decomposed = unicodedata.normalize("NFKD", text.translate(LIGATURES).lower())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


# Abbreviations found in names as the press types them, spelt out as the referential writes them:
# « St-Denis » for Saint-Denis, and the kinds of intercommunalité, « CC » (communauté de communes),
# « CA » (d'agglomération), « CU » (urbaine), that the referential abbreviates and the press does not.
ABREVIATIONS = {
    "st": "saint",
    "ste": "sainte",
    "sts": "saints",
    "stes": "saintes",
    "cc": "communautedecommunes",
    "ca": "communautedagglomeration",
    "cu": "communauteurbaine",
}
_ALNUM = re.compile(r"[a-z0-9]+")


def normaliser_nom(text):
    """The key a collectivité's name is compared by, in the database (``Collectivite.nom_normalise``)
    and in every search by name: « Vandœuvre-lès-Nancy », « vandoeuvre les nancy » and
    « VANDOEUVRE-LES-NANCY » all give ``vandoeuvrelesnancy``. Accents, ligatures (œ, æ), case,
    punctuation and spaces are dropped, so that « L'Haÿ-les-Roses » and « lhay les roses » meet, and
    the abbreviations above are spelt out (« St Denis » → ``saintdenis``)."""
    return "".join(ABREVIATIONS.get(mot, mot) for mot in _ALNUM.findall(sans_accents(text)))


_SAINT = re.compile(r"\b(st|ste|sts|stes)\b\.?", re.IGNORECASE)


def saints_developpes(text):
    """« St Denis » → « saint Denis » (and Ste, Sts, Stes), the rest of ``text`` unchanged: for a
    full-text query, whose other words keep their meaning (quotes, « - », OR)."""
    return _SAINT.sub(lambda match: ABREVIATIONS[match.group(1).lower()], text)


def words(text):
    """The words of ``text``, accents removed and lower-cased, in order."""
    return WORD.findall(sans_accents(text).replace("_", " "))


@lru_cache(maxsize=50_000)
def stem(word):
    """The stem of one word already passed through ``sans_accents``."""
    return _stemmer.stemWord(word)


def stems(text):
    """The stems of the meaningful words of ``text`` (stop words dropped), in order."""
    return [racine for _place, racine in stems_places(text)]


def stems_places(text):
    """(place among all the words, stem) of the meaningful words of ``text``: a phrase's stop
    words keep their places."""
    return [(place, stem(word)) for place, word in enumerate(words(text)) if word not in STOP_WORDS]
