"""Certificates and badges of the laureates.

``certificat_pdf`` is the renderer of a certificate row (see ``label.documents``): one A4 page,
fonts named explicitly, the QR code inlined as a data URI, nothing fetched from outside, and the
style parsed once per process (parsing it took a third of each render), so that a render stays
around 20 ms once WeasyPrint is loaded. The certificates of a lot are laid out and written
together, each to its own PDF (``preparer_lot``), the same page as alone. The PDF is tagged
(PDF/UA-1) and archivable (PDF/A-2u, ``label.pdf``); its reading order is the page's HTML order,
whatever the style positions.
``badge_svg`` and ``code_integration`` give the badge a laureate shows on its own website.
"""

import functools

from django.conf import settings
from django.db.models import Prefetch
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.html import escape, format_html
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from . import pdf
from .models import Mention, Resultat


def url_verification(document):
    """The absolute URL of the public page that confirms the certificate (its QR code's target)."""
    return settings.SITE_URL + reverse("label:certificat_verification", args=[document.uuid])


def url_badge(collectivite, annee):
    return settings.SITE_URL + reverse("label:badge", args=[collectivite.code, annee])


def arobases(niveau):
    """« 4 arobases »: the level in words, next to the drawn « @@@@ »."""
    return ngettext("%(n)s arobase", "%(n)s arobases", niveau) % {"n": niveau}


def nom_fichier(collectivite, annee):
    return f"certificat-{slugify(collectivite.nom)}-{annee}.pdf"


def resultat_de(document):
    """The published result a certificate states, with what it shows."""
    return (
        Resultat.objects.select_related("candidature__collectivite__departement")
        .prefetch_related(Prefetch("mentions", queryset=Mention.objects.order_by("ordre", "nom")))
        .get(candidature_id=document.candidature_id)
    )


def qr_code(url):
    """The QR code of ``url`` as a PNG data URI, one pixel per module, enlarged without smoothing
    by the style (cheaper to draw than SVG); medium error correction survives a print. The mask
    is fixed: any of the eight is valid, and trying them all took a sixth of a certificate."""
    import segno

    return segno.make_qr(url, error="m", mask=0).png_data_uri(scale=1, border=2)


def titre_certificat(collectivite, annee):
    """The certificate's title, which PDF readers show instead of its file name."""
    return _("Certificat du label Territoires, Villes et Villages Internet %(annee)s — %(nom)s") % {
        "annee": annee,
        "nom": collectivite.nom,
    }


def contexte(document, resultat):
    """What the page of a certificate shows (``label/pdf/_certificat.html``)."""
    candidature = resultat.candidature
    url = url_verification(document)
    return {
        "document": document,
        "edition": document.edition,
        "resultat": resultat,
        "candidature": candidature,
        "collectivite": candidature.collectivite,
        "mentions": [m.nom for m in resultat.mentions.all()],
        "arobases": "@" * resultat.niveau,
        "niveau_en_lettres": arobases(resultat.niveau),
        "url": url,
        "qr_code": qr_code(url),
    }


def certificats_html(certificats):
    """The HTML of certificates, ``(document, result)`` pairs, one page each, under the first
    one's title."""
    document, resultat = certificats[0]
    with translation.override(settings.LANGUAGE_CODE):
        pages = [render_to_string("label/pdf/_certificat.html", contexte(d, r)) for d, r in certificats]
        titre = titre_certificat(resultat.candidature.collectivite, document.edition.annee)
        return render_to_string("label/pdf/certificat.html", {"titre": titre, "pages": pages})


def certificat_html(document, resultat=None):
    return certificats_html([(document, resultat or resultat_de(document))])


STYLE = """
@page { size: A4 landscape; margin: 10mm; }
body { margin: 0; font-family: "DejaVu Serif", serif; color: #111; }
.cadre { box-sizing: border-box; height: 184mm; margin: 3mm; padding: 12mm 16mm 0;
  border: 2.5pt solid #1d3f72; outline: 0.8pt solid #1d3f72; outline-offset: 2mm;
  position: relative; text-align: center; }
.cadre + .cadre { break-before: page; } /* a lot's certificates, laid out together */
.label { font-family: "DejaVu Sans", sans-serif; font-size: 12pt; font-weight: bold;
  color: #1d3f72; margin: 0; }
h1 { font-size: 32pt; font-weight: normal; margin: 7mm 0 2mm; color: #1d3f72; }
.decerne { font-size: 13pt; margin: 0; font-style: italic; }
.nom { font-size: 30pt; font-weight: bold; margin: 4mm 0 1mm; }
.lieu { font-family: "DejaVu Sans", sans-serif; font-size: 12pt; margin: 0; color: #333; }
.arobases { font-family: "DejaVu Sans", sans-serif; font-size: 60pt; font-weight: bold;
  color: #1d3f72; margin: 6mm 0 0; line-height: 1.1; }
.niveau { font-family: "DejaVu Sans", sans-serif; font-size: 13pt; margin: 0 0 5mm; }
.distinctions { font-size: 12pt; margin: 1.5mm 0; }
.ceremonie { font-size: 11pt; margin: 6mm 0 0; }
.signatures { position: absolute; left: 16mm; bottom: 10mm; width: 130mm; text-align: left;
  font-family: "DejaVu Sans", sans-serif; font-size: 10pt; }
.signatures p { margin: 0 0 2mm; }
.verification { position: absolute; right: 10mm; bottom: 6mm; width: 105mm; text-align: right;
  font-family: "DejaVu Sans", sans-serif; font-size: 7pt; color: #333; }
.verification img { width: 28mm; height: 28mm; image-rendering: pixelated; display: block;
  margin: 0 0 1mm auto; }
.verification p { margin: 0; }
"""


