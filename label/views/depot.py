"""Renewing last year's dossier, reviewing, submitting, reopening and withdrawing a candidature."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.db import IntegrityError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods, require_POST, require_safe

from atlaas.rules import active_membership, membership_or_404
from atlaas.uploads import storage_failure
from label import receipts, submission
from label.dossier import edition_closed_reason
from label.models import Candidature, CandidatureTransition, Edition
from label.rules import candidature_or_404
from label.workflow import TransitionError, set_candidature_state
from label.workflow import deposer as deposer_candidature

State = Candidature.State


def candidature_and_membership(user, pk):
    """The candidature and the user's active membership of its collectivité; 404 for anyone
    else, so that another collectivité's dossier never reveals that it exists."""
    candidature = candidature_or_404(user, pk)
    return candidature, active_membership(user, candidature.collectivite)


def refused(request, message, candidature=None):
    """A member of the collectivité without the right role: a French explanation, status 403."""
    return render(
        request, "label/depot/refus.html", {"message": message, "candidature": candidature}, status=403
    )


@login_required
def verification(request, pk):
    candidature, membership = candidature_and_membership(request.user, pk)
    refusal = edition_closed_reason(candidature.edition)
    missing = submission.missing_items(candidature) if candidature.state == State.BROUILLON else []
    return render(
        request,
        "label/depot/verification.html",
        {
            "candidature": candidature,
            "membership": membership,
            "missing": missing,
            "refusal": refusal,
            "deposit": submission.last_submission(candidature)
            if candidature.state == State.DEPOSEE
            else None,
            "can_submit": candidature.state == State.BROUILLON and not missing and refusal is None,
            "can_reopen": membership.is_referent and candidature.state != State.BROUILLON and refusal is None,
            "can_withdraw": membership.is_referent and candidature.state != State.RETIREE and refusal is None,
        },
    )


