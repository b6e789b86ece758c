from allauth.account.adapter import DefaultAccountAdapter
from allauth.core import context as allauth_context
from django.contrib.sites.shortcuts import get_current_site
from django.db import transaction

from .tasks import send_email


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        """Render allauth's message here (it needs the request), send it from a Celery worker
        once the transaction is committed."""
        request = allauth_context.request
        context = {"request": request, "email": email, "current_site": get_current_site(request), **context}
        message = self.render_mail(template_prefix, email, context)
        html = next((c for c, mime in getattr(message, "alternatives", []) if mime == "text/html"), None)
        kwargs = {
            "subject": message.subject,
            "body": message.body,
            "to": list(message.to),
            "from_email": message.from_email,
            "html": html,
            "headers": dict(message.extra_headers) or None,
        }
        # robust: a mail server that is down never turns a committed sign-up into an error page.
        transaction.on_commit(lambda: send_email.delay(**kwargs), robust=True)
