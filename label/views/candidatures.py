"""Building a candidature: questionnaire, fiches, attachments, mosaïque des enjeux, autosave.

Every write checks that the candidature can still change (a draft of an open edition) at the
moment it arrives, whenever the page was opened; concurrent edits go through the optimistic
lock of ``label.dossier``.
"""

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import time_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from atlaas.rules import membership_or_404
from atlaas.uploads import NOT_STORED, file_response, not_stored_message

from .. import selectors
from ..dossier import (
    Conflict,
    NotEditable,
    answer_differences,
    closed_reason,
    edition_closed_reason,
    save_answers,
    save_fiches,
    selection_differences,
    start_candidature,
)
from ..dossier import add_piece as add_piece_to_dossier
from ..dossier import delete_piece as delete_piece_from_dossier
from ..forms import FichesForm, PieceForm, QuestionnaireForm
from ..models import Candidature, Edition, PieceJointe
from ..rules import candidature_or_404

CLOSED = 403
CONFLICT = 409


def _dossier_context(candidature, step, **extra):
    return {
        "candidature": candidature,
        "step": step,
        "progress": selectors.progress(candidature),
        "closed_reason": closed_reason(candidature),
        **extra,
    }


def _version_from(request, form):
    """The version a save is made from: the page's, or the newer one the user chose to
    overwrite after a conflict (« Garder ma version »)."""
    forced = request.POST.get("ecraser", "")
    if forced.isdigit():
        return int(forced)
    return form.cleaned_data.get("version")


# --- Start ---------------------------------------------------------------------------------


@login_required
def demarrer(request, code):
    """Explain, then let a référent start the collectivité's candidature for the open edition."""
    membership = membership_or_404(request.user, code)
    collectivite = membership.collectivite
    edition = Edition.objects.ouverte()
    if edition is not None:
        existing = Candidature.objects.filter(edition=edition, collectivite=collectivite).first()
        if existing is not None:
            return redirect("label:candidature", existing.pk)
    reason = edition_closed_reason(edition)
    status = 200
    if request.method == "POST":
        if not membership.is_referent:
            raise PermissionDenied
        try:
            candidature, created = start_candidature(edition, collectivite, request.user)
        except NotEditable as refusal:
            reason, status = str(refusal), CLOSED
        else:
            if created:
                messages.success(
                    request, _("La candidature est créée : toutes vos fiches éligibles y sont retenues.")
                )
            return redirect("label:candidature", candidature.pk)
    context = {
        "collectivite": collectivite,
        "membership": membership,
        "is_referent": membership.is_referent,
        "edition": edition,
        "type": edition.type_for(collectivite) if edition else None,
        "eligible_count": (
            selectors.eligible_fiches(collectivite, edition.closing_date()).count() if edition else 0
        ),
        "reason": reason,
    }
    return render(request, "label/candidature/demarrer.html", context, status=status)


# --- Dossier ---------------------------------------------------------------------------------


@login_required
def candidature(request, pk):
    candidature = candidature_or_404(request.user, pk)
    mosaique = selectors.mosaique(candidature, suggestions=False)
    return render(
        request,
        "label/candidature/dossier.html",
        _dossier_context(candidature, "dossier", mosaique=mosaique),
    )


# --- Questionnaire ---------------------------------------------------------------------------


def _questionnaire_form(candidature, sections, data=None, files=None, include_files=True):
    current_files = {piece.question_id: piece for piece in candidature.pieces.filter(question__isnull=False)}
    return QuestionnaireForm(
        data,
        files,
        sections=sections,
        answers=selectors.answers_of(candidature),
        version=candidature.version,
        include_files=include_files,
        current_files=current_files,
        candidature=candidature,
        used_bytes=selectors.dossier_bytes(candidature) if data is not None else 0,
    )


def _conflict_context(conflict, sections):
    questions = [question for section in sections for question in section.questions.all()]
    return {"conflict": conflict, "differences": answer_differences(conflict, questions)}


