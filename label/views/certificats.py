"""Certificates and badges: the public verification page and badge, the members' downloads.

Nothing here exists before the edition is published: an unpublished edition's certificate or
badge answers 404 exactly as an unknown one does.
"""

import hashlib
import uuid as uuid_module

from django.contrib.auth.decorators import login_required
from django.db.models import Prefetch, Q
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import render
from django.utils.cache import get_conditional_response, patch_cache_control

from .. import certificats as rendus
from ..models import Candidature, Document, Edition, Labellisation, Mention, Resultat
from ..rules import candidature_or_404

BADGE_MAX_AGE = 24 * 3600


def _inconnu(request):
    """The same answer for an unknown, malformed or not yet public certificate."""
    return render(request, "label/certificats/inconnu.html", status=404)


def verification(request, uuid):
    """Public: the target of a certificate's QR code confirms that it is genuine."""
    try:
        uuid = uuid_module.UUID(uuid)
    except ValueError:
        return _inconnu(request)
    # Ready, or generated once and being generated again (relaunched by staff).
    document = (
        Document.objects.filter(
            Q(state=Document.State.PRET) | ~Q(fichier=""),
            uuid=uuid,
            kind=Document.Kind.CERTIFICAT,
            edition__publie_at__isnull=False,
            candidature__state=Candidature.State.DEPOSEE,
        )
        .select_related("edition")
        .first()
    )
    resultat = (
        document
        and Resultat.objects.filter(candidature_id=document.candidature_id)
        .select_related("candidature__collectivite__departement")
        .prefetch_related(Prefetch("mentions", queryset=Mention.objects.order_by("ordre", "nom")))
        .first()
    )
    if not resultat:
        return _inconnu(request)
    return render(
        request,
        "label/certificats/verification.html",
        {
            "document": document,
            "edition": document.edition,
            "resultat": resultat,
            "candidature": resultat.candidature,
            "collectivite": resultat.candidature.collectivite,
            "arobases": "@" * resultat.niveau,
            "niveau_en_lettres": rendus.arobases(resultat.niveau),
        },
    )


def _labellisation_publique(collectivite_filter, annee):
    """A year of label history that the public may see: imported, or of a published edition."""
    labellisation = (
        Labellisation.objects.filter(annee=annee, **collectivite_filter)
        .select_related("collectivite")
        .first()
    )
    if labellisation is None:
        return None
    if Edition.objects.filter(annee=annee, publie_at__isnull=True).exists():
        return None  # the edition of that year exists and is still under embargo
    return labellisation


def badge(request, code, annee):
    """Public: the SVG badge of a collectivité's label of a year."""
    labellisation = _labellisation_publique({"collectivite__code": code}, annee)
    if labellisation is None:
        raise Http404
    svg = rendus.badge_svg(labellisation.collectivite, annee, labellisation.niveau)
    etag = f'"{hashlib.sha256(svg.encode()).hexdigest()[:32]}"'
    response = get_conditional_response(request, etag=etag)
    if response is None:
        response = HttpResponse(svg, content_type="image/svg+xml; charset=utf-8")
    response["ETag"] = etag
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, public=True, max_age=BADGE_MAX_AGE)
    return response


def _laureat_or_404(user, pk):
    """The member's candidature, only once its edition is published and it is a laureate."""
    candidature = candidature_or_404(user, pk)
    if not candidature.edition.est_publiee or candidature.state != Candidature.State.DEPOSEE:
        raise Http404
    return candidature


@login_required
def certificat(request, pk):
    """Members: download the certificate, or learn that it is being prepared."""
    candidature = _laureat_or_404(request.user, pk)
    document = Document.objects.filter(candidature=candidature, kind=Document.Kind.CERTIFICAT).first()
    if document is None:
        raise Http404
    if document.fichier:  # ready, or the previous file while it is generated again
        try:
            handle = document.fichier.open("rb")
        except FileNotFoundError:
            handle = None
        if handle is not None:
            nom = rendus.nom_fichier(candidature.collectivite, candidature.edition.annee)
            response = FileResponse(handle, content_type="application/pdf", as_attachment=True, filename=nom)
            response["X-Content-Type-Options"] = "nosniff"
            patch_cache_control(response, private=True)
            return response
    return render(request, "label/certificats/en_preparation.html", {"candidature": candidature})


@login_required
def badge_code(request, pk):
    """Members: the badge and the HTML to paste into the collectivité's website."""
    candidature = _laureat_or_404(request.user, pk)
    labellisation = _labellisation_publique(
        {"collectivite_id": candidature.collectivite_id}, candidature.edition.annee
    )
    if labellisation is None:
        raise Http404
    collectivite, annee, niveau = candidature.collectivite, candidature.edition.annee, labellisation.niveau
    return render(
        request,
        "label/certificats/badge.html",
        {
            "candidature": candidature,
            "collectivite": collectivite,
            "labellisation": labellisation,
            "titre": rendus.titre_badge(collectivite, annee, niveau),
            "code": rendus.code_integration(collectivite, annee, niveau),
            "largeur": rendus.BADGE_LARGEUR,
            "hauteur": rendus.BADGE_HAUTEUR,
        },
    )
