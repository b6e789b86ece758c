"""Who must have a second factor: staff on the admin and on every staff page, jurors on the
jury's pages (jury.rules). The second factor is a TOTP authenticator: allauth asks for its code
at every login of an account that has one, so the account having one is the rule checked here.
"""

from functools import wraps

from allauth.mfa.models import Authenticator
from allauth.mfa.utils import is_mfa_enabled
from django.contrib import messages
from django.http import Http404
from django.shortcuts import redirect
from django.utils.translation import gettext_lazy as _

# Where a user sent to activate their authenticator was going; the recovery codes page shown
# after the activation links back to it (templates/allauth/layouts/manage.html).
SUITE = "mfa_suite"

POURQUOI_STAFF = _(
    "Votre compte d'équipe ouvre l'administration, tous les dossiers et toutes les données "
    "personnelles du portail : il doit être protégé par la double authentification. Activez-la "
    "avec une application d'authentification, puis suivez le lien « Revenir à la page "
    "demandée »."
)


def mfa_active(user):
    """The user has a TOTP authenticator (no query for an anonymous one)."""
    return is_mfa_enabled(user, [Authenticator.Type.TOTP])


def exiger_mfa(request, pourquoi):
    """None when the signed-in user has a TOTP authenticator. Otherwise a redirect to allauth's
    activation page, with ``pourquoi`` shown on the first page on the way (allauth asks for the
    password again before it); the page asked for (a GET) is kept for the way back."""
    if mfa_active(request.user):
        request.session.pop(SUITE, None)  # back where they were going: the link is spent
        return None
    if request.method in ("GET", "HEAD"):
        request.session[SUITE] = request.get_full_path()
    messages.warning(request, pourquoi)
    return redirect("mfa_activate_totp")


def staff_view(view=None, *, peut=lambda user: user.is_staff):
    """Decorate a staff page: 404 for anyone ``peut(user)`` refuses, anonymous included (the
    page does not exist for them); staff without a TOTP authenticator activate one first."""

    def decorator(view):
        @wraps(view)
        def wrapper(request, *args, **kwargs):
            if not (request.user.is_authenticated and peut(request.user)):
                raise Http404
            return exiger_mfa(request, POURQUOI_STAFF) or view(request, *args, **kwargs)

        return wrapper

    return decorator(view) if view else decorator
