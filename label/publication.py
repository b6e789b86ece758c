"""Publishing an edition's palmarès: the closed deliberation's results become public in one step.

Before ``Edition.publie_at`` is set nothing of the edition's results is public. Publishing writes,
in one transaction, the laureates' line of label history (``Labellisation``), their current level
on the collectivité, and the rows of the files to generate (certificates, palmarès files); the
generation and the e-mails are queued after commit. If Redis (the broker, the cache) is down the
publication still succeeds: the rows wait « en attente » and the beat run of
``tasks.generer_documents`` queues them again.
"""

import logging

from django.db import transaction
from django.db.models import Prefetch
from django.utils import timezone
from django.utils.translation import gettext as _

from atlaas import catalogue
from atlaas.models import Collectivite

from .documents import BLOQUE_APRES, a_generer  # noqa: F401 - their home is documents; read here too
from .models import Candidature, Document, Edition, Labellisation, Mention, Resultat
from .workflow import TransitionError

logger = logging.getLogger(__name__)


def resultats(edition):
    """The edition's results with what the palmarès shows, by collectivité name."""
    return (
        Resultat.objects.filter(candidature__edition=edition, candidature__state=Candidature.State.DEPOSEE)
        .select_related("candidature__collectivite__departement", "candidature__collectivite__region")
        .prefetch_related(Prefetch("mentions", queryset=Mention.objects.order_by("ordre", "nom")))
        .order_by("candidature__collectivite__nom", "pk")
    )


def publier(edition, now=None):
    """Make the closed deliberation's results public; refused before closing and the second
    time. Returns the edition."""
    now = now or timezone.now()
    with transaction.atomic():
        edition = Edition.objects.select_for_update().get(pk=edition.pk)
        if edition.publie_at:
            raise TransitionError(_("Le palmarès du %(edition)s est déjà publié.") % {"edition": edition})
        if not edition.resultats_clos_at:
            raise TransitionError(
                _("La délibération du %(edition)s n'est pas close : le palmarès ne peut pas être publié.")
                % {"edition": edition}
            )
        laureats = list(resultats(edition))
        Labellisation.objects.bulk_create(
            [
                Labellisation(
                    collectivite_id=r.candidature.collectivite_id,
                    annee=edition.annee,
                    niveau=r.niveau,
                    ten=r.ten,
                    mentions="\n".join(m.nom for m in r.mentions.all()),
                )
                for r in laureats
            ],
            update_conflicts=True,
            unique_fields=["collectivite", "annee"],
            update_fields=["niveau", "ten", "mentions"],
        )
        for niveau in range(1, 6):
            ids = [r.candidature.collectivite_id for r in laureats if r.niveau == niveau]
            Collectivite.objects.filter(pk__in=ids).exclude(niveau_millesime__gt=edition.annee).update(
                niveau=niveau, niveau_millesime=edition.annee
            )
        Document.objects.bulk_create(
            [
                Document(edition=edition, kind=Document.Kind.CERTIFICAT, candidature=r.candidature)
                for r in laureats
            ]
            + [
                Document(edition=edition, kind=kind)
                for kind in (
                    Document.Kind.PALMARES_CSV,
                    Document.Kind.PALMARES_JSON,
                    Document.Kind.PALMARES_PDF,
                )
            ],
            ignore_conflicts=True,
        )
        edition.publie_at = now
        edition.save(update_fields=["publie_at"])
        # After commit (a search meanwhile would cache the old levels under the new version), each
        # on its own: Redis down, the publication is written all the same, and logged.
        transaction.on_commit(catalogue.invalider, robust=True)  # the Atlaas' « niveau » facet
        transaction.on_commit(lambda: _apres_publication(edition.pk), robust=True)
    return edition


def _apres_publication(edition_id):
    from . import tasks  # tasks import this module

    tasks.generer_documents.delay(edition_id)
    tasks.envoyer_resultats.delay(edition_id)


def publier_prevues(now=None):
    """Celery beat: publish every edition whose planned moment has come and whose deliberation
    is closed. Returns the editions published."""
    now = now or timezone.now()
    publiees = []
    for edition in Edition.objects.filter(
        publication_at__lte=now, publie_at__isnull=True, resultats_clos_at__isnull=False
    ):
        try:
            publiees.append(publier(edition, now=now))
        except TransitionError:  # published meanwhile by staff
            continue
    return publiees
