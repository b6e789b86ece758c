"""Spelling suggestions of the catalogue (« Vouliez-vous dire … »): the words of the published
fiches and of the services (``vocabulaire``, kept in the cache, read through ``lecture.lire``: a
replica, else the primary), and the closest known words to a query's (``suggestion``).

The words are read from the whole Atlaas (half a minute at a million fiches): a worker builds
them (Celery beat, every three hours), never a visitor's search. A search that finds them
missing from the cache (Redis restarted) answers without a suggestion and owes a worker their
building (the outbox), once in ``DEMANDE_SECONDES``.
"""

import difflib
import hashlib
from collections import Counter, defaultdict

from django.core.cache import cache
from django.db import connections

from atlaas import francais
from atlaas.models import FicheAction, Service
from outbox import envois

from . import lecture

VOCABULAIRE = "atlaas:vocabulaire"
DEMANDE = "atlaas:vocabulaire:demande"  # a worker owed the words
DEMANDE_SECONDES = 600
TACHE = "atlaas.tasks.construire_vocabulaire"


_PG_VOCABULAIRE = """
SELECT word, nentry FROM ts_stat($$
    SELECT to_tsvector('simple', concat_ws(' ', f.titre, f.sous_titre, c.nom))
    FROM atlaas_ficheaction f JOIN atlaas_collectivite c ON c.id = f.collectivite_id
    WHERE f.state = 'publiee' AND f.revision_of_id IS NULL
$$)
"""


def vocabulaire(reconstruire=False):
    """Words of the published titles, summaries and collectivités, and of the services:
    {word without accents: (the word as most often written, frequency)}. Kept six hours in the
    cache: a word published meanwhile is found by the search, just not suggested yet."""
    vocab = None if reconstruire else cache.get(VOCABULAIRE)
    if vocab is not None:
        return vocab
    _alias, (mots, services) = lecture.lire(
        lambda using: (_mots_publies(using), list(Service.objects.using(using).values_list("nom", flat=True)))
    )
    formes = defaultdict(Counter)
    for mot, nombre in mots:
        if len(mot) >= 3 and not mot.isdigit() and francais.WORD.fullmatch(mot):
            formes[francais.sans_accents(mot)][mot] += nombre
    for nom in services:
        for mot in francais.WORD.findall(nom.lower()):
            if len(mot) >= 3:
                formes[francais.sans_accents(mot)][mot] += 1
    vocab = {cle: (compte.most_common(1)[0][0], sum(compte.values())) for cle, compte in formes.items()}
    cache.set(VOCABULAIRE, vocab, 6 * 3600)
    return vocab


def _vocabulaire_garde():
    """The words the cache keeps, or None: then a worker is owed them (the outbox), once in
    ``DEMANDE_SECONDES``."""
    vocab = cache.get(VOCABULAIRE)
    if vocab is None and cache.add(DEMANDE, True, DEMANDE_SECONDES):
        envois.tache(TACHE)
    return vocab


def _mots_publies(using):
    """(word in lower case, number of fiches using it) over the published fiches."""
    if connections[using].vendor == "postgresql":
        with connections[using].cursor() as cursor:
            cursor.execute(_PG_VOCABULAIRE)  # counted by PostgreSQL, not in Python
            return cursor.fetchall()
    compte = Counter()
    textes = FicheAction.objects.using(using).published().order_by()
    for ligne in textes.values_list("titre", "sous_titre", "collectivite__nom").iterator(chunk_size=2000):
        compte.update(set(francais.WORD.findall(" ".join(ligne).lower())))
    return compte.items()


MOTS_CORRIGES = 6  # words of a query looked at for a suggestion


def suggestion(q):
    """A close query made of known words ("Vouliez-vous dire …"), or None. A word is compared
    with the known words of its initial and about its length only; the answer for a query is
    kept in the cache as long as the words."""
    cle_cache = f"atlaas:suggestion:{hashlib.sha256(q.encode()).hexdigest()[:32]}"
    trouve = cache.get(cle_cache)
    if trouve is not None:
        return trouve or None
    vocab = _vocabulaire_garde()
    if vocab is None:  # not kept for this query: the words will be there for the next search
        return None
    mots, change = [], False
    for mot in francais.WORD.findall(q)[:MOTS_CORRIGES]:
        cle = francais.sans_accents(mot)
        if cle in vocab or len(cle) < 3 or cle in francais.STOP_WORDS or cle.isdigit():
            mots.append(mot)
            continue
        voisins = [w for w in vocab if w[0] == cle[0] and abs(len(w) - len(cle)) <= 2]
        proches = difflib.get_close_matches(cle, voisins, n=5, cutoff=0.75)
        if not proches:
            mots.append(mot)
            continue
        meilleur = max(
            proches, key=lambda w: (round(difflib.SequenceMatcher(None, cle, w).ratio(), 1), vocab[w][1])
        )
        mots.append(vocab[meilleur][0])
        change = True
    resultat = " ".join(mots) if change else ""
    cache.set(cle_cache, resultat, 6 * 3600)
    return resultat or None
