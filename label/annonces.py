"""The results e-mail sent to each laureate's members at publication.

The results are claimed by a conditional UPDATE of ``Resultat.annonce_at`` (the run's moment, its
token), ``PAR_TRANSACTION`` at a time, and their e-mails owed in the outbox in the same transaction:
a task run twice, or two workers at once, announce a result once, and an e-mail owed is sent even
if the broker is away at that moment. A transaction and an UPDATE per result kept a worker process
from the certificates of the same publication for seconds (bench/README.md).
"""

from django.conf import settings
from django.db import transaction
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from atlaas.models import Membership
from atlaas.typographie import une_ligne
from outbox import envois

from .models import Edition, Resultat
from .publication import resultats

PAR_TRANSACTION = 100


def membres_actifs():
    return Prefetch(
        "candidature__collectivite__memberships",
        queryset=Membership.objects.filter(state=Membership.State.ACTIVE, user__is_active=True)
        .exclude(user__email="")
        .select_related("user")
        .order_by("user__email"),
        to_attr="membres_actifs",
    )


def message(resultat):
    """The e-mail of a result, without its recipient (keyword arguments of ``envois.courriel``)."""
    candidature = resultat.candidature
    edition = candidature.edition
    context = {
        "collectivite": candidature.collectivite,
        "edition": edition,
        "resultat": resultat,
        "mentions": [m.nom for m in resultat.mentions.all()],
        "palmares_url": settings.SITE_URL + reverse("label:palmares", args=[edition.annee]),
        "retour_url": settings.SITE_URL + reverse("label:retour", args=[candidature.pk]),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = une_ligne(render_to_string("label/emails/resultats_subject.txt", context))
        body = render_to_string("label/emails/resultats_message.txt", context)
        html = render_to_string("label/emails/resultats_message.html", context)
    return {"subject": settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject, "body": body, "html": html}


def annoncer_resultats(edition_id, now=None):
    """E-mail each laureate's active members their level, mentions and TEN, with links to the
    palmarès and to their feedback page; each result once. Nothing for an unpublished edition.
    Returns the number of e-mails owed."""
    edition = Edition.objects.filter(pk=edition_id, publie_at__isnull=False).first()
    if edition is None:
        return 0
    now = now or timezone.now()
    a_annoncer = list(resultats(edition).filter(annonce_at__isnull=True).prefetch_related(membres_actifs()))
    envoyes = 0
    for debut in range(0, len(a_annoncer), PAR_TRANSACTION):
        bloc = a_annoncer[debut : debut + PAR_TRANSACTION]
        with transaction.atomic():
            pris = _prendre(bloc, now)
            for resultat in bloc:
                if resultat.pk in pris:
                    envoyes += _annoncer(resultat, edition)
    return envoyes


def _prendre(resultats, now):
    """Claim those of ``resultats`` not announced yet, ``now`` as this run's token; their ids.
    Another run's claim of one of them waits for this transaction's commit, then finds it taken."""
    ids = [resultat.pk for resultat in resultats]
    Resultat.objects.filter(pk__in=ids, annonce_at__isnull=True).update(annonce_at=now)
    return set(Resultat.objects.filter(pk__in=ids, annonce_at=now).values_list("pk", flat=True))


def _annoncer(resultat, edition):
    """Owe the e-mails of a claimed result; their number."""
    resultat.candidature.edition = edition
    membres = resultat.candidature.collectivite.membres_actifs
    if membres:
        kwargs = message(resultat)
        for membre in membres:
            envois.courriel(membre.user.email, **kwargs, key=f"resultat:{resultat.pk}:{membre.user_id}")
    return len(membres)
