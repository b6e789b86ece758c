from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from allauth.core.internal import ratelimit
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site

from outbox import envois

from . import connexion


class AccountAdapter(DefaultAccountAdapter):
    # --- Failed logins: limits per address and IP, per address, notice (accounts/connexion.py)

    @staticmethod
    def _cle_adresse(**credentials):
        """The address typed, in lower case. allauth's key also names the site, taken from the
        Host header; this portal has one, and a key that a header changes is one less limit."""
        return credentials.get("email", "").strip().lower()

    def _get_login_attempts_cache_key(self, request, **credentials):
        """The key of allauth's ``login_failed`` limit: the address *and* the client's IP (an IPv6
        address cut to its network, as allauth does), so that failures from elsewhere never
        close the password for the owner."""
        return f"{self._cle_adresse(**credentials)}:{ratelimit.get_ip(request)}"

    def pre_authenticate(self, request, **credentials):
        """allauth's limits (per IP, per address and IP), then the one per address from all IPs."""
        super().pre_authenticate(request, **credentials)
        self._usage_adresse = ratelimit.consume(
            request,
            app="allauth.account",
            action="login_failed_address",
            key=self._cle_adresse(**credentials),
        )
        if not self._usage_adresse:
            # Refused without checking the password: not a failure for the pair's limit either.
            super()._rollback_login_failed_rl_usage()
            raise self.validation_error("too_many_login_attempts")

    def _rollback_login_failed_rl_usage(self):
        """A right password counts as no failure, for the address's limit too."""
        super()._rollback_login_failed_rl_usage()
        if getattr(self, "_usage_adresse", None):
            self._usage_adresse.rollback()

    def _delete_login_attempts_cached_email(self, request, **credentials):
        """After a password reset, the failures for the address no longer matter."""
        super()._delete_login_attempts_cached_email(request, **credentials)
        ratelimit.clear(
            request,
            app="allauth.account",
            action="login_failed_address",
            key=self._cle_adresse(**credentials),
        )

    def authentication_failed(self, request, **credentials):
        connexion.signaler_echec(credentials.get("email", ""))

    # --- Session and e-mails

    def logout(self, request):
        """Log out, and owe the removal of the session's copy in the cache, which a Redis away
        at this moment would keep (the session row itself is deleted now)."""
        session_key = request.session.session_key
        super().logout(request)
        if session_key and settings.SESSION_ENGINE.endswith("cached_db"):
            envois.tache("accounts.tasks.oublier_session", session_key)

    def send_mail(self, template_prefix, email, context):
        """Render allauth's message here (it needs the request) and owe it in the outbox: it
        leaves from a worker once the transaction is committed."""
        request = allauth_context.request
        context = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        message = self.render_mail(template_prefix, email, context)
        html = next((c for c, mime in getattr(message, "alternatives", []) if mime == "text/html"), None)
        for address in message.to:
            envois.courriel(
                address,
                message.subject,
                message.body,
                html=html,
                from_email=message.from_email,
                headers=dict(message.extra_headers) or None,
            )
