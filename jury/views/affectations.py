"""The president's assignment pages: jurors' workloads and the dossiers with their jurors, the
automatic run, and one dossier's jurors added or removed by hand with a reason.

The president (or staff) only; a president in conflict with a dossier gets 404 on its page and
does not see who evaluates it in the list.
"""

from collections import Counter, defaultdict

from django import forms
from django.contrib import messages
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from atlaas.typographie import de_personne

from .. import conflits, rules
from ..affectation import MOTIF_MAX, AffectationRefusee, affecter, ajouter, retirer
from ..models import AffectationJournal, Evaluation, Jure
from ..rules import jury_view

MANQUES_AFFICHES = 10  # dossiers lacking jurors named in messages after a run
AJOUTER, RETIRER = "ajouter", "retirer"


class FiltreForm(forms.Form):
    INCOMPLETS = "incomplets"

    dossiers = forms.ChoiceField(
        label=gettext_lazy("Dossiers"),
        required=False,
        choices=[("", gettext_lazy("Tous les dossiers")), (INCOMPLETS, gettext_lazy("Sans assez de jurés"))],
    )


class SelectAvecDesactives(forms.Select):
    """A select whose options listed in ``desactives`` are shown but cannot be chosen."""

    desactives = frozenset()

    def create_option(self, *args, **kwargs):
        option = super().create_option(*args, **kwargs)
        if str(option["value"]) in self.desactives:
            option["attrs"]["disabled"] = True
        return option


class AjoutForm(forms.Form):
    jure = forms.TypedChoiceField(label=gettext_lazy("Juré"), coerce=int, widget=SelectAvecDesactives)
    motif = forms.CharField(label=gettext_lazy("Motif de l'ajout"), max_length=MOTIF_MAX)

    def __init__(self, *args, jures=(), en_conflit=None, **kwargs):
        super().__init__(*args, **kwargs)
        en_conflit = en_conflit or {}
        choices = [("", _("Choisir un juré"))]
        for jure in jures:
            if jure.pk in en_conflit:
                label = _("%(nom)s — en conflit d'intérêts : %(raison)s") % {
                    "nom": jure.nom,
                    "raison": en_conflit[jure.pk],
                }
            else:
                label = jure.nom
            choices.append((jure.pk, label))
        self.fields["jure"].choices = choices
        self.fields["jure"].widget.desactives = {str(pk) for pk in en_conflit}


class RetraitForm(forms.Form):
    evaluation = forms.IntegerField(widget=forms.HiddenInput)
    motif = forms.CharField(label=gettext_lazy("Motif du retrait"), max_length=MOTIF_MAX)


def _retrait_form(evaluation, data=None):
    form = RetraitForm(data, initial={"evaluation": evaluation.pk}, auto_id=f"id_retrait_{evaluation.pk}_%s")
    form.fields["motif"].label = _("Motif du retrait %(de_nom)s") % {
        "de_nom": de_personne(evaluation.jure.nom)
    }
    return form


def _jures(edition):
    return list(Jure.objects.filter(edition=edition, accepted_at__isnull=False).order_by("nom", "pk"))


