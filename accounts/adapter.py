from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.conf import settings
from django.contrib.sites.shortcuts import get_current_site

from outbox import envois


class AccountAdapter(DefaultAccountAdapter):
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
