"""The results e-mail sent to each laureate's members at publication.

Each result is claimed by a conditional UPDATE of ``Resultat.annonce_at`` and its e-mails are owed
in the outbox in the same transaction: a task run twice, or two workers at once, announce a result
once, and an e-mail owed is sent even if the broker is away at that moment.
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
    a_annoncer = resultats(edition).filter(annonce_at__isnull=True).prefetch_related(membres_actifs())
    envoyes = 0
    for resultat in a_annoncer:
        resultat.candidature.edition = edition
        with transaction.atomic():
            if not Resultat.objects.filter(pk=resultat.pk, annonce_at__isnull=True).update(annonce_at=now):
                continue  # announced meanwhile by another run
            membres = resultat.candidature.collectivite.membres_actifs
            if membres:
                kwargs = message(resultat)
                for membre in membres:
                    envois.courriel(
                        membre.user.email, **kwargs, key=f"resultat:{resultat.pk}:{membre.user_id}"
                    )
            envoyes += len(membres)
    return envoyes