@jury_view(president=True)
@require_safe
def affectations(request, annee):
    """Workloads per juror and every submitted dossier with its jurors."""
    edition, jury = request.edition, request.jury
    k = jury.jures_par_dossier
    candidatures = list(
        conflits.candidatures_a_evaluer(edition)
        .select_related("collectivite__departement")
        .order_by("collectivite__nom", "pk")
    )
    jures = _jures(edition)
    evaluations = (
        Evaluation.objects.filter(candidature__in=[c.pk for c in candidatures])
        .select_related("jure")
        .order_by("jure__nom", "pk")
    )
    par_dossier = defaultdict(list)
    charges, soumises = Counter(), Counter()
    for evaluation in evaluations:
        par_dossier[evaluation.candidature_id].append(evaluation)
        charges[evaluation.jure_id] += 1
        soumises[evaluation.jure_id] += evaluation.state == Evaluation.State.SOUMISE
    masques = rules.masques(request, candidatures)
    lignes = [
        {
            "candidature": c,
            "evaluations": par_dossier[c.pk],
            "nombre": len(par_dossier[c.pk]),
            "incomplet": len(par_dossier[c.pk]) < k,
            "masque": c.pk in masques,
        }
        for c in candidatures
    ]
    incomplets = sum(ligne["incomplet"] for ligne in lignes)
    filtre = FiltreForm(request.GET or None)
    seulement_incomplets = filtre.is_valid() and filtre.cleaned_data["dossiers"] == FiltreForm.INCOMPLETS
    if seulement_incomplets:
        lignes = [ligne for ligne in lignes if ligne["incomplet"]]
    charges_jures = [
        {"jure": jure, "charge": charges[jure.pk], "soumises": soumises[jure.pk]} for jure in jures
    ]
    valeurs = [ligne["charge"] for ligne in charges_jures]
    return render(
        request,
        "jury/affectations/liste.html",
        {
            "edition": edition,
            "jury": jury,
            "k": k,
            "lignes": lignes,
            "total": len(candidatures),
            "incomplets": incomplets,
            "seulement_incomplets": seulement_incomplets,
            "filtre": filtre,
            "charges": charges_jures,
            "ecart": max(valeurs) - min(valeurs) if valeurs else 0,
            "modifiable": jury.evaluations_ouvertes,
        },
    )


@jury_view(president=True)
@require_POST
def lancer(request, annee):
    """Run the automatic assignment; existing assignments and work are kept, except where a
    conflict of interest appeared (those go, scores included)."""
    try:
        bilan = affecter(request.edition, by=request.user)
    except AffectationRefusee as refus:
        messages.error(request, str(refus))
        return redirect("jury:affectations", annee)
    texte = ngettext(
        "Affectation automatique terminée : %(crees)s affectation créée.",
        "Affectation automatique terminée : %(crees)s affectations créées.",
        bilan.crees,
    ) % {"crees": bilan.crees}
    if bilan.retires:
        texte += " " + ngettext(
            "%(retires)s affectation retirée pour conflit d'intérêts.",
            "%(retires)s affectations retirées pour conflit d'intérêts.",
            bilan.retires,
        ) % {"retires": bilan.retires}
    messages.success(request, texte)
    for candidature, raison in bilan.manques[:MANQUES_AFFICHES]:
        messages.warning(
            request,
            _("Sans assez de jurés : %(nom)s. %(raison)s")
            % {"nom": candidature.collectivite.nom, "raison": raison},
        )
    reste = len(bilan.manques) - MANQUES_AFFICHES
    if reste > 0:
        messages.warning(
            request,
            ngettext(
                "Et %(reste)s autre dossier sans assez de jurés : voir le filtre « Sans assez de jurés ».",
                "Et %(reste)s autres dossiers sans assez de jurés : voir le filtre « Sans assez de jurés ».",
                reste,
            )
            % {"reste": reste},
        )
    return redirect("jury:affectations", annee)


