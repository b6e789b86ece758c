"""The render of every PDF the portal generates: tagged, titled, in French (RGAA's criterion on
downloadable documents).

Certificates, the palmarès booklet, the deposit receipts and the jury's feedback are PDF/UA-1
(WeasyPrint's ``pdf/ua-1``): a structure tree in the order of the HTML (headings, paragraphs,
lists, tables with their headers, images as figures with their ``alt``), backgrounds and borders
as artifacts, the fonts embedded, the language of ``<html lang>`` and the title of ``<title>``,
shown by PDF readers instead of the file name. The templates indent their ``<title>``: its
whitespace is collapsed here, or the title starts with a line break and readers show it empty.

A certificate is also kept for years by the collectivité: ``archive=True`` makes it PDF/A-2u
(WeasyPrint's ``pdf/a-2u``: sRGB output intent, document identifier, XMP metadata) with the same
structure tree (``pdf_tags``), and declares PDF/UA-1 beside PDF/A-2 in its XMP metadata, with
the extension schema PDF/A-2 asks for a property it does not predefine (``pdfuaid``).
WeasyPrint writes one identification per render; ``pdf/a-2a``/``3a``, its only variants that
tag, claim PDF/A's level A but not PDF/UA, which says more about accessibility. PDF/A-2 rather
than 3 (which only adds embedded files of any kind) or 4 (PDF 2.0, which pairs with PDF/UA-2,
less supported by readers): PDF/A-2 and PDF/UA-1 are both on PDF 1.7, the pair veraPDF checks.

The pages of one layout that become separate PDFs (a lot of certificates) are written together
(``ecrire_pages``): WeasyPrint subsets and compresses each font program for every PDF it writes,
about half of a certificate's writing; written together, each program is subset once, to the
glyphs of all the pages, and compressed once, then given to each PDF. A page looks the same to the
pixel as written alone, its fonts holding the other pages' glyphs too.
"""

import copy
import io
import zlib
from xml.etree import ElementTree

from django.conf import settings

ACCESSIBLE = {"pdf_variant": "pdf/ua-1"}
ARCHIVE = {"pdf_variant": "pdf/a-2u", "pdf_tags": True}
RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PDFUAID = "http://www.aiim.org/pdfua/ns/id/"
# The PDF/A extension schema of PDF/UA's identification (ISO 19005-2, 6.6.2.3.2), its
# containers under the prefixes PDF/A requires (ElementTree's are global: WeasyPrint's too).
PREFIXES = {
    "pdfuaid": PDFUAID,
    "pdfaExtension": "http://www.aiim.org/pdfa/ns/extension/",
    "pdfaSchema": "http://www.aiim.org/pdfa/ns/schema#",
    "pdfaProperty": "http://www.aiim.org/pdfa/ns/property#",
}
for prefixe, uri in PREFIXES.items():
    ElementTree.register_namespace(prefixe, uri)
SCHEMA_PDFUA = f"""<rdf:Description rdf:about="" xmlns:rdf="{RDF}"
 xmlns:pdfaExtension="{PREFIXES["pdfaExtension"]}"
 xmlns:pdfaSchema="{PREFIXES["pdfaSchema"]}"
 xmlns:pdfaProperty="{PREFIXES["pdfaProperty"]}">
<pdfaExtension:schemas><rdf:Bag><rdf:li rdf:parseType="Resource">
<pdfaSchema:schema>PDF/UA Universal Accessibility Schema</pdfaSchema:schema>
<pdfaSchema:namespaceURI>{PDFUAID}</pdfaSchema:namespaceURI>
<pdfaSchema:prefix>pdfuaid</pdfaSchema:prefix>
<pdfaSchema:property><rdf:Seq><rdf:li rdf:parseType="Resource">
<pdfaProperty:name>part</pdfaProperty:name>
<pdfaProperty:valueType>Integer</pdfaProperty:valueType>
<pdfaProperty:category>internal</pdfaProperty:category>
<pdfaProperty:description>Part of ISO 14289 the document conforms to</pdfaProperty:description>
</rdf:li></rdf:Seq></pdfaSchema:property>
</rdf:li></rdf:Bag></pdfaExtension:schemas>
</rdf:Description>"""


def rendre(html, *, archive=False, stylesheets=None, font_config=None):
    """The PDF of an HTML page, as bytes: tagged PDF/UA-1, with ``archive`` also PDF/A-2u."""
    document = mettre_en_page(html, archive=archive, stylesheets=stylesheets, font_config=font_config)
    return ecrire(document, archive=archive)


def mettre_en_page(html, *, archive=False, stylesheets=None, font_config=None):
    """The WeasyPrint document of an HTML page, laid out: its pages, ready to be written."""
    from weasyprint import HTML  # imported on use: it takes most of a second

    options = ARCHIVE if archive else ACCESSIBLE
    return HTML(string=html, base_url=str(settings.BASE_DIR)).render(
        font_config=font_config, stylesheets=stylesheets, **options
    )


def ecrire(document, *, archive=False):
    """The PDF of a laid-out document (``mettre_en_page``), as bytes."""
    options = ARCHIVE if archive else ACCESSIBLE
    _metadonnees(document)
    return document.write_pdf(finisher=declarer_pdfua if archive else None, **options)


def _metadonnees(document):
    metadata = document.metadata
    metadata.title = " ".join((metadata.title or "").split()) or None
    metadata.lang = metadata.lang or settings.LANGUAGE_CODE


