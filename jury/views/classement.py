"""The deliberation's ranking: every submitted dossier as a Ligne in the session's order, and the
sort, filters and pages of the session's table (GET, no JavaScript).

The session's order is the calibrated score, highest first (``agregation``). A dossier whose
assigned evaluations are not all submitted keeps its place but carries a visible flag
(« 1 avis sur 2 ») and a wider interval; at equal scores a complete dossier comes first. For a
president, the dossiers they are in conflict with come last, by name, and no sort or filter on a
score, a proposal or a decision reveals where they would be.
"""

import statistics
from dataclasses import dataclass

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from label.models import Candidature, Resultat
from label.selectors import EligibiliteTen, eligibilites_ten

from .. import deliberation as domaine
from .. import rules
from ..agregation import Synthese, synthese

PAR_PAGE = 50


@dataclass
class Ligne:
    candidature: Candidature
    synthese: Synthese
    conflit: str | None
    eligibilite: EligibiliteTen
    resultat: Resultat | None
    simule: int | None = None
    rang: int | None = None  # in the session's order, among the dossiers the viewer may see

    @property
    def note(self):
        return domaine.note(self.synthese)

    @property
    def incomplet(self):
        """Assigned evaluations not all submitted: its score rests on fewer reviews than planned."""
        return self.synthese.soumises < self.synthese.affectees

    @property
    def propositions(self):
        return sorted(self.synthese.niveaux, reverse=True)

    @property
    def niveau_propose(self):
        """The median of the proposed levels, or None."""
        return statistics.median(self.synthese.niveaux) if self.synthese.niveaux else None

    @property
    def mentions_proposees(self):
        return self.synthese.mentions.most_common()

    @property
    def ten(self):
        """What the jury should know about the TEN: eligible if 5@, a TEN still valid."""
        textes = []
        niveau = self.resultat.niveau if self.resultat else None
        if self.eligibilite.eligible(5) and niveau in (None, 5):
            textes.append(_("éligible (%(rang)de 5@)") % {"rang": self.eligibilite.labels_5 + 1})
        if self.eligibilite.ten_valide_jusqu_a:
            textes.append(
                _("TEN valable jusqu'en %(annee)s") % {"annee": self.eligibilite.ten_valide_jusqu_a}
            )
        return textes


def _nom(ligne):
    return (ligne.candidature.collectivite.nom, ligne.candidature.pk)


def _rang(ligne):
    """The session's order: calibrated score from the highest, a complete dossier before an
    incomplete one of the same score, then the dossiers without score; conflicts last."""
    if ligne.conflit:
        return (True, True, 0, False, _nom(ligne))
    note = ligne.note
    return (False, note is None, -(note or 0), ligne.incomplet, _nom(ligne))


def session(request):
    """The edition's submitted dossiers as Lignes, in the session's order, numbered."""
    candidatures = list(
        Candidature.objects.filter(edition=request.edition, state=Candidature.State.DEPOSEE)
        .select_related("collectivite__departement", "resultat")
        .prefetch_related("resultat__mentions")
    )
    en_conflit = rules.masques(request, candidatures)
    eligibilites = eligibilites_ten([c.collectivite_id for c in candidatures], request.edition.annee)
    lignes = [
        Ligne(
            candidature=candidature,
            synthese=item,
            conflit=en_conflit.get(candidature.pk),
            eligibilite=eligibilites[candidature.collectivite_id],
            resultat=getattr(candidature, "resultat", None),
        )
        for candidature, item in zip(candidatures, synthese(request.jury, candidatures), strict=True)
    ]
    lignes.sort(key=_rang)
    for rang, ligne in enumerate((ligne for ligne in lignes if not ligne.conflit), start=1):
        ligne.rang = rang
    return lignes


# --- Sort, filters, pages -------------------------------------------------------------------------


