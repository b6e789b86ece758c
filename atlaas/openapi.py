"""The OpenAPI 3.1 description of the Atlaas's read-only JSON API (atlaas/views/api.py).

The lists' parameters are read from the forms that check them (``FichesForm``, the catalogue's
``RechercheForm`` and the size of a page, and ``CollectivitesForm``, in ``atlaas.forms``), so a
filter added to the catalogue is documented here without a second list to keep in step. What the
document allows, the API accepts, and the reverse: an empty value (``type=``, as an HTML form
sends it) means « no filter » and is in each enum; a referential's codes and slugs are listed
from the database; tests/test_openapi.py runs Schemathesis against the two.
"""

from django import forms
from django.conf import settings
from django.core.validators import RegexValidator

from . import catalogue
from .forms import CODE_COLLECTIVITE, CollectivitesForm, FichesForm

NIVEAUX = list(range(1, 6))

DESCRIPTIONS = {
    "q": "Recherche en texte intégral, en français (guillemets pour une expression, - pour exclure, OR) ; "
    "vide, pas de recherche.",
    "categorie": "Slug d'une catégorie du référentiel des services.",
    "enjeu": "Slug d'un enjeu.",
    "service": "Slug d'un service.",
    "region": "Code INSEE de la région.",
    "departement": "Code INSEE du département.",
    "strate": "Strate de population de la collectivité.",
    "niveau": "Niveau actuel du label de la collectivité (1 à 5 arobases).",
    "annee": "Année de début de l'action.",
    "collectivite": "Code INSEE ou SIREN de la collectivité qui a publié l'action ; erreur 404 si "
    "aucune collectivité ne le porte.",
    "tri": "Ordre des résultats : pertinence (par défaut avec une recherche en texte) ou date "
    "de publication.",
    "page": "Numéro de la page (1 par défaut) ; une page au-delà de la dernière n'existe pas : erreur 404.",
    "par_page": f"Nombre de résultats par page ({catalogue.PAR_PAGE} par défaut).",
}
DEFAUTS = {"page": 1, "par_page": catalogue.PAR_PAGE}
# Django refuses a NUL character in a text field (400).
SANS_NUL = "^[^\\u0000]*$"


def description_type():
    """The ``type`` filter and field, with the threshold they use: the Atlaas knows no edition of
    the label, so a village is a commune under settings.SEUIL_VILLAGE inhabitants."""
    return (
        f"Type de la collectivité : village (commune de moins de {settings.SEUIL_VILLAGE} habitants, "
        "seuil du portail ; le type d'une candidature au label suit celui de son édition), ville "
        "(toute autre commune), territoire (intercommunalité)."
    )


def _ou_vide(valeurs):
    """The enum of a choice: an empty value, what an HTML form sends for a select left on
    « all », is accepted as no filter."""
    return {"type": "string", "enum": ["", *valeurs]}


def _schema_du_texte(champ):
    """A text field: its pattern (the validator's, which is not run on an empty value, hence
    written to match it too) or no NUL; its lengths, on what was sent (the fields do not strip
    it), empty apart."""
    motifs = [v.regex.pattern for v in champ.validators if isinstance(v, RegexValidator)]
    schema = {"type": "string", "pattern": motifs[0] if motifs else SANS_NUL}
    if champ.max_length is not None:
        schema["maxLength"] = champ.max_length
    if champ.min_length is not None:
        schema["anyOf"] = [{"maxLength": 0}, {"minLength": champ.min_length}]
    return schema


def _schema_du_champ(champ):
    """The JSON schema of a query parameter read by a Django form field (none is required)."""
    if isinstance(champ, forms.ModelChoiceField):  # a small referential: its codes or slugs
        cle = champ.to_field_name
        return _ou_vide(champ.queryset.order_by(cle).values_list(cle, flat=True))
    if isinstance(champ, forms.TypedChoiceField):
        return {"type": "integer", "enum": [champ.coerce(key) for key, _label in champ.choices if key]}
    if isinstance(champ, forms.ChoiceField):
        return _ou_vide(key for key, _label in champ.choices if key)
    if isinstance(champ, forms.IntegerField):
        schema = {"type": "integer"}
        if champ.min_value is not None:
            schema["minimum"] = champ.min_value
        if champ.max_value is not None:
            schema["maximum"] = champ.max_value
        return schema
    return _schema_du_texte(champ)


def _parametres(form, descriptions):
    """The query parameters read by ``form``, in its order."""
    parametres = []
    for nom, champ in form.base_fields.items():
        schema = _schema_du_champ(champ)
        if nom in DEFAUTS:
            schema["default"] = DEFAUTS[nom]
        description = descriptions.get(nom) or str(champ.label or nom)
        parametres.append(
            {"name": nom, "in": "query", "required": False, "description": description, "schema": schema}
        )
    return parametres


def parametres_fiches():
    """The query parameters of ``/api/fiches/``: the catalogue's filters, then ``par_page``."""
    return _parametres(FichesForm, {**DESCRIPTIONS, "type": description_type()})


