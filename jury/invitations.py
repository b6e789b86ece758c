"""Inviting a juror by e-mail and binding the invitation to an account.

The invitation link can be forwarded, and a juror reads confidential dossiers: it is accepted
only by an account that has verified the invited address (allauth's ``EmailAddress``). Someone
signed in with another address adds the invited one to their account (« Mon compte »), confirms
it, and accepts then.
"""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from atlaas.typographie import une_ligne
from outbox import envois

from .context_processors import cle_jure
from .models import Jure


class InvitationError(Exception):
    pass


def lien(jure, request_or_base_url=None):
    """The absolute URL of the juror's invitation page."""
    path = reverse("jury:invitation", args=[jure.token])
    if request_or_base_url is None:
        return settings.SITE_URL + path
    if isinstance(request_or_base_url, str):
        return request_or_base_url.rstrip("/") + path
    return request_or_base_url.build_absolute_uri(path)


def inviter(jure, request_or_base_url=None):
    """Owe the invitation e-mail (sent after commit) and note when it was sent. A juror who has already
    accepted is not invited again."""
    if jure.accepted_at is not None:
        raise InvitationError(_("%(nom)s a déjà accepté l'invitation.") % {"nom": jure.nom})
    context = {"jure": jure, "edition": jure.edition, "url": lien(jure, request_or_base_url)}
    with translation.override(settings.LANGUAGE_CODE):
        subject = une_ligne(render_to_string("jury/emails/invitation_subject.txt", context))
        body = render_to_string("jury/emails/invitation_message.txt", context)
        html = render_to_string("jury/emails/invitation_message.html", context)
    with transaction.atomic():
        jure.invited_at = timezone.now()
        Jure.objects.filter(pk=jure.pk).update(invited_at=jure.invited_at)
        envois.courriel(
            jure.email,
            settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
            body,
            html=html,
            key=f"invitation-jure:{jure.pk}:{jure.invited_at.isoformat()}",
        )
    return jure


def adresse_verifiee(user, email):
    return EmailAddress.objects.filter(user=user, email__iexact=email, verified=True).exists()


def accepter(jure, user):
    """Bind the invitation to the signed-in account. Accepting twice with the same account is
    harmless; any other refusal raises InvitationError with a message for the person."""
    try:
        with transaction.atomic():
            jure = Jure.objects.select_for_update().select_related("edition").get(pk=jure.pk)
            if jure.user_id is not None and jure.user_id != user.pk:
                raise InvitationError(_("Cette invitation a déjà été acceptée avec un autre compte."))
            if jure.user_id == user.pk and jure.accepted_at is not None:
                return jure
            if Jure.objects.filter(edition_id=jure.edition_id, user=user).exclude(pk=jure.pk).exists():
                raise InvitationError(
                    _("Votre compte siège déjà au jury du %(edition)s.") % {"edition": jure.edition}
                )
            if not adresse_verifiee(user, jure.email):
                raise InvitationError(
                    _(
                        "Cette invitation a été envoyée à %(email)s : connectez-vous avec l'adresse "
                        "invitée, ou ajoutez-la à votre compte et confirmez-la avant d'accepter."
                    )
                    % {"email": jure.email}
                )
            jure.user = user
            jure.accepted_at = timezone.now()
            jure.save(update_fields=["user", "accepted_at"])
    except IntegrityError:  # the same account accepted another seat of the edition meanwhile
        raise InvitationError(
            _("Votre compte siège déjà au jury du %(edition)s.") % {"edition": jure.edition}
        ) from None
    # The navigation shows « Jury » from now on; again after commit, should a request read the
    # old value in between.
    cache.delete(cle_jure(user.pk))
    transaction.on_commit(lambda: cache.delete(cle_jure(user.pk)), robust=True)
    return jure
