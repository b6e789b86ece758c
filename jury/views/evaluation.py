"""A juror evaluates a dossier: the dossier beside the form, autosave, submit, reopen, files.

The page lists the dossier's fiches in short (title, dates, services, the start of the text);
each fiche's full text is on a page of its own, so that a dossier of 30 long fiches stays light.

Every page goes through ``evaluation_or_404``: a dossier the juror is not assigned to, or is in
conflict with, answers 404 as if it did not exist.
"""

from django.contrib import messages
from django.db import transaction
from django.db.models import Prefetch
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST, require_safe

from atlaas.models import Service
from atlaas.uploads import file_response
from label import selectors
from label.models import Mention, PieceJointe
from label.receipts import receipt_context

from .. import evaluation as domaine
from .. import grille
from ..forms import EvaluationForm
from ..models import Evaluation, Note
from ..rules import evaluation_or_404, jury_view

State = Evaluation.State
CONFLICT = 409
REFUSED = 403


def _form(request, evaluation, criteres, data=None):
    notes = {note.critere_id: note for note in evaluation.notes.all()}
    return EvaluationForm(
        data,
        evaluation=evaluation,
        criteres=criteres,
        mentions=Mention.objects.filter(edition=request.edition),
        notes=notes,
    )


def _version_from(request, form):
    """The page's version, or the newer one the juror chose to overwrite after a conflict."""
    forced = request.POST.get("ecraser", "")
    if forced.isdigit():
        return int(forced)
    return form.cleaned_data.get("version")


def _autres(evaluation, criteres):
    """The other jurors' submitted evaluations of the dossier, and one row per criterion with
    their scores: for a juror who submitted theirs, when the jury's settings allow it."""
    autres = list(
        Evaluation.objects.filter(candidature_id=evaluation.candidature_id, state=State.SOUMISE)
        .exclude(pk=evaluation.pk)
        .select_related("jure")
        .prefetch_related(
            Prefetch(
                "notes", queryset=Note.objects.select_related("critere").order_by("critere__ordre", "pk")
            ),
            "mentions_proposees",
        )
        .order_by("jure__nom", "pk")
    )
    scores = {(note.evaluation_id, note.critere_id): note for e in autres for note in e.notes.all()}
    lignes = [(critere, [scores.get((e.pk, critere.pk)) for e in autres]) for critere in criteres]
    return {"autres": autres, "lignes_autres": lignes}


def _page(request, evaluation, form=None, status=200, **extra):
    candidature = evaluation.candidature
    criteres = grille.criteres(request.edition)
    if form is None:
        form = _form(request, evaluation, criteres)
    fermee = domaine.raison_fermee(evaluation, request.jury)
    soumise = evaluation.state == State.SOUMISE
    dossier = receipt_context(candidature)
    mosaique = selectors.mosaique(candidature, suggestions=False)
    context = {
        "evaluation": evaluation,
        "candidature": candidature,
        "edition": request.edition,
        "form": form,
        "fermee": fermee,
        # A bound form refused on the way in stays editable, so that nothing typed is lost.
        "lecture": fermee is not None and not form.is_bound,
        "soumise": soumise,
        "peut_rouvrir": soumise and request.jury.evaluations_ouvertes,
        "sections": dossier["sections"],
        "fiches": dossier["fiches"],
        "pieces": dossier["pieces"],
        "mosaique": mosaique,
        "criteres": criteres,
        **extra,
    }
    if soumise or fermee:
        notes = {note.critere_id: note for note in evaluation.notes.all()}
        context["mes_notes"] = [(critere, notes.get(critere.pk)) for critere in criteres]
    if soumise and request.jury.notes_visibles_apres_soumission:
        context.update(_autres(evaluation, criteres))
    return render(request, "jury/evaluation/evaluer.html", context, status=status)


def _saved_message(request, result):
    messages.success(
        request,
        _("Brouillon enregistré à %(time)s.") % {"time": time_format(timezone.localtime(result.at), "H:i")},
    )


@jury_view()
def suivant(request, annee):
    """The oldest unfinished dossier of the juror, or the dashboard when all are scored."""
    if request.jure is None:  # staff who do not sit on this jury have no dossier
        raise Http404
    evaluation = domaine.suivante(request.jure)
    if evaluation is None:
        messages.info(request, _("Tout est noté : vous avez soumis l'évaluation de tous vos dossiers."))
        return redirect("jury:dashboard", annee=annee)
    return redirect("jury:evaluer", annee=annee, pk=evaluation.candidature_id)


