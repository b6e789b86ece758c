"""The scoring grid of an edition: staff edit it in the admin; a default one is made on first use.
Its texts are data, in French, like the taxonomy."""

from django.db import transaction

from atlaas.models import Categorie

from .models import Critere

COHERENCE = "Cohérence et ambition de la politique numérique"


def criteres(edition):
    """The edition's criteria in order; the default grid is created if it has none: one
    criterion per catégorie of the taxonomy, then « cohérence et ambition »."""
    found = list(Critere.objects.filter(edition=edition))
    if found:
        return found
    with transaction.atomic():
        if not Critere.objects.select_for_update().filter(edition=edition).exists():
            categories = list(Categorie.objects.order_by("ordre", "nom"))
            Critere.objects.bulk_create(
                [
                    Critere(
                        edition=edition,
                        libelle=categorie.nom,
                        aide=f"Ampleur et qualité des actions de la catégorie « {categorie.nom} ».",
                        categorie=categorie,
                        ordre=i,
                    )
                    for i, categorie in enumerate(categories, start=1)
                ]
                + [
                    Critere(
                        edition=edition,
                        libelle=COHERENCE,
                        aide="Vision d'ensemble, moyens engagés, gouvernance du numérique.",
                        ordre=len(categories) + 1,
                    )
                ]
            )
    return list(Critere.objects.filter(edition=edition))