class ClassementForm(forms.Form):
    """The session table's sort and filters; an invalid value is ignored, as if absent."""

    CALIBREE, MOYENNE, NOM, DEPARTEMENT, NIVEAU, DECISION = (
        "calibree",
        "moyenne",
        "nom",
        "departement",
        "niveau",
        "decision",
    )

    tri = forms.ChoiceField(
        label=gettext_lazy("Trier par"),
        required=False,
        choices=[
            (CALIBREE, gettext_lazy("Note calibrée (la plus haute d'abord)")),
            (MOYENNE, gettext_lazy("Moyenne brute (la plus haute d'abord)")),
            (NOM, gettext_lazy("Nom de la collectivité")),
            (DEPARTEMENT, gettext_lazy("Département")),
            (NIVEAU, gettext_lazy("Niveau proposé (le plus haut d'abord)")),
            (DECISION, gettext_lazy("Décision (le niveau le plus haut d'abord)")),
        ],
    )
    decision = forms.ChoiceField(
        label=gettext_lazy("Décision"),
        required=False,
        choices=[
            ("", gettext_lazy("Toutes")),
            ("non", gettext_lazy("Pas encore décidé")),
            ("oui", gettext_lazy("Déjà décidé")),
        ],
    )
    niveau = forms.TypedChoiceField(
        label=gettext_lazy("Niveau proposé (médiane des jurés)"),
        required=False,
        coerce=int,
        empty_value=None,
        choices=[("", gettext_lazy("Tous")), *((n, f"{n}@") for n in range(1, 6))],
    )
    desaccord = forms.BooleanField(label=gettext_lazy("Désaccords seulement"), required=False)
    incomplet = forms.BooleanField(label=gettext_lazy("Avis incomplets seulement"), required=False)

    def filtres(self):
        self.is_valid()  # an invalid field is left out of cleaned_data
        return {nom: valeur for nom, valeur in self.cleaned_data.items() if valeur not in (None, "", False)}


def _descendant(valeur):
    """Highest first; the dossiers without a figure, then the conflicts, last."""

    def key(ligne):
        v = None if ligne.conflit else valeur(ligne)
        return (ligne.conflit is not None, v is None, -(v or 0), _rang(ligne))

    return key


def _departement(ligne):
    departement = ligne.candidature.collectivite.departement
    return (departement is None, departement.code if departement else "", _nom(ligne))


TRIS = {
    ClassementForm.CALIBREE: _rang,
    ClassementForm.MOYENNE: _descendant(lambda ligne: ligne.synthese.moyenne),
    ClassementForm.NOM: _nom,
    ClassementForm.DEPARTEMENT: _departement,
    ClassementForm.NIVEAU: _descendant(lambda ligne: ligne.niveau_propose),
    ClassementForm.DECISION: _descendant(lambda ligne: ligne.resultat.niveau if ligne.resultat else None),
}


def _niveau(ligne):
    niveau = ligne.niveau_propose
    return None if niveau is None else int(niveau + 0.5)  # 3.5 → 4: half a level up


def filtrer(lignes, filtres):
    """The lines kept by ``filtres`` (ClassementForm.filtres()), sorted. A dossier the viewer is
    in conflict with is never kept by a filter on its scores or proposals: that would tell them."""
    if filtres.get("decision") == "non":
        lignes = [ligne for ligne in lignes if ligne.resultat is None]
    elif filtres.get("decision") == "oui":
        lignes = [ligne for ligne in lignes if ligne.resultat is not None]
    if filtres.get("desaccord"):
        lignes = [ligne for ligne in lignes if ligne.synthese.desaccord and not ligne.conflit]
    if filtres.get("incomplet"):
        lignes = [ligne for ligne in lignes if ligne.incomplet]
    if "niveau" in filtres:
        lignes = [ligne for ligne in lignes if not ligne.conflit and _niveau(ligne) == filtres["niveau"]]
    return sorted(lignes, key=TRIS[filtres.get("tri", ClassementForm.CALIBREE)])


def parametres(query, noms):
    """The (name, value) pairs of ``query`` among ``noms``: another form's choices, carried as
    hidden fields so that submitting one form keeps the other's."""
    return [(nom, valeur) for nom in noms for valeur in query.getlist(nom)]
