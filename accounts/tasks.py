from celery import shared_task
from django.core.mail import EmailMultiAlternatives


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_email(subject, body, to, from_email=None, html=None, headers=None):
    """Send one rendered e-mail: the messages queued by the release before the outbox
    (``outbox.envois``), which every e-mail now goes through."""
    message = EmailMultiAlternatives(subject, body, from_email, to, headers=headers)
    if html:
        message.attach_alternative(html, "text/html")
    message.send()
