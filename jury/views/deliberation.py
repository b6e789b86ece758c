"""The deliberation: the president's session page, one dossier's decision, opening and closing.

The president (or staff) sees the submitted dossiers ranked by calibrated score (``classement``)
with the jurors' proposals, TEN eligibility and a what-if of score thresholds, 50 dossiers a page
with sorts and filters, and decides each dossier through ``jury.deliberation``. A president in
conflict with a dossier sees its row without scores and gets 404 on it: staff decide it. Every
page runs a fixed number of queries.
"""

from django import forms
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from label.models import Candidature, Mention, Resultat, ResultatJournal
from label.selectors import TEN_DEPUIS, TEN_LABELS_5

from .. import deliberation as domaine
from ..forms import niveau_choices
from ..models import Jury
from ..rules import jury_view
from .classement import PAR_PAGE, ClassementForm, filtrer, parametres, session

Phase = Jury.Phase
SEUILS = ("s2", "s3", "s4", "s5")
REFUSED, CONFLICT = 403, 409


def _peut_decider(jury, user):
    return jury.phase == Phase.DELIBERATION or (jury.phase == Phase.CLOSE and user.is_staff)


# --- The session page ---------------------------------------------------------------------------


class SeuilsForm(forms.Form):
    """The what-if: the score (on 100) from which a dossier would get each level."""

    s2 = forms.FloatField(label=gettext_lazy("Note minimale pour 2@"), min_value=0, max_value=100)
    s3 = forms.FloatField(label=gettext_lazy("Note minimale pour 3@"), min_value=0, max_value=100)
    s4 = forms.FloatField(label=gettext_lazy("Note minimale pour 4@"), min_value=0, max_value=100)
    s5 = forms.FloatField(label=gettext_lazy("Note minimale pour 5@"), min_value=0, max_value=100)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        for field in self.fields.values():
            field.widget.attrs["step"] = "0.1"

    def clean(self):
        data = super().clean()
        seuils = [data.get(name) for name in SEUILS]
        if None not in seuils:
            try:
                domaine.verifier_seuils(seuils)
            except ValueError as exc:
                raise ValidationError(str(exc)) from None
        return data

    def seuils(self):
        return tuple(self.cleaned_data[name] for name in SEUILS)


@require_safe
@jury_view(president=True)
def deliberation(request, annee):
    """The phase and its buttons, the what-if of score thresholds (GET s2..s5) and the dossiers,
    ranked, sorted and filtered (GET tri, decision, niveau, desaccord, incomplet), 50 a page."""
    jury = request.jury
    lignes = session(request)
    # The dossiers the president is in conflict with stay out of the figures: a count per
    # level would give their decision away.
    visibles = [ligne for ligne in lignes if not ligne.conflit]
    syntheses = [ligne.synthese for ligne in visibles]
    defaut = domaine.seuils_par_defaut(syntheses)
    if any(name in request.GET for name in SEUILS):
        form = SeuilsForm(request.GET)
        seuils = form.seuils() if form.is_valid() else defaut
    else:
        form = SeuilsForm(initial=dict(zip(SEUILS, defaut, strict=True)))
        seuils = defaut
    simulation = domaine.simulation(syntheses, seuils)
    decisions = dict.fromkeys(range(1, 6), 0)
    for ligne in visibles:
        ligne.simule = simulation.niveaux[ligne.candidature.pk]
        if ligne.resultat:
            decisions[ligne.resultat.niveau] += 1
    classement = ClassementForm(request.GET)
    filtres = classement.filtres()
    page = Paginator(filtrer(lignes, filtres), PAR_PAGE).get_page(request.GET.get("page"))
    # What « Clore la délibération » waits for, as the action checks it.
    manquants = domaine.sans_decision(request.edition) if jury.phase == Phase.DELIBERATION else set()
    sans_decision = [ligne for ligne in lignes if ligne.candidature.pk in manquants]
    context = {
        "jury": jury,
        "edition": request.edition,
        "page": page,
        "lignes": page.object_list,
        "lignes_total": len(lignes),
        "form": form,
        "classement": classement,
        # Submitting one form keeps the other's choices.
        "caches_seuils": parametres(request.GET, list(ClassementForm.base_fields)),
        "caches_classement": parametres(request.GET, SEUILS),
        "simulation": simulation,
        "repartition": [
            (niveau, simulation.repartition[niveau], decisions[niveau]) for niveau in range(5, 0, -1)
        ],
        "decidees": sum(decisions.values()),
        # The TEN rule applied to the simulated levels: how many 5@ of the what-if could get it.
        "ten_simulees": sum(1 for ligne in visibles if ligne.eligibilite.eligible(ligne.simule)),
        "comptes": len(visibles),
        "masques": len(lignes) - len(visibles),
        # What « Ouvrir la délibération » waits for, as the action checks it.
        "ouverture_apres": domaine.ouverture_apres(jury.edition),
        "sans_decision": len(sans_decision),
        "prochaine": next((ligne for ligne in sans_decision if not ligne.conflit), None),
        "evaluations_en_cours": sum(ligne.synthese.affectees - ligne.synthese.soumises for ligne in lignes),
        "peut_decider": _peut_decider(jury, request.user),
        "Phase": Phase,
    }
    return render(request, "jury/deliberation/session.html", context)


