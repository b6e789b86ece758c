from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_safe

from atlaas import carte, selectors
from villes_internet import pages

PAGE_SECONDES = 3600  # kept for anonymous visitors (villes_internet.pages): a TEN's end shows within the hour


@require_safe
@pages.en_cache(PAGE_SECONDES)
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
