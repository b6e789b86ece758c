"""What a generated PDF tells a screen reader and an archive: pdfinfo's fields (poppler-utils),
the catalog and the XMP metadata read with pypdf, the text in reading order (pdftotext), the page
as drawn (pdftoppm). No
veraPDF here (a Java tool, not packaged by Debian): these are the checks it would start with."""

import io
import logging
import subprocess
from xml.etree import ElementTree

from pypdf import PdfReader
from pypdf.generic import ArrayObject, DictionaryObject

RDF = "http://www.w3.org/1999/02/22-rdf-syntax-ns#"
PREFIXES = {"http://www.aiim.org/pdfa/ns/id/": "pdfaid", "http://www.aiim.org/pdfua/ns/id/": "pdfuaid"}


def pdf_text(data, layout=False):
    """The PDF's text as pdftotext reads it (with ``layout``, as laid out on the page), its
    whitespace collapsed."""
    options = ["-layout"] if layout else []
    sortie = subprocess.run(["pdftotext", *options, "-", "-"], input=data, capture_output=True, check=True)
    return " ".join(sortie.stdout.decode().split())


def pixels(data, resolution=100):
    """The PDF's first page as pdftoppm draws it (a PPM image, its bytes)."""
    commande = ["pdftoppm", "-r", str(resolution), "-f", "1", "-l", "1", "-singlefile", "-"]
    return subprocess.run(commande, input=data, capture_output=True, check=True).stdout


def sous_ensembles(monkeypatch):
    """The fonts WeasyPrint subsets from now on (``Font.clean``), in order: (name, size of the
    whole program) pairs."""
    from weasyprint.pdf.fonts import Font

    vus, clean = [], Font.clean

    def espion(police, *args):
        vus.append((police.name[1:].decode(), len(police.file_content)))
        return clean(police, *args)

    monkeypatch.setattr(Font, "clean", espion)
    return vus


def programmes(data):
    """The font programs the PDF's first page embeds: {font name: the program's bytes}."""
    programmes = {}
    for police in PdfReader(io.BytesIO(data)).pages[0]["/Resources"]["/Font"].values():
        police = police.get_object()
        descripteur = police["/DescendantFonts"][0].get_object()["/FontDescriptor"].get_object()
        programmes[police["/BaseFont"][1:]] = descripteur["/FontFile2"].get_object().get_data()
    return programmes


def pdfinfo(data):
    """pdfinfo's fields: {"Title": …, "Tagged": "yes", …}."""
    sortie = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True).stdout.decode()
    lignes = (ligne.partition(":") for ligne in sortie.splitlines())
    return {cle: valeur.strip() for cle, _, valeur in lignes}


def polices(data):
    """pdffonts' fonts: (name, embedded) pairs."""
    sortie = subprocess.run(["pdffonts", "-"], input=data, capture_output=True, check=True).stdout.decode()
    return [(ligne.split()[0], ligne.split()[-5] == "yes") for ligne in sortie.splitlines()[2:]]


def xmp(reader):
    """The identification properties of the XMP metadata: {"pdfaid:part": "2", …}."""
    if "/Metadata" not in reader.trailer["/Root"]:
        return {}
    racine = ElementTree.fromstring(reader.trailer["/Root"]["/Metadata"].get_object().get_data())
    proprietes = {}
    for description in racine.iter(f"{{{RDF}}}Description"):
        for nom, valeur in description.attrib.items():
            uri, _, local = nom[1:].partition("}")
            if uri in PREFIXES:
                proprietes[f"{PREFIXES[uri]}:{local}"] = valeur
    return proprietes


def structure(element):
    """The structure elements under ``element``, depth first (the reading order of a screen
    reader), as (type, alternative text) pairs."""
    element = element.get_object()
    elements = [(element["/S"], element.get("/Alt"))] if "/S" in element else []
    enfants = element.get("/K")
    for enfant in enfants if isinstance(enfants, ArrayObject) else [enfants]:
        enfant = enfant.get_object() if enfant is not None else None
        if isinstance(enfant, DictionaryObject) and enfant.get("/Type", "/StructElem") == "/StructElem":
            elements += structure(enfant)
    return elements


def accessibilite(data):
    """What the PDF declares: pdfinfo's title and tagging, the catalog's language, marking and
    structure tree, the XMP identifications."""
    infos = pdfinfo(data)
    reader = PdfReader(io.BytesIO(data))
    catalogue = reader.trailer["/Root"]
    return {
        "titre": infos.get("Title"),
        "balise": infos.get("Tagged"),
        "langue": catalogue.get("/Lang"),
        "marque": bool(catalogue.get("/MarkInfo", {}).get("/Marked")),
        "titre_affiche": bool(catalogue.get("/ViewerPreferences", {}).get("/DisplayDocTitle")),
        "structure": structure(catalogue["/StructTreeRoot"]) if "/StructTreeRoot" in catalogue else [],
        "xmp": xmp(reader),
    }


def erreurs_weasyprint(caplog):
    """What WeasyPrint logged as errors (a missing ``lang``, an image without ``alt``…)."""
    erreurs = [r for r in caplog.records if r.name.startswith("weasyprint") and r.levelno >= logging.ERROR]
    return [r.getMessage() for r in erreurs]
