"""Writing what must follow a state change, and handing it to the workers until it is done.

A domain function calls ``courriel`` or ``tache`` inside the transaction of its change: the row
is written with the change or not at all, and handed to a Celery worker once the transaction
commits. A broker that is away loses nothing: the beat run (``relancer``, every minute) hands
again every row still waiting. A worker claims a row by a conditional UPDATE before doing it,
so a row handed twice is done once.

Delivery is *at least once*: a worker killed after sending an e-mail but before marking it
sent leaves the row claimed; once the claim is older than ``BAIL`` the row is handed again and
sent a second time, at most once per such crash. The copies carry the same Message-ID
(``message_id``), by which mail clients recognise them. The other choice, marking before
sending, would lose the e-mail in the same crash, which is the promise this module keeps.
"""

import contextlib
import contextvars
import datetime
import hashlib
import logging
import time
import uuid
from urllib.parse import urlsplit

from celery import current_app
from django.conf import settings
from django.core.cache import cache
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F, Min, Q
from django.utils import timezone
from django.utils.module_loading import import_string

from .models import Envoi

logger = logging.getLogger(__name__)

EXECUTER = "outbox.tasks.executer"  # the worker's task, found by name: the domain imports no task
BAIL = datetime.timedelta(minutes=5)  # a claim older than this was interrupted (worker killed)
RELANCE = datetime.timedelta(minutes=2)  # a row due this long ago and still waiting was not taken
ESSAIS = [1, 5, 15, 60, 180, 360]  # minutes before the next attempt after each failure
PAUSE_BROKER = 10  # seconds without after-commit hand-overs once the broker refused one
CONSERVATION = datetime.timedelta(days=30)  # done rows are deleted after this (personal data)

State = Envoi.State


def courriel(to, subject, body, *, key=None, html=None, from_email=None, headers=None, pieces=()):
    """Owe one e-mail to the address ``to``, sent after commit. ``key`` names the message and
    its recipient (a second call with the same key owes nothing more); without it the e-mail is
    a one-off. ``pieces``: attachments rendered when sending, as ``(dotted path of a function
    returning (filename, bytes, mimetype), [its arguments])``. Returns the row."""
    payload = {"to": [to], "subject": subject, "body": body}
    if html:
        payload["html"] = html
    if from_email:
        payload["from_email"] = from_email
    if headers:
        payload["headers"] = dict(headers)
    if pieces:
        payload["pieces"] = [[chemin, list(args)] for chemin, args in pieces]
    return _ecrire(key or f"courriel:{uuid.uuid4().hex}:{to}", Envoi.Kind.COURRIEL, "", payload)


def tache(task, *args, key=None):
    """Owe a run of the Celery task named ``task`` with ``args`` (primitive values), after
    commit; ``key`` as for ``courriel``. Returns the row."""
    return _ecrire(key or f"tache:{uuid.uuid4().hex}", Envoi.Kind.TACHE, task, {"args": list(args)})


def _ecrire(key, kind, task, payload):
    envoi, created = Envoi.objects.get_or_create(
        key=key[:200], defaults={"kind": kind, "task": task, "payload": payload}
    )
    if created and task not in _aux_workers.get():
        transaction.on_commit(lambda: remettre([envoi.pk], apres_commit=True), robust=True)
    return envoi


_aux_workers = contextvars.ContextVar("aux_workers", default=frozenset())


@contextlib.contextmanager
def aux_workers(*taches):
    """Inside the block, the rows owed for the tasks named ``taches`` are written but not handed
    after commit: the beat's run (``relancer``) hands them to a worker. For a process that runs
    Celery's tasks eagerly although workers serve the broker (the demo in full mode): that work
    is the workers', as after any change, not this process'."""
    jeton = _aux_workers.set(_aux_workers.get() | set(taches))
    try:
        yield
    finally:
        _aux_workers.reset(jeton)


_broker_absent_until = 0.0  # this process' clock: after-commit hand-overs wait for the beat until then


def remettre(ids, apres_commit=False):
    """Hand rows to the workers (in embedded mode, do them now). A broker that is away is logged:
    the rows stay waiting for the beat run, and for ``PAUSE_BROKER`` the hand-overs after commit
    of this process do not try it again (each refusal costs Celery's publishing retries, a
    fraction of a second, to a request that owes an e-mail per member); the beat's run always
    tries. Returns the number handed."""
    global _broker_absent_until
    if apres_commit and time.monotonic() < _broker_absent_until:
        return 0
    executer = _tache(EXECUTER)
    handed = 0
    for pk in ids:
        try:
            executer.apply_async((pk,))
        except Exception as exc:  # noqa: BLE001 - the row waits; the beat hands it again
            _broker_absent_until = time.monotonic() + PAUSE_BROKER
            logger.warning(
                "Envoi %s : le broker ne répond pas (%s), il attend la prochaine relance.", pk, exc
            )
            break
        handed += 1
    return handed


