"""Form fields of the referential, shared by the public pages' filters (the palmarès, the
observatoire).

A département is typed, not chosen in a list: the hundred options of a list would weigh more
than the rest of those pages (docs/palmares.md); their maps and tables link to each one.
"""

import re

from django import forms
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from .francais import normaliser_nom
from .models import Departement

# The shape of a département's code: its number, Corsica's 2A and 2B, overseas' three digits
# (971 to 989: the départements and collectivités d'outre-mer of the referential).
CODE_DEPARTEMENT = "9[78][0-9]|2[AB]|[0-9]{2}"
_NUMERO = re.compile(rf"\b({CODE_DEPARTEMENT})\b", re.IGNORECASE)


DEPARTEMENTS = "atlaas:departements"


def _departements():
    """{code: nom} of the départements, kept an hour in the cache (the referential changes once a
    year): a filter typed on a page already in the cache costs no query."""
    return cache.get_or_set(DEPARTEMENTS, lambda: dict(Departement.objects.values_list("code", "nom")), 3600)


def departement_saisi(saisie):
    """The code of the département typed, or None: its number (« 33 », « 2a », « 971 »), its
    name (« cotes d'armor »: accents, case, hyphens and apostrophes aside), or both as the pages
    write them (« Gironde (33) », « 33 — Gironde »)."""
    codes = _departements()
    numero = _NUMERO.search(saisie)
    if numero and numero.group(1).upper() in codes:
        return numero.group(1).upper()
    cle = normaliser_nom(saisie)
    return next((code for code, nom in codes.items() if normaliser_nom(nom) == cle), None)


class DepartementField(forms.CharField):
    """A département typed by its number or its name; cleaned to its code ("" when empty)."""

    def __init__(self, **kwargs):
        kwargs.setdefault("label", gettext_lazy("Département"))
        kwargs.setdefault("help_text", gettext_lazy("Son numéro ou son nom, par exemple 33 ou Gironde."))
        kwargs.setdefault("max_length", 60)
        kwargs.setdefault(
            "widget", forms.TextInput(attrs={"autocomplete": "off", "spellcheck": "false", "size": 14})
        )
        super().__init__(required=False, **kwargs)

    def clean(self, value):
        saisie = " ".join(super().clean(value).split())
        if not saisie:
            return ""
        code = departement_saisi(saisie)
        if code is None:
            raise ValidationError(
                _(
                    "Aucun département ne s’appelle « %(saisie)s » : "
                    "saisissez son numéro (33) ou son nom (Gironde)."
                )
                % {"saisie": saisie}
            )
        return code
