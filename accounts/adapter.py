from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site

from outbox import envois


class AccountAdapter(DefaultAccountAdapter):
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