def _show_version(form, version):
    """After a partial save, the form on the page must carry the new version."""
    form.data = form.data.copy()
    form.data["version"] = version


@login_required
def questionnaire(request, pk):
    candidature = candidature_or_404(request.user, pk)
    sections = selectors.sections_for(candidature)
    status, extra = 200, {}
    if request.method != "POST":
        form = _questionnaire_form(candidature, sections)
    else:
        form = _questionnaire_form(candidature, sections, request.POST, request.FILES)
        if closed_reason(candidature):
            status = CLOSED
        else:
            form.is_valid()
            version = _version_from(request, form)
            if version is None:
                status = CONFLICT
                extra["stale"] = True
            else:
                try:
                    result = save_answers(
                        candidature, version, form.answers(), request.user, files=form.uploads()
                    )
                except NotEditable:
                    status = CLOSED
                except OSError as error:  # nothing was written: every file sent must come again
                    status = NOT_STORED
                    message = not_stored_message(error)
                    for name in form.file_field_names():
                        if isinstance(form.cleaned_data.get(name), tuple):
                            form.add_error(name, message)
                else:
                    if isinstance(result, Conflict):
                        status = CONFLICT
                        extra.update(_conflict_context(result, sections))
                    elif form.errors:
                        _show_version(form, result.version)
                        extra["saved_at"] = result.at
                    else:
                        messages.success(
                            request,
                            _("Brouillon enregistré à %(time)s.")
                            % {"time": time_format(timezone.localtime(result.at), "H:i")},
                        )
                        return redirect("label:questionnaire", candidature.pk)
    context = _dossier_context(candidature, "questionnaire", form=form, **extra)
    return render(request, "label/candidature/questionnaire.html", context, status=status)


@login_required
@require_POST
def autosave(request, pk):
    """The questionnaire posts itself here as the member types (htmx); the answer is a small
    status fragment, the new version (out of band) or the conflict with both versions."""
    candidature = candidature_or_404(request.user, pk)
    context = {"candidature": candidature}
    reason = closed_reason(candidature)
    if reason:
        context["reason"] = reason
        return render(request, "label/candidature/_autosave.html", context)
    sections = selectors.sections_for(candidature)
    form = _questionnaire_form(candidature, sections, request.POST, include_files=False)
    form.is_valid()
    version = form.cleaned_data.get("version")
    if version is None:
        context["stale"] = True
        return render(request, "label/candidature/_autosave.html", context)
    try:
        result = save_answers(candidature, version, form.answers(), request.user)
    except NotEditable as refusal:
        context["reason"] = str(refusal)
        return render(request, "label/candidature/_autosave.html", context)
    if isinstance(result, Conflict):
        context.update(_conflict_context(result, sections))
    else:
        context["saved"] = result
        context["invalid"] = [form[name] for name in form.errors if name in form.fields]
    return render(request, "label/candidature/_autosave.html", context)


# --- Fiches ----------------------------------------------------------------------------------


