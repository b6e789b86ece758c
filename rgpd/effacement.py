"""Deleting an account, by its owner (« Mes données ») or after years without a login
(``conservation``): what names the person goes; what they did for others stays, unsigned.

- The account row goes, and with it what belongs to it: its e-mail addresses, its second
  factor, its memberships (the team is told of a collectivité left without référent), its
  archives. Fiches, candidatures, files and history rows it signed stay with their collectivité,
  their author's key emptied: pages show « un ancien membre ».
- A juror's rows stay with the jury of their edition, pseudonymised (« Ancien juré n° 12 »,
  an address that reaches nobody): evaluations, scores, declared conflicts.
- Rows holding one of the person's addresses without a key to the account go: a fiche's
  contact, invitations, the outbox's e-mails to them or giving their address (and the sent ones
  giving their name). The administration's log
  keeps its entries, their label rewritten where it named the person.
"""

import uuid

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.db import transaction
from django.db.models import Q
from django.utils import translation
from django.utils.translation import gettext as _

from atlaas import catalogue
from atlaas.models import ContactFiche, Invitation
from atlaas.workflow import leave_all
from jury.models import Jure
from outbox.models import Envoi

from . import export

ADRESSE_JURE = "ancien-jure-{pk}@anonyme.invalid"  # .invalid: a domain that can never exist


class CompteEquipe(PermissionError):
    """A staff account is closed by an administrator, not by its owner."""


def peut_supprimer(user):
    return not (user.is_staff or user.is_superuser)


@transaction.atomic
def supprimer_compte(user):
    """Delete ``user`` as the module says. Returns the collectivités they left."""
    if not peut_supprimer(user):
        raise CompteEquipe(user.pk)
    addresses = export.adresses(user)
    names = {n for n in [user.get_full_name().strip(), *addresses] if n}
    for jure in export.par_adresse(Jure, "email", addresses) | Jure.objects.filter(user=user):
        pseudonymiser(jure)
    left = leave_all(user)
    contacts, _par_modele = export.par_adresse(ContactFiche, "email", addresses).delete()
    if contacts:  # their names leave the public pages kept in the cache and the Atlaas' export
        catalogue.invalider()
    export.par_adresse(Invitation, "email", addresses).delete()
    oublier_courriels(addresses, user.get_full_name().strip())
    for entry in LogEntry.objects.filter(_mentionne(names, "object_repr")):
        entry.object_repr = _anonyme(entry.object_repr, names)
        entry.save(update_fields=["object_repr"])
    for archive in user.archives.exclude(fichier=""):
        name, storage = archive.fichier.name, archive.fichier.storage
        transaction.on_commit(lambda n=name, s=storage: s.delete(n), robust=True)
    user.delete()
    return left


def pseudonymiser(jure):
    """A juror without the person: their evaluations stay with the jury under a number."""
    with translation.override(settings.LANGUAGE_CODE):  # stored: in the portal's language
        jure.nom = _("Ancien juré n° %(numero)s") % {"numero": jure.pk}
    jure.email = ADRESSE_JURE.format(pk=jure.pk)
    jure.user = None
    jure.organisation = ""
    jure.departement = None
    jure.token = uuid.uuid4()  # the invitation's link opens nothing any more
    jure.save(update_fields=["nom", "email", "user", "organisation", "departement", "token"])
    jure.expertises.clear()


def oublier_courriels(addresses, name):
    """The outbox's e-mails to the person or giving one of their addresses (a request to join
    sent to a référent), sent or not: the person is gone, and so is what was owed to them. Sent
    e-mails that give their full name go too; one still owed is sent (a namesake's)."""
    to_them = export.courriels(addresses)
    giving = _mentionne(addresses, "payload__body") | _mentionne(addresses, "payload__subject")
    naming = _mentionne([name] if name else [], "payload__body") & ~Q(state=Envoi.State.ATTENTE)
    Envoi.objects.filter(
        Q(pk__in=to_them.values("pk")) | (Q(kind=Envoi.Kind.COURRIEL) & (giving | naming))
    ).delete()


def _mentionne(names, field):
    query = Q(pk__in=[])
    for name in names:
        query |= Q(**{f"{field}__icontains": name})
    return query


def _anonyme(text, names):
    with translation.override(settings.LANGUAGE_CODE):
        ancien = _("un ancien membre")
    for name in sorted(names, key=len, reverse=True):
        start = text.lower().find(name.lower())
        while start >= 0:
            text = text[:start] + ancien + text[start + len(name) :]
            start = text.lower().find(name.lower(), start + len(ancien))
    return text
