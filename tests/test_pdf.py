"""The render shared by the portal's PDFs: tagged, titled, in French; archivable on demand.
Each kind of document is checked in the tests of its own module (certificates, receipts,
palmarès, feedback)."""

import io
from xml.etree import ElementTree

from pypdf import PdfReader
from weasyprint.pdf.fonts import Font

from label import pdf
from tests.pdfs import (
    accessibilite,
    erreurs_weasyprint,
    pdf_text,
    pixels,
    polices,
    programmes,
    sous_ensembles,
)

PAGE = """<!DOCTYPE html>
<html lang="fr">
    <head>
        <meta charset="utf-8">
        <title>
            Document
            d’essai
        </title>
    </head>
    <body><h1>Essai</h1><p>Un paragraphe.</p><img src="{image}" alt="{alt}"></body>
</html>"""
# A one-pixel PNG.
IMAGE = (
    "data:image/png;base64,"
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAAAAAA6fptVAAAACklEQVR4nGNgAAAAAgABSK+kcQAAAABJRU5ErkJggg=="
)


def test_rendre_collapses_the_indented_title_and_tags_the_page(caplog):
    data = pdf.rendre(PAGE.format(image=IMAGE, alt="Un point"))
    infos = accessibilite(data)
    assert infos["titre"] == "Document d’essai"
    assert infos["balise"] == "yes" and infos["langue"] == "fr"
    assert infos["xmp"] == {"pdfuaid:part": "1"}
    assert [s for s in infos["structure"] if s[0] in ("/H1", "/P", "/Figure")] == [
        ("/H1", None),
        ("/P", None),
        ("/Figure", "Un point"),
    ]
    assert pdf_text(data) == "Essai Un paragraphe."
    assert not erreurs_weasyprint(caplog)


def test_rendre_gives_a_page_without_lang_the_sites_language(caplog):
    data = pdf.rendre(PAGE.replace(' lang="fr"', "").format(image=IMAGE, alt="Un point"))
    assert accessibilite(data)["langue"] == "fr"
    assert not erreurs_weasyprint(caplog)


def test_an_image_without_alt_is_reported(caplog):
    pdf.rendre(PAGE.format(image=IMAGE, alt=""))
    assert any("no required alt" in erreur for erreur in erreurs_weasyprint(caplog))


def test_archive_is_pdfa_2u_and_pdfua_1_with_the_extension_schema_pdfa_asks_for():
    data = pdf.rendre(PAGE.format(image=IMAGE, alt="Un point"), archive=True)
    infos = accessibilite(data)
    assert infos["balise"] == "yes" and infos["titre"] == "Document d’essai"
    assert infos["xmp"] == {"pdfaid:part": "2", "pdfaid:conformance": "U", "pdfuaid:part": "1"}
    reader = PdfReader(io.BytesIO(data))
    xmp = reader.trailer["/Root"]["/Metadata"].get_object().get_data()
    racine = ElementTree.fromstring(xmp)  # well-formed
    assert racine.find(".//{http://www.aiim.org/pdfa/ns/schema#}prefix").text == "pdfuaid"
    # PDF/A names the containers of an extension schema by their prefixes.
    assert b"<pdfaExtension:schemas>" in xmp and b"<pdfaSchema:namespaceURI>" in xmp
    assert b"<pdfaProperty:name>part</pdfaProperty:name>" in xmp
    assert reader.trailer["/Root"]["/OutputIntents"][0]["/S"] == "/GTS_PDFA1"
    assert reader.trailer.get("/ID")  # the file identifier PDF/A requires


PAGES = """<!DOCTYPE html>
<html lang="fr">
    <head><meta charset="utf-8"><title>Lot</title>
    <style>section + section {{ break-before: page; }} .sans {{ font-family: "DejaVu Sans"; }}</style>
    </head>
    <body>
        <section><h1>Agen</h1><p>Premier essai.</p></section>
        <section><h1>L’Haÿ-les-Roses</h1><p class="sans"><strong>Œuvre</strong> à Zürich</p>
            <img src="{image}" alt="Un point"></section>
        <section><h1>Îles-d’Œil</h1><p><em>Quatrième</em> page : XYZ 0123456789 €</p></section>
    </body>
</html>"""


def test_pages_written_together_are_each_the_page_written_alone_their_fonts_subset_once(monkeypatch, caplog):
    """The first page's PDF is built before the last page's glyphs are known: its fonts, subset
    once for the three, still draw it to the pixel."""
    document = pdf.mettre_en_page(PAGES.format(image=IMAGE), archive=True)
    titres = ["Agen", "L’Haÿ-les-Roses", "Îles-d’Œil"]
    entieres = sous_ensembles(monkeypatch)  # each font subset: its program's size whole

    ensemble = pdf.ecrire_pages(document, titres, archive=True)
    fontes, embarques = [polices(data) for data in ensemble], [programmes(data) for data in ensemble]
    noms = [nom for nom, _taille in entieres]
    assert len(noms) == len(set(noms)) == len(set().union(*fontes)) == 5
    assert len(fontes[0]) == 2  # only the fonts its page draws with
    for nom, taille in entieres:  # each subset once, the same program in every PDF
        contenus = {programmes_[nom] for programmes_ in embarques if nom in programmes_}
        assert len(contenus) == 1 and len(contenus.pop()) < taille / 4
    for numero, (titre, data, fonte) in enumerate(zip(titres, ensemble, fontes, strict=True)):
        seule = pdf.ecrire(pdf.page_seule(document, numero, titre), archive=True)
        infos = accessibilite(data)
        assert pixels(data) == pixels(seule)
        assert pdf_text(data) == pdf_text(seule)
        assert infos == accessibilite(seule)
        assert infos["titre"] == titre
        assert fonte == polices(seule) and all(integree for _nom, integree in fonte)
        assert PdfReader(io.BytesIO(data)).trailer.get("/ID")
    assert not erreurs_weasyprint(caplog)


def test_pages_drawn_with_a_forms_font_are_written_each_alone(monkeypatch):
    """A form's font is embedded whole, in the PDF of its page only (a variable font, made
    static at the size of its first text, likewise each page at its own)."""
    document = pdf.mettre_en_page("<html lang=fr><title>Lot</title><p>A<p style='break-before: page'>B")
    init = Font.__init__

    def dans_un_formulaire(police, *args):
        init(police, *args)
        police.used_in_forms = True

    monkeypatch.setattr(Font, "__init__", dans_un_formulaire)
    seules = [pdf.ecrire(pdf.page_seule(document, numero, titre)) for numero, titre in enumerate("AB")]
    assert pdf.ecrire_pages(document, ["A", "B"]) == seules