@functools.cache
def _style():
    """The certificate's stylesheet and fonts, parsed once per process (after a worker forks)."""
    from weasyprint import CSS
    from weasyprint.text.fonts import FontConfiguration

    fonts = FontConfiguration()
    return CSS(string=STYLE, font_config=fonts), fonts


def mettre_en_page(html):
    style, fonts = _style()
    return pdf.mettre_en_page(html, archive=True, stylesheets=[style], font_config=fonts)


def rendre_pdf(html):
    """The WeasyPrint render of a certificate page, tagged and archivable (also what the
    benchmark compares with)."""
    return pdf.ecrire(mettre_en_page(html), archive=True)


def _resultat(document):
    try:
        return document.candidature.resultat
    except Resultat.DoesNotExist:
        return None


def preparer_lot(documents):
    """Lay out the certificates of a lot together, once: one HTML parse, one cascade and one
    layout for the lot instead of one per certificate (a sixth of a render, bench/README.md);
    then write each page to its own PDF, the fonts subset once for the lot
    (``pdf.ecrire_pages``). Each row keeps its PDF (``pdf_du_lot``), which ``certificat_pdf``
    gives: the page it makes alone, to the pixel. If the pages do not match the certificates one
    to one (a certificate running onto a second page), none is kept: each is rendered alone."""
    lot = [(document, _resultat(document)) for document in documents]
    lot = [(document, resultat) for document, resultat in lot if resultat is not None]
    if len(lot) < 2:
        return
    ensemble = mettre_en_page(certificats_html(lot))
    if len(ensemble.pages) != len(lot):
        return
    with translation.override(settings.LANGUAGE_CODE):
        titres = [titre_certificat(r.candidature.collectivite, d.edition.annee) for d, r in lot]
    for numero, contenu in enumerate(pdf.ecrire_pages(ensemble, titres, archive=True)):
        lot[numero][0].pdf_du_lot = contenu


def certificat_pdf(document):
    """Renderer of a certificate row: (file name, PDF bytes). The row is read by
    ``documents.lecture``, with its result; its PDF was written with its lot's, or is now."""
    resultat = _resultat(document)
    if resultat is None:  # the message staff read on the failed row
        raise Resultat.DoesNotExist("la candidature n’a pas (ou plus) de résultat")
    nom = nom_fichier(resultat.candidature.collectivite, document.edition.annee)
    contenu = getattr(document, "pdf_du_lot", None) or rendre_pdf(certificat_html(document, resultat))
    return nom, contenu


# --- Badge -----------------------------------------------------------------------------------

BADGE_LARGEUR, BADGE_HAUTEUR = 180, 72


def titre_badge(collectivite, annee, niveau):
    return _("%(nom)s : label Territoires, Villes et Villages Internet %(annee)s, %(niveau)s") % {
        "nom": collectivite.nom,
        "annee": annee,
        "niveau": arobases(niveau),
    }


def badge_svg(collectivite, annee, niveau):
    """The badge: the level drawn as arobases, the year and « Villes Internet », white on the
    portal's dark blue (contrast above 10:1), named for screen readers by its <title>. In the
    site's language, whoever asks: it is shown on the collectivité's own website."""
    with translation.override(settings.LANGUAGE_CODE):
        titre = escape(titre_badge(collectivite, annee, niveau))
        label = escape(_("Label %(annee)s") % {"annee": annee})
        nom_label = escape(_("Villes Internet"))
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{BADGE_LARGEUR}" height="{BADGE_HAUTEUR}" '
        f'viewBox="0 0 {BADGE_LARGEUR} {BADGE_HAUTEUR}" role="img" aria-labelledby="titre" xml:lang="fr">'
        f'<title id="titre">{titre}</title>'
        f'<rect width="{BADGE_LARGEUR}" height="{BADGE_HAUTEUR}" rx="8" fill="#1d3f72"/>'
        '<g fill="#ffffff" font-family="DejaVu Sans, Verdana, Arial, sans-serif" text-anchor="middle">'
        f'<text x="90" y="32" font-size="26" font-weight="bold" letter-spacing="1">{"@" * niveau}</text>'
        f'<text x="90" y="50" font-size="13">{nom_label}</text>'
        f'<text x="90" y="65" font-size="12" font-weight="bold">{label}</text>'
        "</g></svg>"
    )


def code_integration(collectivite, annee, niveau):
    """The HTML a collectivité pastes into its website: the badge, linking to its public page."""
    with translation.override(settings.LANGUAGE_CODE):
        titre = titre_badge(collectivite, annee, niveau)
    return format_html(
        '<a href="{}"><img src="{}" alt="{}" width="{}" height="{}"></a>',
        settings.SITE_URL + collectivite.get_absolute_url(),
        url_badge(collectivite, annee),
        titre,
        BADGE_LARGEUR,
        BADGE_HAUTEUR,
    )