@login_required
@require_safe
def accuse_reception(request, pk):
    """The PDF summary of the deposited dossier, the one its receipt e-mail carries: for the
    collectivité's members (label.rules), while the candidature is deposited."""
    candidature = candidature_or_404(request.user, pk)
    if candidature.state != State.DEPOSEE:
        raise Http404
    response = HttpResponse(receipts.render_receipt_pdf(candidature), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{receipts.receipt_filename(candidature)}"'
    patch_cache_control(response, private=True, no_store=True)
    return response


@login_required
@require_POST
def deposer(request, pk):
    """Any active member may submit a complete dossier while the edition is open; a second
    click (or a second member at the same moment) finds it already submitted."""
    candidature, _membership = candidature_and_membership(request.user, pk)
    back = redirect("label:verification", pk=candidature.pk)
    already = _("Cette candidature est déjà déposée : elle ne l'a été qu'une fois.")
    if candidature.state == State.DEPOSEE:
        messages.info(request, already)
        return back
    refusal = edition_closed_reason(candidature.edition)
    if refusal:
        messages.error(request, refusal)
        return back
    if candidature.state == State.RETIREE:
        messages.error(request, _("Cette candidature est retirée : un référent doit d'abord la rouvrir."))
        return back
    try:
        receipts = deposer_candidature(candidature, request.user)
    except TransitionError as error:
        candidature.refresh_from_db(fields=["state"])
        if candidature.state == State.DEPOSEE:
            messages.info(request, already)
        else:
            messages.error(request, str(error))
        return back
    # The receipts promised are the e-mails written with the submission.
    messages.success(
        request,
        ngettext(
            "Candidature déposée. Un accusé de réception part par e-mail au membre de la collectivité.",
            "Candidature déposée. Un accusé de réception part par e-mail à chacun des %(count)d membres "
            "de la collectivité.",
            receipts,
        )
        % {"count": receipts}
        if receipts
        else _("Candidature déposée."),
    )
    return back


ACTIONS = {
    "rouvrir": {
        "to": State.BROUILLON,
        "from": {State.DEPOSEE, State.RETIREE},
        "title": gettext_lazy("Rouvrir la candidature"),
        "explanation": gettext_lazy(
            "La candidature redevient un brouillon : les membres de la collectivité pourront la "
            "modifier, puis devront la déposer à nouveau avant la clôture."
        ),
        "button": gettext_lazy("Rouvrir la candidature"),
        "done": gettext_lazy("La candidature est rouverte : elle est de nouveau modifiable."),
        "role": gettext_lazy("Seul un référent de la collectivité peut rouvrir la candidature."),
        "state": gettext_lazy("Seule une candidature déposée ou retirée peut être rouverte."),
    },
    "retirer": {
        "to": State.RETIREE,
        "from": {State.BROUILLON, State.DEPOSEE},
        "title": gettext_lazy("Retirer la candidature"),
        "explanation": gettext_lazy(
            "La collectivité ne participera plus à cette édition du label. Un référent pourra "
            "rouvrir la candidature jusqu'à la clôture."
        ),
        "button": gettext_lazy("Retirer la candidature"),
        "done": gettext_lazy("La candidature est retirée."),
        "role": gettext_lazy("Seul un référent de la collectivité peut retirer la candidature."),
        "state": gettext_lazy("Cette candidature est déjà retirée."),
    },
}


def _confirm_and_move(request, pk, action):
    """GET: a confirmation page; POST: the state change, through the workflow. Référents only."""
    texts = ACTIONS[action]
    candidature, membership = candidature_and_membership(request.user, pk)
    if not membership.is_referent:
        return refused(request, texts["role"], candidature)
    refusal = edition_closed_reason(candidature.edition)
    if refusal is None and candidature.state not in texts["from"]:
        refusal = texts["state"]
    if request.method == "POST":
        if refusal is None:
            try:
                set_candidature_state(candidature, texts["to"], request.user)
            except TransitionError as error:
                refusal = str(error)
        if refusal:
            messages.error(request, refusal)
        else:
            messages.success(request, texts["done"])
        return redirect("label:verification", pk=candidature.pk)
    return render(
        request,
        "label/depot/confirmation.html",
        {"candidature": candidature, "texts": texts, "action": action, "refusal": refusal},
    )


@login_required
@require_http_methods(["GET", "POST"])
def rouvrir(request, pk):
    return _confirm_and_move(request, pk, "rouvrir")


@login_required
@require_http_methods(["GET", "POST"])
def retirer(request, pk):
    return _confirm_and_move(request, pk, "retirer")


@login_required
def historique(request, pk):
    candidature, _membership = candidature_and_membership(request.user, pk)
    transitions = CandidatureTransition.objects.filter(candidature=candidature).select_related("by")
    return render(
        request, "label/depot/historique.html", {"candidature": candidature, "transitions": transitions}
    )


@login_required
def reprise(request, pk):
    """What a renewed candidature brings along and what changed since last year."""
    candidature, _membership = candidature_and_membership(request.user, pk)
    summary = submission.renewal_summary(candidature)
    if summary is None:
        raise Http404
    return render(request, "label/depot/reprise.html", {"candidature": candidature, **summary})


@login_required
@require_http_methods(["GET", "POST"])
def reprendre(request, code):
    """A référent starts this year's candidature from last year's (GET: what will happen)."""
    membership = membership_or_404(request.user, code)
    collectivite = membership.collectivite
    if not membership.is_referent:
        return refused(request, _("Seul un référent de la collectivité peut reprendre le dossier précédent."))
    edition = Edition.objects.ouverte()
    refusal = edition_closed_reason(edition)
    existing = (
        Candidature.objects.filter(edition=edition, collectivite=collectivite).first() if edition else None
    )
    previous = submission.previous_candidature(collectivite, edition) if edition else None
    if refusal is None and existing is None and previous is None:
        refusal = _("La collectivité n'a pas de candidature à l'édition précédente.")
    if request.method == "POST":
        if existing is not None:
            messages.info(request, _("La collectivité a déjà une candidature à cette édition."))
            return redirect("label:verification", pk=existing.pk)
        if refusal:
            messages.error(request, refusal)
            return redirect("label:reprendre", code=collectivite.code)
        try:
            candidature = submission.renew(previous, edition, request.user)
        except IntegrityError:  # a colleague started it a moment ago
            existing = Candidature.objects.get(edition=edition, collectivite=collectivite)
            messages.info(request, _("La collectivité a déjà une candidature à cette édition."))
            return redirect("label:verification", pk=existing.pk)
        except OSError as error:  # its files could not be copied: nothing was kept
            messages.error(
                request,
                _(
                    "La candidature n'a pas pu être reprise : les fichiers du dossier précédent "
                    "n'ont pas pu être copiés, %(reason)s. Réessayez plus tard ou prévenez "
                    "l'équipe de Villes Internet."
                )
                % {"reason": storage_failure(error)},
            )
            return redirect("label:reprendre", code=collectivite.code)
        messages.success(
            request,
            _("La candidature au %(edition)s reprend celle au %(previous)s.")
            % {"edition": edition, "previous": previous.edition},
        )
        return redirect("label:reprise", pk=candidature.pk)
    return render(
        request,
        "label/depot/reprendre.html",
        {
            "collectivite": collectivite,
            "edition": edition,
            "previous": previous,
            "existing": existing,
            "refusal": refusal,
        },
    )
