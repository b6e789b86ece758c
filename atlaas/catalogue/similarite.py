"""Similar fiches, shown on a published fiche's page: the fiches of other collectivités that share
the most services with it, then the most words of its title and summary.
"""

from django.db.models import Count

from atlaas import francais
from atlaas.models import FicheAction


def similaires(fiche, services_ids, nombre=4, candidats=200):
    """Published fiches of other collectivités sharing the most services with ``fiche``; among
    those, the ones whose title and summary share the most words with its own. Two queries."""
    mots = set(francais.stems(f"{fiche.titre} {fiche.sous_titre}"))
    lignes = (
        FicheAction.objects.published()
        .exclude(collectivite_id=fiche.collectivite_id)
        .filter(services__in=services_ids)
        .values("pk", "titre", "sous_titre")
        .annotate(communs=Count("services"))
        .order_by("-communs", "-published_at")[:candidats]
    )

    def score(ligne):
        return ligne["communs"], len(mots & set(francais.stems(f"{ligne['titre']} {ligne['sous_titre']}")))

    meilleurs = [ligne["pk"] for ligne in sorted(lignes, key=score, reverse=True)[:nombre]]
    par_pk = FicheAction.objects.select_related("collectivite__departement").in_bulk(meilleurs)
    return [par_pk[pk] for pk in meilleurs]
