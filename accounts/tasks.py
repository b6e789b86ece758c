from celery import shared_task
from django.conf import settings
from django.core.cache import caches
from django.core.mail import EmailMultiAlternatives
from django.utils.module_loading import import_string

from outbox import envois


@shared_task(autoretry_for=(OSError,), retry_backoff=True, max_retries=5)
def send_email(subject, body, to, from_email=None, html=None, headers=None):
    """Send one rendered e-mail: the messages queued by the release before the outbox
    (``outbox.envois``), which every e-mail now goes through."""
    message = EmailMultiAlternatives(subject, body, from_email, to, headers=headers)
    if html:
        message.attach_alternative(html, "text/html")
    message.send()


@shared_task
def oublier_session(session_key):
    """After a logout: drop the session's copy in the cache. Its row is deleted at once, but a
    cache that did not answer then (Redis away, kept its data) would serve the session again when
    it is back; tried again while the cache does not answer."""
    store = import_string(f"{settings.SESSION_ENGINE}.SessionStore")
    caches[settings.SESSION_CACHE_ALIAS].delete(store(session_key).cache_key)
    envois.exiger_cache()
