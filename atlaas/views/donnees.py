"""Files out of the Atlaas: the catalogue as CSV (the full file, written in the background by
``catalogue.export``, or a search's results, bounded) and an Atom feed of the latest
publications. Only published originals ever leave through here: the fiches come from
``catalogue`` or ``FicheAction.objects.published()``. The JSON API is in ``atlaas.views.api``."""

import hashlib

from django import forms
from django.conf import settings
from django.contrib.syndication.views import Feed
from django.http import FileResponse, HttpResponse, StreamingHttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import formats, timezone
from django.utils.cache import get_conditional_response, patch_cache_control
from django.utils.feedgenerator import Atom1Feed
from django.utils.html import escape
from django.utils.http import http_date
from django.utils.text import Truncator
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_safe

from atlaas import catalogue, limites
from atlaas.forms import RechercheForm
from atlaas.models import FicheAction
from atlaas.views.catalogue import TITRES


def absolue(request, path):
    """The absolute URL of ``path`` in a file or a feed, read later and elsewhere: on ``SITE_URL``
    when it is set, else on the request's host (without a request, the path stays relative: the
    feed adds the host itself). The JSON API's links follow the request (``atlaas.views.api``)."""
    site = getattr(settings, "SITE_URL", "")
    if site:
        return site + path
    return request.build_absolute_uri(path) if request is not None else path


# --- CSV ------------------------------------------------------------------------------------------

EXPORTS_PAR_HEURE = 30  # filtered exports per client IP and hour; the full file is not limited
RETRY_AFTER = 120  # seconds before asking again for the full file being prepared


class ExportForm(RechercheForm):
    """The catalogue's query string, every value of which must be valid: an export does not
    drop what it does not understand, it says so. A search without any word to look for would
    export the whole catalogue, which the full file does."""

    def clean_q(self):
        q = super().clean_q()
        if q and not catalogue.a_du_sens(q):
            raise forms.ValidationError(
                _(
                    "« %(q)s » ne contient aucun mot à chercher : saisissez un mot, ou retirez "
                    "la recherche pour télécharger l'export complet."
                ),
                params={"q": q},
            )
        return q


def _texte(message, status):
    return HttpResponse(message + "\n", status=status, content_type="text/plain; charset=utf-8")


def _filtre_invalide(form):
    lignes = [_("Export impossible : un filtre n'est pas valide.")]
    for nom, messages in form.errors.items():
        lignes += [f"{TITRES.get(nom, nom)} : {message}" for message in messages]
    return _texte("\n".join(lignes), 400)


@require_safe
def export_csv(request):
    """The catalogue as CSV. Without a filter, the full file written in the background; with
    filters, at most ``LIGNES_MAX`` of the results in their order, ``EXPORTS_PAR_HEURE`` an hour
    per client IP; an invalid filter answers 400 with its message."""
    form = ExportForm(request.GET)
    if not form.is_valid():
        return _filtre_invalide(form)
    filtres = form.filtres()
    filtres.pop("page", None)
    if not filtres.keys() - {"tri"}:
        return _export_complet(request)
    if limites.au_dela(request, "atlaas:exports:", EXPORTS_PAR_HEURE):
        response = _texte(
            _(
                "Trop d'exports filtrés depuis votre adresse en une heure : réessayez plus tard, "
                "ou téléchargez l'export complet de l'Atlaas, qui n'est pas limité."
            ),
            429,
        )
        response["Retry-After"] = "3600"
        return response
    maximum = catalogue.export.LIGNES_MAX
    ids = catalogue.ids_ordonnes(catalogue.filtrer(filtres), filtres, limite=maximum + 1)

    def lignes():
        yield from catalogue.export.lignes_csv(ids[:maximum])
        if len(ids) > maximum:
            yield catalogue.export.ligne_csv([_message_tronque(request, maximum)])

    response = StreamingHttpResponse(lignes(), content_type="text/csv; charset=utf-8")
    nom = f"atlaas-{timezone.localdate():%Y-%m-%d}.csv"
    response["Content-Disposition"] = f'attachment; filename="{nom}"'
    if len(ids) > maximum:
        response["X-Export-Tronque"] = str(maximum)  # the line that says so ends the file
    return response


def _message_tronque(request, maximum):
    return _(
        "# Export limité aux %(max)s premières actions : affinez la recherche, ou téléchargez "
        "l'export complet de l'Atlaas (%(url)s)."
    ) % {
        "max": formats.number_format(maximum, force_grouping=True),
        "url": absolue(request, reverse("atlaas:catalogue_csv")),
    }


def _en_preparation(request):
    response = render(request, "atlaas/catalogue/export_en_preparation.html", status=503)
    response["Retry-After"] = str(RETRY_AFTER)
    return response


def _export_complet(request):
    """The full file, revalidated by its ETag and date (one query); 503 while the first one is
    being prepared."""
    export = catalogue.export.courant()
    if export is None:
        return _en_preparation(request)
    etag = f'"{hashlib.sha256(export.fichier.name.encode()).hexdigest()[:32]}"'  # a new name each time
    modifie = int(export.genere_at.timestamp())
    response = get_conditional_response(request, etag=etag, last_modified=modifie)
    if response is None:
        try:
            fichier = export.fichier.open("rb")
        except FileNotFoundError:  # lost from the media: the beat's run writes it again
            return _en_preparation(request)
        moment = timezone.localtime(export.genere_at)
        response = FileResponse(
            fichier,
            content_type="text/csv; charset=utf-8",
            as_attachment=True,
            filename=f"atlaas-complet-{moment:%Y-%m-%d-%Hh%M}.csv",
        )
    response["ETag"] = etag
    response["Last-Modified"] = http_date(modifie)
    patch_cache_control(response, public=True, max_age=300)
    return response


# --- Atom feed --------------------------------------------------------------------------------


class FluxFiches(Feed):
    """The fiches published last, newest first (two queries)."""

    feed_type = Atom1Feed
    title = gettext_lazy("Atlaas — nouvelles actions publiées")
    subtitle = gettext_lazy("Les dernières actions numériques des collectivités publiées dans l'Atlaas.")
    nombre = 50

    def link(self):
        return absolue(None, reverse("atlaas:catalogue"))

    def feed_url(self):
        return absolue(None, reverse("atlaas:flux"))

    def items(self):
        return (
            FicheAction.objects.published()
            .select_related("collectivite")
            .prefetch_related("services")
            .defer("search_vector")
            .order_by("-published_at", "-pk")[: self.nombre]
        )

    def item_title(self, fiche):
        return fiche.titre  # an Atom title is plain text: the feed generator escapes it

    def item_description(self, fiche):
        # The Atom summary is HTML: the plain text is escaped once to stay plain text.
        return escape(fiche.sous_titre or Truncator(fiche.description).chars(300))

    def item_link(self, fiche):
        return absolue(None, reverse("atlaas:fiche_publique", args=[fiche.pk]))

    def item_guid(self, fiche):
        return self.item_link(fiche)

    def item_author_name(self, fiche):
        return fiche.collectivite.nom

    def item_author_link(self, fiche):
        return absolue(None, fiche.collectivite.get_absolute_url())

    def item_categories(self, fiche):
        return [service.nom for service in fiche.services.all()]

    def item_pubdate(self, fiche):
        return fiche.published_at

    def item_updateddate(self, fiche):
        return fiche.published_at
