from django.http import Http404
from django.shortcuts import render

from atlaas import carte, selectors


def collectivite(request, code):
    collectivite = selectors.collectivite_detail(code)
    if collectivite is None:
        raise Http404
    membres = collectivite.membres.actives().order_by("-population", "nom") if collectivite.is_epci else None
    return render(
        request,
        "atlaas/collectivite.html",
        {
            "collectivite": collectivite,
            "membres": membres,
            "fiches": collectivite.fiches.published().count(),
            "situation": carte.situation(collectivite.departement),
        },
    )
