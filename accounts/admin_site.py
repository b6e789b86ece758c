"""The portal's Django admin: signed in through allauth's login only, and opened only to staff
whose account has a TOTP authenticator (accounts.rules), like every staff page."""

from functools import update_wrapper

from django.contrib import admin
from django.contrib.auth import REDIRECT_FIELD_NAME
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext_lazy as _

from . import rules


class AdminSite(admin.AdminSite):
    site_header = _("Villes Internet — administration")
    site_title = _("Villes Internet")
    index_title = _("Administration du portail")

    def admin_view(self, view, cacheable=False):
        """Every admin page (the login page aside): staff without TOTP activate it first."""
        inner = super().admin_view(view, cacheable)

        def wrapper(request, *args, **kwargs):
            if self.has_permission(request) and (refus := rules.exiger_mfa(request, rules.POURQUOI_STAFF)):
                return refus
            return inner(request, *args, **kwargs)

        return update_wrapper(wrapper, inner)

    def login(self, request, extra_context=None):
        """No login form here, one for the whole site: allauth's, with its rate limits and its
        TOTP step. The signed-in go on to the admin (whose pages check them), the others sign in
        there first; a POST here never signs anyone in."""
        suite = request.GET.get(REDIRECT_FIELD_NAME)
        if not url_has_allowed_host_and_scheme(suite, {request.get_host()}, request.is_secure()):
            suite = reverse("admin:index", current_app=self.name)
        if not request.user.is_authenticated:
            return redirect_to_login(suite)
        if not self.has_permission(request):
            raise PermissionDenied
        return HttpResponseRedirect(suite)