def parametres_collectivites():
    q = CollectivitesForm.base_fields["q"]
    return _parametres(
        CollectivitesForm,
        {
            **DESCRIPTIONS,
            "q": "Nom (accents, casse, tirets et apostrophes indifférents, « oe » pour « œ », « St » pour "
            f"Saint), code INSEE, SIREN ou code postal ; de {q.min_length} à {q.max_length} caractères, "
            "vide pour ne pas chercher.",
            "type": description_type(),
        },
    )


def _ref(nom):
    return {"$ref": f"#/components/schemas/{nom}"}


def _json(description, schema):
    return {"description": description, "content": {"application/json": {"schema": schema}}}


def _objet(proprietes, requis=None):
    return {"type": "object", "properties": proprietes, "required": list(requis or proprietes)}


def _nullable(schema):
    return {"oneOf": [schema, {"type": "null"}]}


CHAINE = {"type": "string"}
ENTIER = {"type": "integer"}
URL = {"type": "string", "format": "uri"}
DATE = {"type": "string", "format": "date"}
CODE_NOM = _objet({"code": CHAINE, "nom": CHAINE})
SLUG_NOM = _objet({"slug": CHAINE, "nom": CHAINE})
NIVEAU = _nullable({"type": "integer", "enum": NIVEAUX})

ERREUR_400 = _json(
    "Paramètre invalide : les messages, en français, par paramètre.", _ref("ErreursParametres")
)
ERREUR_404 = _json("Introuvable.", _ref("Erreur"))
ERREUR_404_PAGE = _json(
    "Introuvable : une page au-delà de la dernière, ou une collectivité qu'aucune ne porte le code.",
    _ref("Erreur"),
)
ERREUR_405 = _json("Méthode non autorisée : l'API est en lecture seule (GET).", _ref("Erreur"))
ERREUR_500 = _json("Erreur du serveur.", _ref("Erreur"))


def _page_de(schema, **autres):
    return _objet(
        {
            "total": ENTIER,
            **autres,
            "page": ENTIER,
            "pages": ENTIER,
            "par_page": ENTIER,
            "suivante": _nullable(URL),
            "precedente": _nullable(URL),
            "resultats": {"type": "array", "items": _ref(schema)},
        }
    )


TOTAL_EXACT = {
    "type": "boolean",
    "description": (
        f"Faux quand au moins {catalogue.PLAFOND} fiches correspondent : le total, l'ordre et les "
        f"pages portent alors sur les {catalogue.PLAFOND} plus récemment publiées d'entre elles "
        "(précisez la recherche pour les avoir toutes, ou utilisez l'export CSV)."
    ),
}


def schemas():
    type_ = {"type": "string", "enum": list(catalogue.TYPES), "description": description_type()}
    fiche = _objet(
        {
            "id": ENTIER,
            "url": URL,
            "api_url": URL,
            "titre": CHAINE,
            "resume": CHAINE,
            "collectivite": _ref("CollectiviteDeFiche"),
            "services": {"type": "array", "items": _ref("Service")},
            "date_debut": DATE,
            "date_fin": _nullable(DATE),
            "en_cours": {"type": "boolean"},
            "publiee_le": {"type": "string", "format": "date-time"},
        }
    )
    details = {
        "description": CHAINE,
        "synthese": CHAINE,
        "resultats": CHAINE,
        "recommandations": CHAINE,
        "outils": CHAINE,
        "partenaires": CHAINE,
        "liens": {"type": "array", "items": URL},
        "public_cible": CHAINE,
        "budget": _nullable({"type": "integer", "description": "En euros."}),
        "contacts": {"type": "array", "items": _objet({"nom": CHAINE, "fonction": CHAINE})},
    }
    collectivite = _objet(
        {
            "code": {"type": "string", "description": "Code INSEE d'une commune, SIREN d'un EPCI."},
            "siren": CHAINE,
            "nom": CHAINE,
            "nature": {"type": "string", "enum": ["commune", "epci"]},
            "type": type_,
            "type_epci": {"type": "string", "enum": ["", "CC", "CA", "CU", "METRO", "MET69"]},
            "departement": _nullable(CODE_NOM),
            "region": _nullable(CODE_NOM),
            "population": ENTIER,
            "niveau": NIVEAU,
            "niveau_millesime": _nullable(ENTIER),
            "epci": _nullable({"type": "string", "description": "SIREN de l'EPCI d'une commune."}),
            "active": {"type": "boolean"},
            "url": URL,
            "api_url": URL,
            "fiches_publiees": ENTIER,
        }
    )
    return {
        "Service": _objet({"slug": CHAINE, "nom": CHAINE, "enjeu": SLUG_NOM, "categorie": SLUG_NOM}),
        "CollectiviteDeFiche": _objet(
            {
                "code": CHAINE,
                "nom": CHAINE,
                "type": type_,
                "departement": _nullable(CODE_NOM),
                "region": _nullable(CODE_NOM),
                "niveau": NIVEAU,
                "url": URL,
                "api_url": URL,
            }
        ),
        "Fiche": fiche,
        "FicheDetaillee": {
            "allOf": [_ref("Fiche"), _objet(details)],
        },
        "PageFiches": _page_de("Fiche", total_exact=TOTAL_EXACT),
        "Collectivite": collectivite,
        "CollectiviteDetaillee": {
            "allOf": [
                _ref("Collectivite"),
                {
                    "type": "object",
                    "properties": {
                        "membres": {
                            "type": "array",
                            "items": CHAINE,
                            "description": "Codes INSEE des communes membres (EPCI seulement).",
                        }
                    },
                },
            ]
        },
        "PageCollectivites": _page_de("Collectivite"),
        "Index": _objet({"nom": CHAINE, "description": CHAINE, "liens": {"type": "object"}}),
        "ErreursParametres": _objet(
            {
                "erreurs": {
                    "type": "object",
                    "additionalProperties": {"type": "array", "items": CHAINE},
                    "description": "Messages par paramètre.",
                }
            }
        ),
        "Erreur": _objet({"erreur": CHAINE}),
    }


