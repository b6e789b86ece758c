"""The files of a published edition's palmarès: CSV, JSON and the PDF booklet (docs/palmares.md).
``label.documents.RENDUS`` names each renderer by its dotted path."""

import csv
import io
import json

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from villes_internet.tableur import cellule

from .. import pdf
from .cache import construire
from .filtres import _groupes, niveau_lu

COLONNES = [
    "annee",
    "code",
    "nom",
    "type",
    "departement",
    "region",
    "population",
    "niveau",
    "niveau_precedent",
    "progression",
    "mentions",
    "ten",
]
SCHEMA_VERSION = 1


def _du_document(document):
    edition = document.edition
    if not edition.est_publiee:
        raise ValueError(f"Le {edition} n'est pas publié.")
    return construire(edition.annee, edition)


def _par_niveau(laureats):
    return sorted(laureats, key=lambda x: -x.niveau)  # by name within a level (stable sort)


def palmares_csv(document):
    """One row per laureate, UTF-8 with a BOM, « ; » between cells (docs/palmares.md)."""
    palmares = _du_document(document)
    tampon = io.StringIO()
    writer = csv.writer(tampon, delimiter=";")
    writer.writerow(COLONNES)
    for laureat in _par_niveau(palmares.laureats):
        if laureat.ecart is not None:
            progression = laureat.ecart
        else:
            progression = "première participation" if laureat.premiere else ""
        valeurs = [
            palmares.annee,
            laureat.code,
            laureat.nom,
            laureat.type,
            laureat.departement,
            laureat.region,
            laureat.population,
            laureat.niveau,
            laureat.niveau_precedent,
            progression,
            " | ".join(laureat.mentions),
            "oui" if laureat.ten else "non",
        ]
        writer.writerow([cellule(valeur) for valeur in valeurs])
    return f"palmares-{palmares.annee}.csv", ("\ufeff" + tampon.getvalue()).encode()


def _laureat_json(laureat):
    return {
        "code": laureat.code,
        "nom": laureat.nom,
        "nature": laureat.nature,
        "type": laureat.type,
        "departement": laureat.departement or None,
        "region": laureat.region_code or None,
        "region_nom": laureat.region or None,
        "outre_mer": laureat.outre_mer,
        "population": laureat.population,
        "niveau": laureat.niveau,
        "niveau_precedent": laureat.niveau_precedent,
        "annee_precedente": laureat.annee_precedente,
        "progression": laureat.ecart,
        "premiere_participation": laureat.premiere,
        "mentions": laureat.mentions,
        "ten": laureat.ten,
    }


def _reference(laureat):
    return {"code": laureat.code, "nom": laureat.nom, "population": laureat.population} if laureat else None


def donnees_json(palmares):
    """The palmarès as the documented JSON object (docs/palmares.md)."""
    edition, chiffres = palmares.edition, palmares.chiffres
    return {
        "schema": SCHEMA_VERSION,
        "edition": {
            "annee": palmares.annee,
            "numero": edition.numero,
            "ceremonie_date": edition.ceremonie_date.isoformat() if edition.ceremonie_date else None,
            "ceremonie_lieu": edition.ceremonie_lieu or None,
            "publie_le": edition.publie_at.isoformat(),
        },
        "chiffres": {
            "laureats": chiffres.laureats,
            "par_niveau": {str(n): nombre for n, _arobases, nombre in chiffres.par_niveau},
            "par_type": {t.type: t.nombre for t in chiffres.par_type},
            "communes_couvertes": chiffres.communes,
            "habitants_couverts": chiffres.habitants,
            "premieres_participations": chiffres.premieres,
            "part_premieres_participations": chiffres.part_premieres,
            "plus_petit": _reference(chiffres.plus_petit),
            "plus_grand": _reference(chiffres.plus_grand),
            "ten": [laureat.code for laureat in chiffres.ten],
            "mentions": [
                {"nom": nom, "laureats": [laureat.code for laureat in laureats]}
                for nom, laureats in chiffres.mentions
            ],
            "fiches": chiffres.fiches,
        },
        "laureats": [_laureat_json(laureat) for laureat in _par_niveau(palmares.laureats)],
    }


def palmares_json(document):
    donnees = donnees_json(_du_document(document))
    contenu = json.dumps(donnees, ensure_ascii=False, indent=2) + "\n"
    return f"palmares-{donnees['edition']['annee']}.json", contenu.encode()


def palmares_pdf(document):
    """The booklet: cover, key figures, laureates by level then région (overseas after), a
    tagged PDF (``label.pdf``)."""
    palmares = _du_document(document)
    niveaux = []
    for niveau in range(5, 0, -1):
        laureats = [laureat for laureat in palmares.laureats if laureat.niveau == niveau]
        if laureats:
            regions = _groupes(laureats, "region", "")
            regions.sort(key=lambda g: any(x.outre_mer for x in g.laureats))  # overseas last
            niveaux.append(
                {
                    "arobases": "@" * niveau,
                    "titre": niveau_lu(niveau),
                    "nombre": len(laureats),
                    "regions": regions,
                }
            )
    with translation.override(settings.LANGUAGE_CODE):
        html = render_to_string(
            "label/pdf/palmares.html",
            {
                "palmares": palmares,
                "edition": palmares.edition,
                "chiffres": palmares.chiffres,
                "niveaux": niveaux,
            },
        )
    return f"palmares-{palmares.annee}.pdf", pdf.rendre(html)