@login_required
def fiches(request, pk):
    candidature = candidature_or_404(request.user, pk)
    closing = candidature.edition.closing_date()
    all_fiches = selectors.fiches_of(candidature)
    rows = [(fiche, fiche.ineligibility_reason(closing)) for fiche in all_fiches]
    eligible = [fiche for fiche, reason in rows if reason is None]
    selected = selectors.selected_ids(candidature)
    status, extra = 200, {}
    form = FichesForm(initial={"version": candidature.version}, eligible=eligible)
    if request.method == "POST":
        form = FichesForm(request.POST, eligible=eligible)
        if closed_reason(candidature):
            status = CLOSED
            extra["reason"] = closed_reason(candidature)
        elif form.is_valid():
            chosen = set(form.cleaned_data["fiches"])
            try:
                result = save_fiches(candidature, _version_from(request, form), chosen, request.user)
            except NotEditable as refusal:
                status, extra["reason"] = CLOSED, str(refusal)
            else:
                if isinstance(result, Conflict):
                    status = CONFLICT
                    theirs_only, mine_only = selection_differences(result, all_fiches)
                    extra.update(conflict=result, theirs_only=theirs_only, mine_only=mine_only)
                    selected = chosen
                else:
                    if not request.htmx:
                        messages.success(request, _("Sélection des fiches enregistrée."))
                        return redirect("label:fiches_candidature", candidature.pk)
                    extra["saved"] = result
                    selected = chosen
        else:
            status = CONFLICT if "version" in form.errors else 400
            selected = {int(value) for value in request.POST.getlist("fiches") if value.isdigit()}
        if request.htmx:
            mosaique = selectors.mosaique(candidature, suggestions=False)
            context = {"candidature": candidature, "mosaique": mosaique, "form": form, **extra}
            return render(request, "label/candidature/_fiches_statut.html", context)
    context = _dossier_context(
        candidature,
        "fiches",
        form=form,
        rows=rows,
        selected=selected,
        mosaique=selectors.mosaique(candidature, suggestions=False),
        **extra,
    )
    return render(request, "label/candidature/fiches.html", context, status=status)


# --- Attachments -----------------------------------------------------------------------------


def _pieces_page(request, candidature, form, status=200, reason=None):
    pieces = list(candidature.pieces.select_related("question", "added_by"))
    context = _dossier_context(
        candidature,
        "pieces",
        form=form,
        pieces=pieces,
        used=sum(piece.taille for piece in pieces),
        max_dossier=settings.UPLOAD_MAX_DOSSIER_BYTES,
        reason=reason,
    )
    return render(request, "label/candidature/pieces.html", context, status=status)


@login_required
def pieces(request, pk):
    candidature = candidature_or_404(request.user, pk)
    if request.method != "POST":
        return _pieces_page(request, candidature, PieceForm())
    reason = closed_reason(candidature)
    form = PieceForm(request.POST, request.FILES, used_bytes=selectors.dossier_bytes(candidature))
    if reason:
        return _pieces_page(request, candidature, form, CLOSED, reason)
    if not form.is_valid():
        return _pieces_page(request, candidature, form, 400)
    content_type, extension = form.checked
    try:
        piece = add_piece_to_dossier(
            candidature,
            form.cleaned_data["fichier"],
            content_type,
            extension,
            request.user,
            description=form.cleaned_data["description"],
        )
    except NotEditable as refusal:
        return _pieces_page(request, candidature, form, CLOSED, str(refusal))
    except OSError as error:  # a full disk, a folder that refuses writes: nothing was kept
        form.add_error("fichier", not_stored_message(error))
        return _pieces_page(request, candidature, form, NOT_STORED)
    messages.success(request, _("« %(nom)s » est ajouté au dossier.") % {"nom": piece.nom})
    return redirect("label:pieces", candidature.pk)


def piece(request, pk, piece_id):
    """Download an attachment: members of the collectivité only, never from a public URL."""
    candidature = candidature_or_404(request.user, pk)
    return file_response(get_object_or_404(PieceJointe, pk=piece_id, candidature=candidature))


@login_required
@require_POST
def piece_supprimer(request, pk, piece_id):
    candidature = candidature_or_404(request.user, pk)
    piece = get_object_or_404(PieceJointe, pk=piece_id, candidature=candidature)
    try:
        delete_piece_from_dossier(candidature, piece, request.user)
    except NotEditable as refusal:
        return _pieces_page(request, candidature, PieceForm(), CLOSED, str(refusal))
    messages.success(request, _("« %(nom)s » est retiré du dossier.") % {"nom": piece.nom})
    return redirect("label:pieces", candidature.pk)


# --- Mosaïque --------------------------------------------------------------------------------


@login_required
def mosaique(request, pk):
    candidature = candidature_or_404(request.user, pk)
    context = _dossier_context(candidature, "mosaique", mosaique=selectors.mosaique(candidature))
    return render(request, "label/candidature/mosaique.html", context)