@require_POST
@jury_view(president=True)
def ouvrir(request, annee):
    try:
        domaine.ouvrir(request.jury, request.user)
    except domaine.TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request, _("La délibération est ouverte : les jurés ne peuvent plus modifier leurs évaluations.")
        )
    return redirect("jury:deliberation", annee)


@require_POST
@jury_view(president=True)
def clore(request, annee):
    try:
        domaine.clore(request.jury, request.user)
    except domaine.TransitionError as exc:
        messages.error(request, str(exc))
    else:
        messages.success(
            request,
            _(
                "La délibération est close : les résultats sont figés. "
                "Seule l'équipe peut encore en changer un."
            ),
        )
    return redirect("jury:deliberation", annee)


# --- One dossier's decision ----------------------------------------------------------------------


def eligibilite_texte(eligibilite):
    """The TEN conditions as they stand for this collectivité, next to the TEN checkbox."""
    if eligibilite.eligible(5):
        return _("Éligible avec 5@ : ce serait son %(rang)de label 5@.") % {"rang": eligibilite.labels_5 + 1}
    if eligibilite.ten_valide_jusqu_a:
        texte = _(
            "Non éligible : sa TEN de %(annee)s est valable jusqu'en %(fin)s ; elle peut lui être "
            "décernée de nouveau à partir de %(suivante)s."
        ) % {
            "annee": eligibilite.dernier_ten,
            "fin": eligibilite.ten_valide_jusqu_a,
            "suivante": eligibilite.ten_valide_jusqu_a + 1,
        }
    elif eligibilite.annee < TEN_DEPUIS:
        texte = _("Non éligible : la TEN est décernée depuis %(annee)s.") % {"annee": TEN_DEPUIS}
    else:
        texte = ngettext(
            "Non éligible : %(n)d label 5@ les années précédentes ; il en faut %(total)d, "
            "consécutifs ou non, avant un 5@ cette année.",
            "Non éligible : %(n)d labels 5@ les années précédentes ; il en faut %(total)d, "
            "consécutifs ou non, avant un 5@ cette année.",
            eligibilite.labels_5,
        ) % {"n": eligibilite.labels_5, "total": TEN_LABELS_5}
    return texte + " " + _("La décision reste celle du jury.")