@jury_view()
def evaluer(request, annee, pk):
    evaluation = evaluation_or_404(request.jure, pk)
    if request.method != "POST":
        return _page(request, evaluation)
    criteres = grille.criteres(request.edition)
    form = _form(request, evaluation, criteres, request.POST)
    if not form.is_valid():
        return _page(request, evaluation, form, status=400)
    try:
        result = domaine.enregistrer(evaluation, form.donnees(), _version_from(request, form), request.user)
    except domaine.Refus as refus:
        return _page(request, evaluation, form, status=REFUSED, refus=str(refus))
    if not result.ok:
        return _page(request, evaluation, form, status=CONFLICT, conflit=result)
    _saved_message(request, result)
    return redirect("jury:evaluer", annee=annee, pk=pk)


@jury_view()
@require_POST
def autosave(request, annee, pk):
    """The form posts itself here as the juror types (htmx): a small status fragment, and the
    new version out of band. Nothing is saved while a field is invalid."""
    evaluation = evaluation_or_404(request.jure, pk)
    context = {"evaluation": evaluation}
    template = "jury/evaluation/_autosave.html"
    reason = domaine.raison_fermee(evaluation, request.jury)
    if reason:
        return render(request, template, {**context, "reason": reason})
    form = _form(request, evaluation, grille.criteres(request.edition), request.POST)
    if not form.is_valid():
        if "version" in form.errors:
            return render(request, template, {**context, "stale": True})
        return render(request, template, {**context, "invalid": form.erreurs()})
    try:
        result = domaine.enregistrer(evaluation, form.donnees(), form.cleaned_data["version"], request.user)
    except domaine.Refus as refus:
        return render(request, template, {**context, "reason": str(refus)})
    if not result.ok:
        return render(request, template, {**context, "conflit": result})
    return render(request, template, {**context, "saved": result})


@jury_view()
@require_POST
def soumettre(request, annee, pk):
    """Save what the form holds (the page's « Soumettre » button sends it all), then submit.
    The row lock makes a double click wait for the first one, which it then finds submitted."""
    evaluation = evaluation_or_404(request.jure, pk)
    back = redirect("jury:evaluer", annee=annee, pk=pk)
    criteres = grille.criteres(request.edition)
    deja = str(domaine.DejaSoumise())
    with transaction.atomic():
        Evaluation.objects.select_for_update().filter(pk=evaluation.pk).first()
        evaluation.refresh_from_db()
        if evaluation.state == State.SOUMISE:
            messages.info(request, deja)
            return back
        if "version" in request.POST:
            form = _form(request, evaluation, criteres, request.POST)
            if not form.is_valid():
                return _page(request, evaluation, form, status=400)
            try:
                result = domaine.enregistrer(
                    evaluation, form.donnees(), _version_from(request, form), request.user
                )
            except domaine.Refus as refus:
                return _page(request, evaluation, form, status=REFUSED, refus=str(refus))
            if not result.ok:
                return _page(request, evaluation, form, status=CONFLICT, conflit=result)
        try:
            with transaction.atomic():  # a refusal keeps the draft just saved
                domaine.soumettre(evaluation, request.user)
        except domaine.DejaSoumise:
            messages.info(request, deja)
            return back
        except domaine.Refus as refus:
            messages.error(request, str(refus))
            return back
    messages.success(
        request,
        _("Évaluation soumise. Vous pouvez la rouvrir jusqu'à l'ouverture de la délibération."),
    )
    return back


@jury_view()
@require_POST
def rouvrir(request, annee, pk):
    evaluation = evaluation_or_404(request.jure, pk)
    try:
        domaine.rouvrir(evaluation, request.user)
    except domaine.Refus as refus:
        messages.error(request, str(refus))
    else:
        messages.success(
            request, _("Évaluation rouverte : elle redevient un brouillon à soumettre à nouveau.")
        )
        if evaluation.rouverte_apres_consultation:
            messages.info(
                request,
                _(
                    "La présidence du jury verra que vous avez rouvert votre évaluation après avoir "
                    "pu lire celles des autres jurés."
                ),
            )
    return redirect("jury:evaluer", annee=annee, pk=pk)


@jury_view()
def piece(request, annee, pk, piece_id):
    """An attachment of the dossier, downloaded (never shown inline)."""
    evaluation = evaluation_or_404(request.jure, pk)
    return file_response(
        get_object_or_404(PieceJointe, pk=piece_id, candidature_id=evaluation.candidature_id)
    )


@require_safe
@jury_view()
def fiche(request, annee, pk, fiche_id):
    """A fiche of the dossier in full: the text the evaluation page only begins. A fiche the
    dossier did not select answers 404, as does any fiche of a dossier the juror may not open."""
    evaluation = evaluation_or_404(request.jure, pk)
    candidature = evaluation.candidature
    services = Service.objects.select_related("enjeu").order_by("nom")
    fiche = get_object_or_404(
        candidature.fiches.prefetch_related(Prefetch("services", queryset=services)), pk=fiche_id
    )
    fiche.reason = fiche.ineligibility_reason(request.edition.closing_date())
    return render(
        request,
        "jury/evaluation/fiche.html",
        {"edition": request.edition, "candidature": candidature, "fiche": fiche},
    )
