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
"""

import copy
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
    metadata = document.metadata
    metadata.title = " ".join((metadata.title or "").split()) or None
    metadata.lang = metadata.lang or settings.LANGUAGE_CODE
    return document.write_pdf(finisher=declarer_pdfua if archive else None, **options)


def page_seule(document, numero, titre):
    """Page ``numero`` of a laid-out document as a document of its own, under ``titre``: pages
    laid out together, each written to its own PDF (``ecrire``), make the same bytes as each
    page laid out alone, when the style gives each its own page."""
    seule = document.copy([document.pages[numero]])
    seule.metadata = copy.copy(document.metadata)  # the copy would share the title
    seule.metadata.title = titre
    return seule


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
