"""The referential of services (Catégorie → Enjeu → Service) is data: a JSON tree loaded here."""

import json
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify

from .models import Categorie, Enjeu, Service

SHIPPED_FILE = Path(__file__).parent / "data" / "taxonomie.json"
FORMAT = "villes-internet/taxonomie"


class TaxonomieError(ValueError):
    pass


def read_tree(path=SHIPPED_FILE):
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise TaxonomieError(f"{path} : fichier illisible ({exc}).") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise TaxonomieError(f"{path} : ce n'est pas un fichier de taxonomie ({FORMAT!r} attendu).")
    for i, categorie in enumerate(data.get("categories") or []):
        where = f"catégorie {i + 1}"
        if not isinstance(categorie, dict) or not str(categorie.get("nom", "")).strip():
            raise TaxonomieError(f"{where} : nom manquant.")
        for j, enjeu in enumerate(categorie.get("enjeux") or []):
            if not isinstance(enjeu, dict) or not str(enjeu.get("nom", "")).strip():
                raise TaxonomieError(f"{where}, enjeu {j + 1} : nom manquant.")
            if not all(isinstance(s, str) and s.strip() for s in enjeu.get("services") or []):
                raise TaxonomieError(f"{where}, enjeu « {enjeu['nom']} » : service sans nom.")
    return data


@transaction.atomic
def import_tree(data):
    """Create what is missing, matched by slug; never change what staff edited. Returns counts."""
    created = {"categories": 0, "enjeux": 0, "services": 0}
    for i, cat in enumerate(data["categories"]):
        categorie, new = Categorie.objects.get_or_create(
            slug=slugify(cat["nom"]), defaults={"nom": cat["nom"], "ordre": i}
        )
        created["categories"] += new
        for j, enj in enumerate(cat.get("enjeux") or []):
            enjeu, new = Enjeu.objects.get_or_create(
                slug=slugify(enj["nom"]), defaults={"nom": enj["nom"], "categorie": categorie, "ordre": j}
            )
            created["enjeux"] += new
            for k, nom in enumerate(enj.get("services") or []):
                _, new = Service.objects.get_or_create(
                    slug=slugify(nom)[:150], defaults={"nom": nom, "enjeu": enjeu, "ordre": k}
                )
                created["services"] += new
    return created