@jury_view(president=True)
@require_http_methods(["GET", "POST"])
def dossier(request, annee, pk):
    """One dossier's jurors: remove one, or add one, with a reason."""
    edition, jury = request.edition, request.jury
    candidature = get_object_or_404(
        conflits.candidatures_a_evaluer(edition).select_related("collectivite__departement"), pk=pk
    )
    jures = _jures(edition)
    en_conflit = conflits.conflits(jures, [candidature])
    en_conflit = {
        j: raisons[candidature.pk] for j, raisons in en_conflit.items() if candidature.pk in raisons
    }
    if request.jure is not None and request.jure.pk in en_conflit:  # as rules.masques
        raise Http404
    evaluations = list(
        Evaluation.objects.filter(candidature=candidature).select_related("jure").order_by("jure__nom", "pk")
    )
    affectes = {e.jure_id for e in evaluations}
    disponibles = [j for j in jures if j.pk not in affectes]
    ajout_form = AjoutForm(jures=disponibles, en_conflit=en_conflit)
    retrait_bound = None  # {evaluation pk: the bound form} after an invalid removal

    if request.method == "POST":
        action = request.POST.get("action")
        if action == AJOUTER:
            deja = next((e for e in evaluations if str(e.jure_id) == request.POST.get("jure")), None)
            if deja is not None:  # a double submit
                messages.info(
                    request,
                    _("%(jure)s est déjà affecté(e) à ce dossier : rien n'a été changé.")
                    % {"jure": deja.jure.nom},
                )
                return redirect("jury:affectations_dossier", annee, pk)
            ajout_form = AjoutForm(request.POST, jures=disponibles, en_conflit=en_conflit)
            if ajout_form.is_valid():
                jure = next(j for j in disponibles if j.pk == ajout_form.cleaned_data["jure"])
                try:
                    ajouter(edition, jure, candidature, request.user, ajout_form.cleaned_data["motif"])
                except AffectationRefusee as refus:
                    if refus.champ is None:
                        messages.error(request, str(refus))
                        return redirect("jury:affectations_dossier", annee, pk)
                    ajout_form.add_error(refus.champ, str(refus))
                else:
                    messages.success(
                        request,
                        _("%(jure)s est affecté(e) au dossier « %(nom)s ».")
                        % {"jure": jure.nom, "nom": candidature.collectivite.nom},
                    )
                    return redirect("jury:affectations_dossier", annee, pk)
        elif action == RETIRER:
            evaluation = _evaluation_postee(request.POST, evaluations)
            if evaluation is None:
                messages.error(
                    request, _("Ce juré n'est déjà plus affecté à ce dossier : rien n'a été changé.")
                )
                return redirect("jury:affectations_dossier", annee, pk)
            retrait_form = _retrait_form(evaluation, request.POST)
            retrait_bound = {evaluation.pk: retrait_form}
            if retrait_form.is_valid():
                try:
                    retirer(evaluation, request.user, retrait_form.cleaned_data["motif"])
                except AffectationRefusee as refus:
                    if refus.champ is None:
                        messages.error(request, str(refus))
                        return redirect("jury:affectations_dossier", annee, pk)
                    retrait_form.add_error(refus.champ, str(refus))
                else:
                    messages.success(
                        request,
                        _("%(jure)s est retiré(e) du dossier « %(nom)s ».")
                        % {"jure": evaluation.jure.nom, "nom": candidature.collectivite.nom},
                    )
                    return redirect("jury:affectations_dossier", annee, pk)
        else:
            return redirect("jury:affectations_dossier", annee, pk)

    retrait_bound = retrait_bound or {}
    lignes = [{"evaluation": e, "form": retrait_bound.get(e.pk) or _retrait_form(e)} for e in evaluations]
    journal = AffectationJournal.objects.filter(candidature=candidature).select_related("jure", "by")
    return render(
        request,
        "jury/affectations/dossier.html",
        {
            "edition": edition,
            "jury": jury,
            "candidature": candidature,
            "collectivite": candidature.collectivite,
            "lignes": lignes,
            "k": jury.jures_par_dossier,
            "ajout_form": ajout_form,
            "disponibles": [j for j in disponibles if j.pk not in en_conflit],
            "en_conflit": [(j, en_conflit[j.pk]) for j in jures if j.pk in en_conflit],
            "journal": journal,
            "modifiable": jury.evaluations_ouvertes,
            "AJOUTER": AJOUTER,
            "RETIRER": RETIRER,
        },
    )


def _evaluation_postee(data, evaluations):
    valeur = data.get("evaluation", "")
    return next((e for e in evaluations if str(e.pk) == valeur), None)
