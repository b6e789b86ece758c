from allauth.account.adapter import DefaultAccountAdapter
from django.db import transaction

from .tasks import send_email


class AccountAdapter(DefaultAccountAdapter):
    def send_mail(self, template_prefix, email, context):
        """Render allauth's message here, send it from a Celery worker after commit."""
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
        transaction.on_commit(lambda: send_email.delay(**kwargs))
