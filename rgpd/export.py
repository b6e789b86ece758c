"""« Mes données »: every row of the portal about a person, as JSON, with their files, in a zip.

The rows are found by walking the models, not listed by hand, so that a model added later is
exported without anyone remembering to: every foreign key (or many-to-many) of every installed
model that points to the user; then, from the rows that *belong* to the user (their foreign key
deletes them with the account, ``CASCADE``: memberships, juror rows, e-mail addresses…), every
row that belongs to those in turn (a juror's evaluations, an evaluation's scores). Rows the user
only signed (``SET_NULL``: a fiche they created, a transition they made) are exported, not what
hangs from them: a candidature's jury evaluations are not its author's data. A few models hold
a person's address without a key to their account (a fiche's contact, an invitation, a juror
invited by e-mail, the outbox): ``PAR_ADRESSE`` finds those. The shape is in docs/mes-donnees.md.
"""

import datetime
import functools
import json
import tempfile
import zipfile
from pathlib import PurePosixPath

from django.apps import apps
from django.contrib.auth import get_user_model
from django.core import serializers
from django.core.files import File
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models, transaction
from django.db.models import Q, prefetch_related_objects
from django.utils import timezone

from outbox import envois
from outbox.models import Envoi

from .models import Archive

FORMAT = "villes-internet/mes-donnees/1"

# Secrets are not personal data to hand over: a zip left in a downloads folder must not open the
# account (password hash, TOTP key and recovery codes) or an invitation (tokens).
SECRETS = {
    "accounts.user": {"password"},
    "mfa.authenticator": {"data"},
    "account.emailconfirmation": {"key"},
    "atlaas.invitation": {"token"},
    "jury.jure": {"token"},
}
# Models with a person's e-mail address and no key to their account: (model, address field).
PAR_ADRESSE = [
    ("atlaas.ContactFiche", "email"),
    ("atlaas.Invitation", "email"),
    ("jury.Jure", "email"),
]
# Files of rows exported that are not the person's uploads: the archives themselves.
SANS_FICHIER = {"rgpd.archive"}


@functools.cache
def relations_vers(model):
    """``(model, field)`` for every foreign key, one-to-one or many-to-many field of an installed
    model that points to ``model`` (hidden ones, ``related_name="+"``, included); computed once
    per process, the models do not change."""
    found = []
    for candidate in apps.get_models():
        for field in candidate._meta.get_fields():
            if (
                field.is_relation
                and not field.auto_created
                and field.concrete
                and field.related_model is model
                and (field.many_to_one or field.one_to_one or field.many_to_many)
            ):
                found.append((candidate, field))
    return found


def appartient(field):
    """A row whose ``field`` is deleted with the row it points to belongs to that row."""
    return not field.many_to_many and field.remote_field.on_delete is models.CASCADE


def adresses(user):
    """The person's e-mail addresses, lower case: the account's and any other they added."""
    found = {user.email.lower()}
    if apps.is_installed("allauth.account"):
        EmailAddress = apps.get_model("account", "EmailAddress")
        found |= {e.lower() for e in EmailAddress.objects.filter(user=user).values_list("email", flat=True)}
    return found


def par_adresse(model, field, addresses):
    query = Q()
    for address in addresses:
        query |= Q(**{f"{field}__iexact": address})
    return model._default_manager.filter(query) if query else model._default_manager.none()


def courriels(addresses):
    """The outbox's e-mails to the person (kept ``outbox.envois.CONSERVATION`` after sending)."""
    return Envoi.objects.filter(kind=Envoi.Kind.COURRIEL, payload__to__0__in=sorted(addresses))


def lignes(user):
    """Every row about ``user``: ``{(model, pk): (row, [how it was reached])}``, each row once.
    ``how`` reads like « jury.jure.user → jury.evaluation.jure »."""
    User = get_user_model()
    found = {}

    def add(row, how):
        key = (row._meta.label_lower, row.pk)
        if key in found:
            found[key][1].append(how)
            return False
        found[key] = (row, [how])
        return True

    def add_all(rows, how):
        """Add ``rows``; the pks of those not found before."""
        return [row.pk for row in rows if add(row, how)]

    add(user, "compte")
    # (model, pks, how) whose dependants are the user's too: one query per relation and level,
    # for all the rows reached the same way, not one per row.
    owned = []
    for model, field in relations_vers(User):
        how = f"{model._meta.label_lower}.{field.name}"
        pks = add_all(model._default_manager.filter(**{field.name: user}).order_by("pk"), how)
        if pks and appartient(field):
            owned.append((model, pks, how))
    while owned:
        parent, parent_pks, how_parent = owned.pop(0)
        for model, field in relations_vers(parent):
            if not appartient(field):
                continue
            how = f"{how_parent} → {model._meta.label_lower}.{field.name}"
            rows = model._default_manager.filter(**{f"{field.name}__in": parent_pks})
            pks = add_all(rows.order_by(field.name, "pk"), how)
            if pks:
                owned.append((model, pks, how))
    addresses = adresses(user)
    for label, field in PAR_ADRESSE:
        for row in par_adresse(apps.get_model(label), field, addresses).order_by("pk"):
            add(row, f"{row._meta.label_lower}.{field} (adresse e-mail)")
    # Files of the fiches the person created (who uploaded each file is not recorded).
    FichierFiche = apps.get_model("atlaas", "FichierFiche")
    for row in FichierFiche.objects.filter(fiche__created_by=user).order_by("pk"):
        add(row, "atlaas.ficheaction.created_by → atlaas.fichierfiche.fiche")
    return found


