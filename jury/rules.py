"""Who may open which jury page.

Every jury page needs a signed-in juror of that edition (or staff) whose account has a TOTP
authenticator: without one, the page sends them to activate it first. A dossier opens only for
a juror assigned to it and not in conflict with it; everyone else gets 404, as for a dossier
that does not exist. The steering and deliberation pages are the president's and staff's.
"""

from functools import wraps

from allauth.mfa.models import Authenticator
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect

from label.models import Edition

from . import conflits
from .models import Evaluation, Jure, Jury


def mfa_active(user):
    return Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists()


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
            request.jury, _ = Jury.objects.get_or_create(edition=edition)
            request.jury.edition = edition
            request.jure = jure
            return view(request, annee, *args, **kwargs)

        return wrapper

    return decorator


def evaluation_or_404(jure, candidature_pk):
    """The juror's evaluation of the dossier: 404 unless assigned and not in conflict."""
    if jure is None:
        raise Http404
    evaluation = (
        Evaluation.objects.select_related("candidature__collectivite", "candidature__edition", "jure")
        .filter(jure=jure, candidature_id=candidature_pk, candidature__edition_id=jure.edition_id)
        .first()
    )
    if evaluation is None or conflits.raison(jure, evaluation.candidature):
        raise Http404
    return evaluation
