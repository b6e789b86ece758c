"""The feedback of a published result, for the collectivité's members: a page and its PDF."""

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.text import slugify

from .. import pdf, retours
from ..rules import candidature_or_404


def _retour_or_404(user, pk):
    """The feedback, for the collectivité's active members only, once the edition is published:
    404 otherwise, before publication included."""
    retour = retours.retour(candidature_or_404(user, pk))
    if retour is None:
        raise Http404
    return retour


@login_required
def retour(request, pk):
    return render(request, "label/retours/retour.html", {"retour": _retour_or_404(request.user, pk)})


@login_required
def retour_pdf(request, pk):
    """The feedback as a tagged PDF (``label.pdf``)."""
    retour = _retour_or_404(request.user, pk)
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(
            "label/pdf/retour.html", {"retour": retour, "generated_at": timezone.localtime()}
        )
    contenu = pdf.rendre(html)
    candidature = retour.candidature
    nom = f"retour-jury-{slugify(candidature.collectivite.nom)}-{candidature.edition.annee}.pdf"
    response = HttpResponse(contenu, content_type="application/pdf")
    response["Content-Disposition"] = f'inline; filename="{nom}"'
    return response
