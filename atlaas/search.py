"""Finding a collectivité of the referential by name, INSEE code, SIREN or postcode.

Names are compared through ``Collectivite.slug`` (``slugify(nom)``: accents stripped, lower
case, words joined by hyphens), so "saint etienne du rouvray" finds « Saint-Étienne-du-Rouvray »
without a normalised column of its own.
"""

import re
import unicodedata

from django.db.models import Case, IntegerField, Q, Value, When

from .models import Collectivite

MIN_LENGTH = 2
_INSEE_OR_POSTCODE = re.compile(r"\d{5}|2[AB]\d{3}")
_SIREN = re.compile(r"\d{9}")


def normalise(text):
    """Lower case, accents stripped, every run of punctuation or spaces turned into one space."""
    text = unicodedata.normalize("NFKD", text)
    text = "".join(char for char in text if not unicodedata.combining(char)).lower()
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def slug_forms(query):
    """The forms the query may take in a slug. ``slugify`` drops apostrophes (« L'Haÿ-les-Roses »
    → ``lhay-les-roses``), so an elided one-letter word is also tried glued to the next one."""
    words = normalise(query).split()
    forms = {"-".join(words)}
    glued, pending = [], ""
    for word in words:
        if len(word) == 1 and word.isalpha():
            pending += word
            continue
        glued.append(pending + word)
        pending = ""
    if pending:
        glued.append(pending)
    forms.add("-".join(glued))
    return sorted(form for form in forms if len(form) >= MIN_LENGTH)


def filtrer_collectivites(base, query):
    """``base`` restricted to what matches the query and in order (exact matches, then names that
    start with it, then by population), or None when the query is too short to look for."""
    query = (query or "").strip()
    compact = re.sub(r"\s+", "", query).upper()
    if _SIREN.fullmatch(compact):
        matches = base.filter(Q(code=compact) | Q(siren=compact))
        rank = Case(When(code=compact, then=Value(0)), default=Value(1), output_field=IntegerField())
    elif _INSEE_OR_POSTCODE.fullmatch(compact):
        matches = base.filter(Q(code=compact) | Q(codes_postaux__contains=compact))
        rank = Case(When(code=compact, then=Value(0)), default=Value(1), output_field=IntegerField())
    else:
        forms = slug_forms(query)
        if not forms:
            return None
        condition = Q()
        for form in forms:
            condition |= Q(slug__contains=form)
        rank = Case(
            When(slug__in=forms, then=Value(0)),
            *[When(slug__startswith=form, then=Value(1)) for form in forms],
            default=Value(2),
            output_field=IntegerField(),
        )
        matches = base.filter(condition)
    return matches.annotate(rank=rank).order_by("rank", "-population", "nom", "code")


def search_collectivites(query, limit=20):
    """Active collectivités matching the query, best first. One query, whatever the number of results."""
    matches = filtrer_collectivites(Collectivite.objects.actives().select_related("departement"), query)
    return [] if matches is None else list(matches[:limit])
