"""Finding a collectivité of the referential by name, INSEE code, SIREN or postcode.

Names are compared through ``Collectivite.nom_normalise`` (``francais.normaliser_nom(nom)``): the
query goes through the same function, so « Vandoeuvre », « vandœuvre-lès-nancy », « L Hay les
roses » or « St Denis » find « Vandœuvre-lès-Nancy », « L'Haÿ-les-Roses » and « Saint-Denis ».
"""

import re

from django.db.models import Case, IntegerField, Q, Value, When

from .francais import normaliser_nom
from .models import Collectivite

MIN_LENGTH = 2
_INSEE_OR_POSTCODE = re.compile(r"\d{5}|2[AB]\d{3}")
_SIREN = re.compile(r"\d{9}")


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
        cle = normaliser_nom(query)
        if len(cle) < MIN_LENGTH:
            return None
        matches = base.filter(nom_normalise__contains=cle)
        rank = Case(
            When(nom_normalise=cle, then=Value(0)),
            When(nom_normalise__startswith=cle, then=Value(1)),
            default=Value(2),
            output_field=IntegerField(),
        )
    return matches.annotate(rank=rank).order_by("rank", "-population", "nom", "code")


def search_collectivites(query, limit=20):
    """Active collectivités matching the query, best first. One query, whatever the number of results."""
    matches = filtrer_collectivites(Collectivite.objects.actives().select_related("departement"), query)
    return [] if matches is None else list(matches[:limit])