class DecisionForm(forms.Form):
    niveau = forms.TypedChoiceField(label=gettext_lazy("Niveau"), coerce=int, widget=forms.RadioSelect)
    mentions = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Mentions"),
        queryset=Mention.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
    )
    ten = forms.BooleanField(label=gettext_lazy("Territoire d'excellence numérique (TEN)"), required=False)
    motivation = forms.CharField(
        label=gettext_lazy("Motivation"),
        widget=forms.Textarea(attrs={"rows": 4}),
        max_length=5000,
        required=False,
        help_text=gettext_lazy("Pourquoi ce niveau : lue par le jury et l'équipe."),
    )
    motif = forms.CharField(
        label=gettext_lazy("Motif du changement"),
        widget=forms.Textarea(attrs={"rows": 3}),
        max_length=2000,
        help_text=gettext_lazy(
            "La délibération est close : le motif est conservé dans l'historique de ce résultat."
        ),
    )
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=0)

    def __init__(self, *args, edition, eligibilite, motif_requis, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["niveau"].choices = niveau_choices()
        self.fields["mentions"].queryset = edition.mentions.all()
        self.fields["ten"].help_text = eligibilite_texte(eligibilite)
        if not motif_requis:
            del self.fields["motif"]

    def decision(self):
        data = self.cleaned_data
        return {
            "niveau": data["niveau"],
            "mentions": list(data["mentions"]),
            "ten": data["ten"],
            "motivation": data["motivation"],
            "version": data["version"],
            "motif": data.get("motif", ""),
        }

    def montrer_version(self, version):
        """After a conflict the form keeps what was typed, with the version now current: saving
        it again replaces the other decision knowingly."""
        self.data = self.data.copy()
        self.data["version"] = version


def _initial(resultat):
    if resultat is None:
        return {"version": 0}
    return {
        "niveau": resultat.niveau,
        "mentions": list(resultat.mentions.all()),
        "ten": resultat.ten,
        "motivation": resultat.motivation,
        "version": resultat.version,
    }


def _resume(etat):
    """A journal state as one line: « 4@ ; mentions : A, B ; TEN »."""
    if not etat:
        return _("aucune décision")
    parts = [f"{etat['niveau']}@"]
    if etat.get("mentions"):
        parts.append(_("mentions : %(noms)s") % {"noms": ", ".join(etat["mentions"])})
    if etat.get("ten"):
        parts.append(_("TEN"))
    return "\u202f; ".join(parts)


def _journal(candidature):
    entries = list(
        ResultatJournal.objects.filter(resultat__candidature=candidature)
        .select_related("by")
        .order_by("at", "pk")
    )
    for entry in entries:
        entry.avant_texte, entry.apres_texte = _resume(entry.avant), _resume(entry.apres)
    return entries


def _suivant(annee, lignes, candidature):
    """The next dossier without a decision after this one in the session's order (else the
    first one), or the session page when none is left."""
    position = next(i for i, ligne in enumerate(lignes) if ligne.candidature.pk == candidature.pk)
    a_decider = [
        i for i, ligne in enumerate(lignes) if ligne.resultat is None and not ligne.conflit and i != position
    ]
    if not a_decider:
        return reverse("jury:deliberation", args=[annee])
    i = next((i for i in a_decider if i > position), a_decider[0])
    return reverse("jury:decider", args=[annee, lignes[i].candidature.pk])


@require_http_methods(["GET", "POST"])
@jury_view(president=True)
def decider(request, annee, pk):
    """The dossier's aggregates and proposals, its TEN eligibility, the decision form and the
    history of its result. After saving, on to the next dossier without a decision."""
    jury, edition = request.jury, request.edition
    # A draft or a withdrawn dossier answers as an unknown one: its existence is not revealed.
    candidature = get_object_or_404(Candidature, edition=edition, pk=pk, state=Candidature.State.DEPOSEE)
    lignes = session(request)
    ligne = next(ligne for ligne in lignes if ligne.candidature.pk == candidature.pk)
    if ligne.conflit:
        raise Http404
    candidature = ligne.candidature
    peut_decider = _peut_decider(jury, request.user)
    kwargs = {
        "edition": edition,
        "eligibilite": ligne.eligibilite,
        "motif_requis": bool(edition.resultats_clos_at) and request.user.is_staff,
    }
    status, autre = 200, None
    if request.method == "GET":
        form = DecisionForm(initial=_initial(ligne.resultat), **kwargs)
    else:
        form = DecisionForm(request.POST, **kwargs)
        if not peut_decider:
            messages.error(request, _fermee(jury))
            status = REFUSED
        elif form.is_valid():
            try:
                resultat = domaine.decider(jury, candidature, request.user, **form.decision())
            except domaine.ResultConflict as exc:
                autre, status = exc.resultat, CONFLICT
                form.montrer_version(autre.version if autre else 0)
            except domaine.TransitionError as exc:
                form.add_error(None, str(exc))
                status = REFUSED
            else:
                messages.success(
                    request,
                    _("Décision enregistrée pour %(nom)s : %(niveau)s@.")
                    % {"nom": candidature.collectivite.nom, "niveau": resultat.niveau},
                )
                if resultat.ten and not ligne.eligibilite.eligible(resultat.niveau):
                    messages.warning(
                        request,
                        _(
                            "TEN attribuée hors des conditions habituelles (5@ cette année après "
                            "six labels 5@ les années précédentes, pas de TEN encore valable) : "
                            "c'est la décision du jury."
                        ),
                    )
                return redirect(_suivant(annee, lignes, candidature))
    if autre is not None:
        autre = Resultat.objects.select_related("decided_by").prefetch_related("mentions").get(pk=autre.pk)
    context = {
        "jury": jury,
        "edition": edition,
        "ligne": ligne,
        "candidature": candidature,
        "synthese": ligne.synthese,
        "resultat": ligne.resultat,
        "form": form if peut_decider else None,
        "autre": autre,
        "conflit_version": status == CONFLICT,
        "fermee": None if peut_decider else _fermee(jury),
        "journal": _journal(candidature),
    }
    return render(request, "jury/deliberation/decider.html", context, status=status)


def _fermee(jury):
    if jury.phase == Phase.EVALUATION:
        return _("La délibération n'est pas encore ouverte : aucune décision ne peut être prise.")
    return _("La délibération est close : seule l'équipe peut changer un résultat.")