def _get(resume, description, reponses, parametres=()):
    operation = {
        "summary": resume,
        "description": description,
        "responses": {**reponses, "405": ERREUR_405, "500": ERREUR_500},
    }
    if parametres:
        operation["parameters"] = list(parametres)
    return {"get": operation}


def _chemin(nom, description, schema):
    return {"name": nom, "in": "path", "required": True, "description": description, "schema": schema}


def document(site_url):
    """The OpenAPI document, the servers pointing at ``site_url``."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "API de l'Atlaas — Villes Internet",
            "version": "1.0.0",
            "description": (
                "Les fiches actions publiées dans l'Atlaas et le référentiel des collectivités, en "
                "lecture seule, sans authentification. Réponses en JSON (UTF-8), ouvertes à toutes les "
                "origines (CORS), en cache public cinq minutes. Le catalogue existe aussi en CSV "
                "(/atlaas/export.csv, mêmes paramètres) et les dernières publications en flux Atom "
                "(/atlaas/flux.atom). Les erreurs aussi sont en JSON : un paramètre invalide répond 400 "
                'avec ses messages ({"erreurs": {"page": ["…"]}}), le reste 404, 405 ou 500 avec '
                '{"erreur": "…"}. Une valeur vide (type=, comme l\'envoie un formulaire) vaut « pas de '
                "filtre ». Les liens des réponses (pages suivante et précédente, url, api_url) sont sur "
                "l'adresse à laquelle la requête est arrivée."
            ),
            "license": {"name": "Licence Ouverte 2.0", "url": "https://www.etalab.gouv.fr/licence-ouverte"},
        },
        "servers": [{"url": site_url}],
        "paths": {
            "/api/": _get(
                "Index de l'API",
                "Les liens vers les points d'accès et ce document.",
                {"200": _json("Les liens.", _ref("Index"))},
            ),
            "/api/openapi.json": _get(
                "Ce document",
                "La description OpenAPI 3.1 de l'API.",
                {"200": _json("Le document OpenAPI.", {"type": "object"})},
            ),
            "/api/fiches/": _get(
                "Rechercher les fiches actions publiées",
                "Les mêmes filtres que le catalogue de l'Atlaas, dans le même ordre.",
                {
                    "200": _json("Une page de résultats.", _ref("PageFiches")),
                    "400": ERREUR_400,
                    "404": ERREUR_404_PAGE,
                },
                parametres_fiches(),
            ),
            "/api/fiches/{pk}/": _get(
                "Une fiche action publiée",
                "Tous ses champs publics ; les adresses e-mail des contacts ne sont jamais données.",
                {"200": _json("La fiche.", _ref("FicheDetaillee")), "404": ERREUR_404},
                [_chemin("pk", "Identifiant de la fiche.", {"type": "integer", "minimum": 1})],
            ),
            "/api/collectivites/": _get(
                "Le référentiel des collectivités",
                "Les communes et intercommunalités actives, par nom (ou par pertinence avec q).",
                {
                    "200": _json("Une page de collectivités.", _ref("PageCollectivites")),
                    "400": ERREUR_400,
                    "404": _json("Introuvable : une page au-delà de la dernière.", _ref("Erreur")),
                },
                parametres_collectivites(),
            ),
            "/api/collectivites/{code}/": _get(
                "Une collectivité",
                "Une commune (code INSEE) ou une intercommunalité (SIREN) avec, pour celle-ci, les "
                "codes de ses communes membres.",
                {"200": _json("La collectivité.", _ref("CollectiviteDetaillee")), "404": ERREUR_404},
                [
                    _chemin(
                        "code",
                        "Code INSEE d'une commune ou SIREN d'une intercommunalité.",
                        {"type": "string", "pattern": f"^(?:{CODE_COLLECTIVITE})$"},
                    )
                ],
            ),
        },
        "components": {"schemas": schemas()},
    }
