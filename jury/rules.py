"""Who may open which jury page.

Every jury page needs a signed-in juror of that edition (or staff) whose account has a TOTP
authenticator: without one, the page sends them to activate it first. A dossier opens only for
a juror assigned to it and not in conflict with it; everyone else gets 404, as for a dossier
that does not exist. The steering and deliberation pages are the president's and staff's.
"""

from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext as _

from accounts.rules import mfa_active
from label.models import Candidature, Edition

from . import conflits
from .models import Evaluation, Jure, Jury


def jure_de(user, edition):
    """The user's accepted juror seat in the edition, or None."""
    if not user.is_authenticated:
        return None
    return Jure.objects.filter(edition=edition, user=user, accepted_at__isnull=False).first()


def peut_piloter(user, jure):
    """The steering and deliberation pages: the jury president and staff."""
    return user.is_staff or bool(jure and jure.president)


def jury_view(president=False):
    """Decorate a view taking ``annee``: sets ``request.edition``, ``request.jury`` (created with
    its defaults on first use) and ``request.jure`` (None for staff who are not jurors)."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, annee, *args, **kwargs):
            if not request.user.is_authenticated:
                if request.htmx:  # an autosave after the session expired: say so where it shows
                    return HttpResponse(
                        _(
                            "Votre session a expiré : rien n'est enregistré. Reconnectez-vous dans "
                            "un autre onglet, puis revenez ici."
                        )
                    )
                return redirect_to_login(request.get_full_path())
            edition = get_object_or_404(Edition, annee=annee)
            jure = jure_de(request.user, edition)
            if jure is None and not request.user.is_staff:
                raise Http404
            if president and not peut_piloter(request.user, jure):
                raise Http404
            if not mfa_active(request.user):
                return redirect("jury:mfa_requise")
            request.edition = edition
            request.jury = Jury.objects.get_or_create(edition=edition)[0]
            request.jury.edition = edition
            request.jure = jure
            return view(request, annee, *args, **kwargs)

        return wrapper

    return decorator


def masques(request, candidatures):
    """{candidature id: reason} of the dossiers whose scores the viewer may not see: those their
    own juror seat is in conflict with (a staff member who sits on the jury included). Staff who
    are not jurors see everything. One rule for the steering, assignment and deliberation pages."""
    if request.jure is None:
        return {}
    return conflits.conflits([request.jure], candidatures)[request.jure.pk]


BIGINT_MAX = 2**63 - 1


def evaluation_or_404(jure, candidature_pk):
    """The juror's evaluation of the dossier: 404 unless assigned, not in conflict, and the
    dossier still submitted (a dossier reopened by its collectivité is out of the jury's hands)."""
    if jure is None or candidature_pk > BIGINT_MAX:
        raise Http404
    evaluation = (
        Evaluation.objects.select_related("candidature__collectivite", "candidature__edition", "jure")
        .filter(
            jure=jure,
            candidature_id=candidature_pk,
            candidature__edition_id=jure.edition_id,
            candidature__state=Candidature.State.DEPOSEE,
        )
        .first()
    )
    if evaluation is None or conflits.raison(jure, evaluation.candidature):
        raise Http404
    return evaluation
