"""The jury's entry pages: the editions a user sits on, and a juror's dashboard of dossiers."""

from django.contrib.auth.decorators import login_required
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render

from label.models import Edition

from .. import evaluation as domaine
from .. import grille
from ..forms import FiltresForm
from ..models import Evaluation
from ..rules import jury_view, peut_piloter


@login_required
def accueil(request):
    """One edition: its dashboard; several: the list; none: 404."""
    if request.user.is_staff:
        editions = Edition.objects.filter(Q(jury__isnull=False) | Q(jures__isnull=False))
    else:
        editions = Edition.objects.filter(jures__user=request.user, jures__accepted_at__isnull=False)
    editions = list(editions.distinct().order_by("-annee"))
    if not editions:
        raise Http404
    if len(editions) == 1:
        return redirect("jury:dashboard", annee=editions[0].annee)
    return render(request, "jury/tableau_editions.html", {"editions": editions})


def _filtrer(evaluations, valeurs):
    if "type" in valeurs:
        evaluations = [e for e in evaluations if e.candidature.type == valeurs["type"]]
    if "region" in valeurs:
        evaluations = [
            e
            for e in evaluations
            if e.candidature.collectivite.region
            and e.candidature.collectivite.region.code == valeurs["region"]
        ]
    if "etat" in valeurs:
        evaluations = [e for e in evaluations if e.state == valeurs["etat"]]
    return evaluations


@jury_view()
def dashboard(request, annee):
    jure = request.jure
    context = {
        "edition": request.edition,
        "jury": request.jury,
        "jure": jure,
        "peut_piloter": peut_piloter(request.user, jure),
    }
    if jure is None:  # staff who do not sit on this jury
        return render(request, "jury/tableau.html", context)
    evaluations, en_conflit = domaine.a_evaluer(jure)
    regions = sorted(
        {e.candidature.collectivite.region for e in evaluations if e.candidature.collectivite.region},
        key=lambda region: region.nom,
    )
    filtres = FiltresForm(request.GET or None, regions=regions)
    valeurs = filtres.valeurs()
    par_etat = dict.fromkeys(Evaluation.State.values, 0)
    for evaluation in evaluations:
        par_etat[evaluation.state] += 1
    context.update(
        filtres=filtres,
        filtre_actif=bool(valeurs),
        dossiers=_filtrer(evaluations, valeurs),
        total=len(evaluations),
        a_faire=par_etat[Evaluation.State.A_FAIRE],
        commencees=par_etat[Evaluation.State.BROUILLON],
        soumises=par_etat[Evaluation.State.SOUMISE],
        en_conflit=en_conflit,
        nb_criteres=len(grille.criteres(request.edition)),
    )
    return render(request, "jury/tableau.html", context)
