"""Publishing an edition's palmarès: the closed deliberation's results become public in one step.

Before ``Edition.publie_at`` is set nothing of the edition's results is public. Publishing writes,
in one transaction, the laureates' line of label history (``Labellisation``), their current level
on the collectivité, the rows of the files to generate (certificates, palmarès files), and in the
outbox the generation, the results e-mails and the Atlaas' cache move: if Redis (the broker, the
cache) is down the publication still succeeds, and the outbox hands them to the workers once it
is back. A staff correction after publication (``apres_correction``) rewrites the same rows for
one laureate.
"""

from django.db import transaction
from django.db.models import Prefetch, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from atlaas.models import Collectivite
from outbox import envois

from .documents import BLOQUE_APRES, a_generer, queue_generation  # noqa: F401 - read here too
from .models import Candidature, Document, Edition, Labellisation, Mention, Resultat
from .workflow import TransitionError

FICHIERS = (Document.Kind.PALMARES_CSV, Document.Kind.PALMARES_JSON, Document.Kind.PALMARES_PDF)


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
                _("La délibération du %(edition)s n'est pas close : le palmarès ne peut pas être publié.")
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
            + [Document(edition=edition, kind=kind) for kind in FICHIERS],
            ignore_conflicts=True,
        )
        edition.publie_at = now
        edition.save(update_fields=["publie_at"])
        # Done after commit (a search meanwhile would cache the old levels under the new version).
        envois.tache("atlaas.tasks.invalider_catalogue")  # the Atlaas' « niveau » facet
        queue_generation(edition.pk)
        envois.tache("label.tasks.envoyer_resultats", edition.pk, key=f"resultats:{edition.pk}")
    return edition


def apres_correction(resultat, now=None):
    """Staff changed a result of a published edition (``workflow.decider``, inside its
    transaction): the label history and the collectivité's level follow, the palmarès files and
    that laureate's certificate are generated again, the palmarès pages are dropped."""
    now = now or timezone.now()
    candidature = Candidature.objects.select_related("edition").get(pk=resultat.candidature_id)
    edition = candidature.edition
    Labellisation.objects.update_or_create(
        collectivite_id=candidature.collectivite_id,
        annee=edition.annee,
        defaults={
            "niveau": resultat.niveau,
            "ten": resultat.ten,
            "mentions": "\n".join(m.nom for m in resultat.mentions.order_by("ordre", "nom")),
        },
    )
    Collectivite.objects.filter(pk=candidature.collectivite_id).exclude(
        niveau_millesime__gt=edition.annee
    ).update(niveau=resultat.niveau, niveau_millesime=edition.annee)
    Document.objects.filter(
        Q(edition=edition, candidature__isnull=True, kind__in=FICHIERS)
        | Q(candidature=candidature, kind=Document.Kind.CERTIFICAT)
    ).update(state=Document.State.ATTENTE, tentatives=0, erreur="", updated_at=now)
    envois.tache("label.tasks.invalider_palmares", edition.pk)
    queue_generation(edition.pk)


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