def executer(pk, now=None):
    """Claim the row and do it: send its e-mail or run its task in this process. True if this
    call did it. A failure is recorded with its reason and tried again later (``ESSAIS``), then
    left « échec » for the team to retry from the administration."""
    now = now or timezone.now()
    claimed = (
        Envoi.objects.filter(pk=pk)
        .filter(Q(state=State.ATTENTE) | Q(state=State.EN_COURS, claimed_at__lt=now - BAIL))
        .update(state=State.EN_COURS, claimed_at=now, attempts=F("attempts") + 1)
    )
    if not claimed:
        return False
    envoi = Envoi.objects.get(pk=pk)
    mine = Envoi.objects.filter(pk=pk, state=State.EN_COURS, claimed_at=now)
    try:
        if envoi.kind == Envoi.Kind.COURRIEL:
            _envoyer(envoi)
        else:
            _tache(envoi.task)(*envoi.payload.get("args", []))
    except Exception as exc:  # any failure is recorded and retried
        logger.exception("Échec de l'envoi %s (%s)", pk, envoi.key)
        last = envoi.attempts > len(ESSAIS)
        delay = datetime.timedelta(minutes=ESSAIS[min(envoi.attempts, len(ESSAIS)) - 1])
        mine.update(
            state=State.ECHEC if last else State.ATTENTE,
            error=f"{type(exc).__name__} : {exc}"[:2000],
            next_attempt_at=timezone.now() + delay,
        )
        return False
    mine.update(state=State.FAIT, done_at=timezone.now(), error="")
    return True


class CacheIndisponible(ConnectionError):
    pass


def exiger_cache():
    """For a task that moves the cache: raise if the cache does not answer (Redis away, its
    errors ignored), so that the outbox tries the task again instead of marking it done."""
    probe = f"outbox:sonde:{uuid.uuid4().hex}"
    cache.set(probe, 1, 30)
    if cache.get(probe) != 1:
        raise CacheIndisponible("Le cache ne répond pas : la tâche sera refaite.")
    cache.delete(probe)


def _tache(name):
    """The Celery task registered under ``name``: the apps' tasks modules are found by
    autodiscovery, which a web process runs only when asked (imports only: the worker's loader
    would set Django up again)."""
    if name not in current_app.tasks:
        current_app.autodiscover_tasks(force=True)
    return current_app.tasks[name]


def _envoyer(envoi):
    payload = envoi.payload
    headers = {**payload.get("headers", {}), "Message-ID": message_id(envoi)}
    message = EmailMultiAlternatives(
        payload["subject"], payload["body"], payload.get("from_email"), payload["to"], headers=headers
    )
    if payload.get("html"):
        message.attach_alternative(payload["html"], "text/html")
    for chemin, args in payload.get("pieces", []):
        message.attach(*import_string(chemin)(*args))
    message.send()


def a_relancer(now=None):
    """Rows to hand again: waiting and due for ``RELANCE`` (their message was lost, or never
    left), or claimed longer than ``BAIL`` ago (their worker died)."""
    now = now or timezone.now()
    return Envoi.objects.filter(
        Q(state=State.ATTENTE, next_attempt_at__lte=now - RELANCE)
        | Q(state=State.EN_COURS, claimed_at__lt=now - BAIL)
    )


def relancer(now=None):
    """Beat, every minute: hand again what is owed and not done; delete done rows older than
    ``CONSERVATION``. Returns the number handed."""
    now = now or timezone.now()
    ids = list(a_relancer(now).order_by("next_attempt_at", "pk").values_list("pk", flat=True)[:5000])
    # Not handed again before RELANCE has passed once more.
    Envoi.objects.filter(pk__in=ids, state=State.ATTENTE).update(next_attempt_at=now)
    Envoi.objects.filter(state=State.FAIT, done_at__lt=now - CONSERVATION).delete()
    return remettre(ids)


def reessayer(queryset):
    """The team's « réessayer » on failed rows: waiting again, attempts counted from zero,
    handed now. Returns the number."""
    ids = list(queryset.filter(state=State.ECHEC).values_list("pk", flat=True))
    Envoi.objects.filter(pk__in=ids, state=State.ECHEC).update(
        state=State.ATTENTE, attempts=0, next_attempt_at=timezone.now()
    )
    transaction.on_commit(lambda: remettre(ids), robust=True)
    return len(ids)


def etat(now=None):
    """For ``/sante/``: rows waiting or in progress, failed rows, and the age in seconds of the
    oldest row still owed."""
    now = now or timezone.now()
    owed = Envoi.objects.filter(state__in=[State.ATTENTE, State.EN_COURS])
    oldest = owed.aggregate(oldest=Min("created_at"))["oldest"]
    return {
        "en_attente": owed.count(),
        "echecs": Envoi.objects.filter(state=State.ECHEC).count(),
        "plus_ancien_s": round((now - oldest).total_seconds()) if oldest else 0,
    }


def message_id(envoi):
    """The same Message-ID each time a row is sent: two copies of one e-mail (a worker killed
    between sending and marking) are recognisable as one message."""
    digest = hashlib.sha256(envoi.key.encode()).hexdigest()[:32]
    return f"<{digest}@{urlsplit(settings.SITE_URL).hostname or 'localhost'}>"