def donnees(user, now=None):
    """The JSON document of the archive (a dict) and the files to put beside it, as
    ``[(path in the zip, FieldFile)]``."""
    now = now or timezone.now()
    found = lignes(user)
    par_modele = {}
    for row, _how in found.values():
        par_modele.setdefault(type(row), []).append(row)
    for model, instances in par_modele.items():  # the serializer reads each many-to-many
        if m2m := [field.name for field in model._meta.many_to_many]:
            prefetch_related_objects(instances, *m2m)
    rows, fichiers = [], []
    for (label, pk), (row, how) in sorted(found.items(), key=lambda item: item[0]):
        [serialized] = serializers.serialize("python", [row])
        champs = {
            name: value for name, value in serialized["fields"].items() if name not in SECRETS.get(label, ())
        }
        rows.append({"modele": label, "pk": pk, "liens": how, "champs": champs})
        if label in SANS_FICHIER:
            continue
        for field in row._meta.concrete_fields:
            if not isinstance(field, models.FileField):
                continue  # getattr on a foreign key would fetch its row
            fichier = getattr(row, field.name)
            if fichier:
                name = PurePosixPath(getattr(row, "nom", "") or fichier.name).name
                path = f"fichiers/{label}/{pk}-{field.name}-{name}"
                fichiers.append((path, fichier))
                champs[field.name] = {"stocke": fichier.name, "dans_l_archive": path}
    emails = [
        {
            "objet": envoi.payload.get("subject", ""),
            "cree_le": envoi.created_at,
            "envoye_le": envoi.done_at,
            "etat": envoi.state,
        }
        for envoi in courriels(adresses(user)).order_by("created_at", "pk")
    ]
    document = {
        "format": FORMAT,
        "genere_le": now,
        "compte": {
            "id": user.pk,
            "email": user.email,
            "prenom": user.first_name,
            "nom": user.last_name,
            "inscrit_le": user.date_joined,
            "derniere_connexion": user.last_login,
            "groupes": sorted(user.groups.values_list("name", flat=True)),
        },
        "lignes": rows,
        "courriels": emails,
        "fichiers": [path for path, _fichier in fichiers],
    }
    return document, fichiers


def ecrire_zip(user, destination, now=None):
    """Write the archive of ``user`` into the open binary file ``destination``."""
    document, fichiers = donnees(user, now)
    with zipfile.ZipFile(destination, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        archive.writestr(
            "donnees.json", json.dumps(document, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2)
        )
        for path, fichier in fichiers:
            try:
                with fichier.open("rb") as source, archive.open(path, "w") as target:
                    while chunk := source.read(1024 * 1024):
                        target.write(chunk)
            except FileNotFoundError:  # listed in the JSON; its file is gone from the storage
                continue


def generer(archive_id, now=None):
    """The task's work: write the zip of a waiting archive, point the row to it, « prête », and
    owe the e-mail that says so. Safe to run twice: a second run finds it ready and stops.
    Returns True if this run made it."""
    from . import notifications

    waiting = Archive.objects.select_related("user").filter(state=Archive.State.ATTENTE)
    archive = waiting.filter(pk=archive_id).first()
    if archive is None:
        return False
    now = now or timezone.now()
    with tempfile.TemporaryFile() as tmp:
        ecrire_zip(archive.user, tmp, now)
        size = tmp.tell()
        tmp.seek(0)
        name = archive.fichier.storage.save(archive_upload_name(archive), File(tmp))
    with transaction.atomic():
        done = Archive.objects.filter(pk=archive.pk, state=Archive.State.ATTENTE).update(
            state=Archive.State.PRETE, fichier=name, taille=size, ready_at=now
        )
        if done:
            notifications.archive_prete(archive)
    if not done:  # another run made it meanwhile
        archive.fichier.storage.delete(name)
    return bool(done)


def archive_upload_name(archive):
    return archive.fichier.field.generate_filename(archive, "archive.zip")


def derniere_demande(user, now=None):
    """The archive still being prepared for ``user`` and asked less than an hour ago, if any:
    a second click does not start a second archive."""
    now = now or timezone.now()
    return (
        Archive.objects.filter(
            user=user, state=Archive.State.ATTENTE, created_at__gt=now - datetime.timedelta(hours=1)
        )
        .order_by("-created_at")
        .first()
    )


@transaction.atomic
def demander(user, now=None):
    """Ask for an archive of ``user``'s data: a waiting row, and its generation owed to a worker.
    Returns ``(archive, created)``: an archive asked less than an hour ago and still being
    prepared is returned instead of a second one."""
    existing = derniere_demande(user, now)
    if existing is not None:
        return existing, False
    archive = Archive.objects.create(user=user, created_at=now or timezone.now())
    envois.tache("rgpd.tasks.generer_archive", archive.pk, key=f"archive:{archive.pk}")
    return archive, True
