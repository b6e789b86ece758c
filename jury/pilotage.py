"""The dossier table of the steering page: sort, filters and pages, over the aggregated scores.

The aggregation runs over every submitted dossier (a juror's severity, and so the calibrated
scores, depend on all of their dossiers); the rows are then filtered and sorted in Python and
only one page of them is shown. Everything goes through the querystring (a GET form and links),
so the page works without JavaScript and a filtered, sorted page can be bookmarked. A dossier
the viewer is in conflict with is listed (its progress is no secret) but never under a filter
that would tell its scores or its jurors, and it goes last in the sorts by a figure.
"""

from django import forms
from django.core.paginator import Paginator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from label.models import TypeCandidature

from .models import Evaluation

PAR_PAGE = 50


class Avancement:
    SANS_JURE, AUCUNE, PARTIELLE, COMPLETE = "sans_jure", "aucune", "partielle", "complete"
    CHOICES = [
        ("", gettext_lazy("Tous les dossiers")),
        (SANS_JURE, gettext_lazy("Aucun juré affecté")),
        (AUCUNE, gettext_lazy("Aucune évaluation soumise")),
        (PARTIELLE, gettext_lazy("Évaluations en partie soumises")),
        (COMPLETE, gettext_lazy("Toutes les évaluations soumises")),
    ]


def avancement(item):
    if not item.affectees:
        return Avancement.SANS_JURE
    if not item.soumises:
        return Avancement.AUCUNE
    if item.soumises < item.affectees:
        return Avancement.PARTIELLE
    return Avancement.COMPLETE


class FiltreForm(forms.Form):
    NOM, DEPARTEMENT, CALIBREE, MOYENNE, ECART, PROGRESSION = (
        "nom",
        "departement",
        "calibree",
        "moyenne",
        "ecart",
        "progression",
    )

    tri = forms.ChoiceField(
        label=gettext_lazy("Trier par"),
        required=False,
        choices=[
            (NOM, gettext_lazy("Nom de la collectivité")),
            (DEPARTEMENT, gettext_lazy("Département")),
            (CALIBREE, gettext_lazy("Note calibrée (la plus haute d'abord)")),
            (MOYENNE, gettext_lazy("Moyenne brute (la plus haute d'abord)")),
            (ECART, gettext_lazy("Écart entre les notes (le plus grand d'abord)")),
            (PROGRESSION, gettext_lazy("Avancement (le moins avancé d'abord)")),
        ],
    )
    type = forms.ChoiceField(
        label=gettext_lazy("Type"),
        required=False,
        choices=[("", gettext_lazy("Tous les types")), *TypeCandidature.choices],
    )
    region = forms.ChoiceField(label=gettext_lazy("Région"), required=False)
    avancement = forms.ChoiceField(
        label=gettext_lazy("Avancement"), required=False, choices=Avancement.CHOICES
    )
    jure = forms.TypedChoiceField(label=gettext_lazy("Juré"), required=False, coerce=int, empty_value=None)
    desaccord = forms.BooleanField(label=gettext_lazy("Désaccords seulement"), required=False)
    incomplet = forms.BooleanField(label=gettext_lazy("Évaluations incomplètes seulement"), required=False)

    def __init__(self, *args, regions=(), jures=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("Toutes les régions")), *regions]
        self.fields["jure"].choices = [("", _("Tous les jurés")), *((j.pk, j.nom) for j in jures)]

    def filtres(self):
        """The valid values only: an invalid one is ignored, as if absent."""
        self.is_valid()
        return {nom: valeur for nom, valeur in self.cleaned_data.items() if valeur}


def _nom(item):
    return (item.candidature.collectivite.nom, item.candidature.pk)


def _descendant(attribut):
    """Highest first; masked dossiers and dossiers without a figure last."""

    def key(item):
        value = None if item.masque else getattr(item, attribut)
        return (value is None, -(value or 0), *_nom(item))

    return key


def _departement(item):
    departement = item.candidature.collectivite.departement
    return (departement is None, departement.code if departement else "", *_nom(item))


TRIS = {
    FiltreForm.NOM: _nom,
    FiltreForm.DEPARTEMENT: _departement,
    FiltreForm.CALIBREE: _descendant("calibree"),
    FiltreForm.MOYENNE: _descendant("moyenne"),
    FiltreForm.ECART: _descendant("ecart"),
    FiltreForm.PROGRESSION: lambda item: (
        item.soumises / item.affectees if item.affectees else 0,
        *_nom(item),
    ),
}


def filtrer(syntheses, filtres):
    """The rows kept by ``filtres`` (FiltreForm.filtres()), sorted; one query for a juror."""
    lignes = syntheses
    if filtres.get("desaccord"):  # a masked dossier is never listed: that would tell its scores
        lignes = [s for s in lignes if s.desaccord and not s.masque]
    if filtres.get("incomplet"):
        lignes = [s for s in lignes if s.incomplet]
    if "avancement" in filtres:
        lignes = [s for s in lignes if avancement(s) == filtres["avancement"]]
    if "type" in filtres:
        lignes = [s for s in lignes if s.candidature.type == filtres["type"]]
    if "region" in filtres:
        lignes = [
            s
            for s in lignes
            if s.candidature.collectivite.region_id
            and s.candidature.collectivite.region.code == filtres["region"]
        ]
    if "jure" in filtres:  # nor under a juror: the assignment page hides its jurors too
        affectees = Evaluation.objects.filter(jure_id=filtres["jure"])
        dossiers = set(affectees.values_list("candidature_id", flat=True))
        lignes = [s for s in lignes if s.candidature.pk in dossiers and not s.masque]
    return sorted(lignes, key=TRIS[filtres.get("tri", FiltreForm.NOM)])


def page(lignes, numero):
    """The page ``numero`` of the rows (the last one past the end, the first one for nonsense),
    each row with the short texts of its cells."""
    page = Paginator(lignes, PAR_PAGE).get_page(numero)
    for item in page:
        niveaux = sorted(item.niveaux)
        item.niveaux_texte = " · ".join("@" * n for n in niveaux)
        item.niveaux_libelle = ngettext(
            "niveau %(niveaux)s sur 5", "niveaux %(niveaux)s sur 5", len(niveaux)
        ) % {"niveaux": ", ".join(str(n) for n in niveaux)}
        item.mentions_texte = ", ".join(f"{nom} ({nombre})" for nom, nombre in item.mentions_triees)
        item.desaccords_texte = "\u202f; ".join(item.desaccords)
    return page
