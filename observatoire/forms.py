"""The observatoire's query string: a span of years, filters and what to compare.

Every choice is in the query string (a GET form: the page's address can be shared). A value
that is not valid is shown as an error next to its field and ignored; the other choices still
apply."""

from django import forms
from django.core.cache import cache
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from atlaas import catalogue
from atlaas.champs import DepartementField
from atlaas.francais import sans_accents
from atlaas.models import Departement, Region
from label.models import PREMIER_MILLESIME, TypeCandidature
from label.palmares import niveau_lu

TERRITOIRES = "observatoire:territoires"
TERRITOIRES_TTL = 3600
DUREE = 8  # the default span: the last eight years
COMPARER = {
    "strate": _("Population"),
    "type": _("Type de collectivité"),
    "region": _("Région"),
}


def territoires():
    """([(code, nom)] of the régions by name, [(code, « code — nom »)] of the départements), kept
    an hour in the cache: the referential changes once a year."""
    valeurs = cache.get(TERRITOIRES)
    if valeurs is None:
        regions = sorted(Region.objects.values_list("code", "nom"), key=lambda r: sans_accents(r[1]))
        departements = Departement.objects.values_list("code", "nom")
        departements = [(code, f"{code} — {nom}") for code, nom in departements]
        valeurs = (regions, sorted(departements))
        cache.set(TERRITOIRES, valeurs, TERRITOIRES_TTL)
    return valeurs


def annee_max():
    """The latest year one may ask for: next year's millésime (the open edition's)."""
    return timezone.localdate().year + 1


def periode_par_defaut():
    fin = timezone.localdate().year
    return fin - DUREE + 1, fin


class ObservatoireForm(forms.Form):
    debut = forms.TypedChoiceField(label=_("De l’année"), coerce=int, required=False, empty_value=None)
    fin = forms.TypedChoiceField(label=_("À l’année"), coerce=int, required=False, empty_value=None)
    region = forms.ChoiceField(label=_("Région"), required=False)
    departement = DepartementField()
    type = forms.ChoiceField(label=_("Type de collectivité"), required=False)
    strate = forms.ChoiceField(label=_("Population"), required=False)
    niveau = forms.TypedChoiceField(label=_("Niveau"), coerce=int, required=False, empty_value=None)
    comparer = forms.ChoiceField(
        label=_("Comparer les enjeux par"), choices=COMPARER.items(), required=False, widget=forms.RadioSelect
    )

    def __init__(self, data):
        data = data.copy()
        debut, fin = periode_par_defaut()
        for nom, valeur in (("debut", debut), ("fin", fin), ("comparer", "strate")):
            if not data.get(nom, "").strip():
                data[nom] = str(valeur)
        super().__init__(data)
        annees = [(annee, str(annee)) for annee in range(annee_max(), PREMIER_MILLESIME - 1, -1)]
        self.fields["debut"].choices = annees
        self.fields["fin"].choices = annees
        regions, _departements = territoires()
        tous = [("", pgettext_lazy("filtre", "Tous"))]
        toutes = [("", pgettext_lazy("filtre", "Toutes"))]
        self.fields["region"].choices = toutes + regions
        self.fields["type"].choices = tous + list(TypeCandidature.choices)
        self.fields["strate"].choices = toutes + [(k, v[0]) for k, v in catalogue.STRATES.items()]
        self.fields["niveau"].choices = tous + [(n, niveau_lu(n)) for n in range(5, 0, -1)]

    def clean(self):
        donnees = super().clean()
        debut, fin = donnees.get("debut"), donnees.get("fin")
        if debut is not None and fin is not None and fin < debut:
            self.add_error("fin", _("L’année de fin doit être celle du début ou une année suivante."))
        return donnees

    def choix(self):
        """The valid choices: {"debut", "fin", "comparer"} always (a default for a missing or
        invalid one), and each filter that is set and valid."""
        self.is_valid()
        valides = {nom: valeur for nom, valeur in self.cleaned_data.items() if valeur not in (None, "")}
        debut, fin = periode_par_defaut()
        valides.setdefault("debut", min(debut, valides.get("fin", debut)))
        valides.setdefault("fin", max(fin, valides["debut"]))
        valides.setdefault("comparer", "strate")
        return valides