def ecrire_pages(document, titres, *, archive=False):
    """Each page of a laid-out document written to a PDF of its own under its title, as bytes:
    what ``ecrire`` makes of each page laid out alone, when the style gives each its own page,
    but for the font programs, subset and compressed once for all the pages.

    This is ``Document.write_pdf`` in two steps (WeasyPrint 70, pinned in the requirements): each
    PDF is built (``generate_pdf``, then the finisher, which reads only the metadata) with its
    font programs whole; then each program is subset to the glyphs of all the pages and put in
    every PDF, which is then written. Pages drawn with a variable font (made static at a size)
    or a form's font (embedded whole) are written each alone instead, as ``ecrire`` does."""
    import pydyf
    from weasyprint import DEFAULT_OPTIONS
    from weasyprint.pdf import VARIANTS, generate_pdf

    options = {**DEFAULT_OPTIONS, **(ARCHIVE if archive else ACCESSIBLE)}
    _, proprietes = VARIANTS[options["pdf_variant"]]
    for cle, valeur in tuple(options.items()):  # what write_pdf does for a variant
        if valeur is None and cle in proprietes:
            options[cle] = proprietes[cle]
    programmes, construits = {}, []
    for numero, titre in enumerate(titres):
        seule = page_seule(document, numero, titre)
        _metadonnees(seule)
        seule.fonts = _Polices()
        construit = generate_pdf(seule, None, 1, **options)
        if archive:
            declarer_pdfua(seule, construit)
        polices = [police for police in seule.fonts.values() if not police.bitmap]  # bitmaps: no program
        if any("fvar" in police.tables or police.used_in_forms for police in polices):
            return _une_a_une(document, titres, archive)
        par_contenu = {
            id(police.file_content): programmes.setdefault(police.hash, _Programme(police)).retenir(police)
            for police in polices
        }
        trouves = set()
        for flux in construit.objects:
            if isinstance(flux, pydyf.Stream) and len(flux.stream) == 1 and id(flux.stream[0]) in par_contenu:
                trouves.add(par_contenu[id(flux.stream[0])].attendre(flux))
        if trouves != set(par_contenu.values()):
            raise RuntimeError("Un programme de police n’est pas dans le PDF construit par WeasyPrint")
        seule.fonts.clear()  # the page's whole programs let go (each program keeps the first page's)
        construits.append(construit)
    for programme in programmes.values():
        programme.remplir(options["hinting"])
    sorties = []
    for construit in construits:
        sortie = io.BytesIO()
        construit.write(
            sortie, options["pdf_version"], options["pdf_identifier"], not options["uncompressed_pdf"]
        )
        sorties.append(sortie.getvalue())
    return sorties


def _une_a_une(document, titres, archive):
    return [ecrire(page_seule(document, n, titre), archive=archive) for n, titre in enumerate(titres)]


def page_seule(document, numero, titre):
    """Page ``numero`` of a laid-out document as a document of its own, under ``titre``."""
    seule = document.copy([document.pages[numero]])
    seule.metadata = copy.copy(document.metadata)  # the copy would share the title
    seule.metadata.title = titre
    return seule


def _sans_sous_ensemble(to_unicode, hinting):
    """``Font.clean`` while a PDF of ``ecrire_pages`` is built: the program stays whole."""


class _Polices(dict):
    """The fonts of a PDF of ``ecrire_pages``: WeasyPrint subsets each program as it builds the
    PDF (``Font.clean``); here the program stays whole, to be subset with the other pages'."""

    def __setitem__(self, cle, police):
        police.clean = _sans_sous_ensemble
        super().__setitem__(cle, police)


class _Programme:
    """A font program of the PDFs of ``ecrire_pages``: whole (the first page's copy) until every
    page has drawn with it, then subset once, as WeasyPrint subsets it for one PDF, to the glyphs
    of all the pages, compressed once and put in each PDF's font file stream."""

    def __init__(self, police):
        self.police, self.glyphes, self.flux = police, {}, []

    def retenir(self, police):
        """The glyphs a page drew with this program; a glyph no font has is drawn as .notdef,
        whose outline is then kept."""
        self.glyphes.update(police.to_unicode)
        self.police.missing.update(police.missing)
        return self

    def attendre(self, flux):
        """A PDF's font file stream, emptied until the program is subset."""
        flux.stream = []
        self.flux.append(flux)
        return self

    def remplir(self, hinting):
        police = self.police
        type(police).clean(police, self.glyphes, hinting)  # WeasyPrint's subset, once
        contenu, compresse = police.file_content, None
        for flux in self.flux:
            if "Length1" in flux.extra:  # TrueType
                flux.extra["Length1"] = len(contenu)
            if flux.compress:
                compresse = compresse or zlib.compress(contenu, 9)  # pydyf's level
                flux.stream, flux.compress = [compresse], False
                flux.extra["Filter"] = "/FlateDecode"
            else:
                flux.stream = [contenu]


def declarer_pdfua(document, pdf):
    """Finisher of a PDF/A render: add PDF/UA-1's identification (``pdfuaid:part``) to the
    description that holds PDF/A's in the XMP metadata stream, and its extension schema."""
    flux = pdf.objects[int(pdf.catalog["Metadata"].split()[0])]
    xmp = b"".join(flux.stream)
    debut, fin = xmp.index(b"<rdf:RDF"), xmp.index(b"</rdf:RDF>") + len(b"</rdf:RDF>")
    rdf = ElementTree.fromstring(xmp[debut:fin])
    rdf.find(f"{{{RDF}}}Description").set(f"{{{PDFUAID}}}part", "1")
    rdf.append(ElementTree.fromstring(SCHEMA_PDFUA))
    flux.stream = [xmp[:debut] + ElementTree.tostring(rdf, encoding="utf-8") + xmp[fin:]]
