"""The public palmarès of a published edition: its laureates, key figures, filters, files and cache.

Nothing here shows an unpublished edition: the pages start from ``annees()`` (the public years),
the files from the ``Document`` rows that only a publication creates. A year of imported history
(``Labellisation`` rows, without an edition or without results) is public too, with fewer columns.

Cache: the laureates and key figures of a year are kept under a *version* of that year, the
moment of its last change (publication or the latest decision): ``apres_correction`` writes the
new one after a staff correction, so that every page and file built on the old one is dropped.
"""

import csv
import datetime
import io
import json
import re
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.core.cache import cache
from django.core.signals import setting_changed
from django.db.models import Exists, Max, OuterRef, Q, Subquery
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext, pgettext_lazy

from atlaas import catalogue
from atlaas.francais import normaliser_nom, sans_accents
from atlaas.models import Collectivite, FicheAction
from outbox import envois
from villes_internet.tableur import cellule

from .documents import queue_generation
from .models import Candidature, Document, Edition, Labellisation, Resultat, TypeCandidature
from .publication import resultats

ANNEES = "palmares:annees"
ANNEES_TTL = 60  # a new publication shows in the other years' navigation within a minute
DONNEES_TTL = 24 * 3600
HISTORIQUE = "historique"  # the version of a year of imported history (its pages expire)
Q_MAX = 100
FICHIERS = (Document.Kind.PALMARES_CSV, Document.Kind.PALMARES_JSON, Document.Kind.PALMARES_PDF)


# --- Laureates ----------------------------------------------------------------------------------


@dataclass
class Laureat:
    """One line of the palmarès, plain values only (kept in the cache, any language)."""

    collectivite_id: int
    code: str
    nom: str
    nature: str
    departement: str  # INSEE code
    departement_nom: str
    region_code: str
    region: str
    outre_mer: bool
    population: int
    type: str  # TypeCandidature value; "" for imported history
    niveau: int
    niveau_precedent: int | None
    annee_precedente: int | None
    premiere: bool  # no earlier label and no earlier submitted candidature
    ten: bool
    mentions: list = field(default_factory=list)
    candidature_id: int | None = None

    @property
    def ecart(self):
        """Level minus the previous level, or None without a previous label."""
        return None if self.niveau_precedent is None else self.niveau - self.niveau_precedent

    @property
    def progression(self):
        """« +1 », « = », « −2 », « première participation » or ""."""
        if self.ecart is None:
            return str(_("première participation")) if self.premiere else ""
        if self.ecart == 0:
            return "="
        return f"+{self.ecart}" if self.ecart > 0 else f"−{-self.ecart}"

    @property
    def progression_lue(self):
        """The progression in words, for screen readers."""
        if self.ecart is None:
            return self.progression
        if self.ecart == 0:
            return _("niveau inchangé")
        n = abs(self.ecart)
        if self.ecart > 0:
            return ngettext("hausse d'%(n)s arobase", "hausse de %(n)s arobases", n) % {"n": n}
        return ngettext("baisse d'%(n)s arobase", "baisse de %(n)s arobases", n) % {"n": n}

    @property
    def type_libelle(self):
        return TypeCandidature(self.type).label if self.type else ""

    @property
    def strate(self):
        for cle, (_libelle, bas, haut) in catalogue.STRATES.items():
            if self.population >= bas and (haut is None or self.population < haut):
                return cle
        return ""

    @property
    def cle(self):
        return normaliser_nom(self.nom)


def _precedent(annee, vers):
    """The latest earlier label of the collectivité at ``vers`` (an OuterRef path)."""
    return Labellisation.objects.filter(collectivite=OuterRef(vers), annee__lt=annee).order_by("-annee")


def _deja_candidate(annee, vers):
    return Exists(
        Candidature.objects.filter(
            collectivite=OuterRef(vers), edition__annee__lt=annee, state=Candidature.State.DEPOSEE
        )
    )


def _laureat(collectivite, **valeurs):
    departement, region = collectivite.departement, collectivite.region
    return Laureat(
        collectivite_id=collectivite.pk,
        code=collectivite.code,
        nom=collectivite.nom,
        nature=collectivite.nature,
        departement=departement.code if departement else "",
        departement_nom=departement.nom if departement else "",
        region_code=region.code if region else "",
        region=region.nom if region else "",
        outre_mer=collectivite.outre_mer,
        population=collectivite.population,
        **valeurs,
    )


def _ordre(laureat):
    return (sans_accents(laureat.nom), laureat.nom, laureat.code)


def laureats_edition(edition):
    """The laureates of a published edition, by name (two queries)."""
    annee = edition.annee
    precedent = _precedent(annee, "candidature__collectivite")
    lignes = resultats(edition).annotate(
        niveau_precedent=Subquery(precedent.values("niveau")[:1]),
        annee_precedente=Subquery(precedent.values("annee")[:1]),
        deja_candidate=_deja_candidate(annee, "candidature__collectivite"),
    )
    laureats = [
        _laureat(
            r.candidature.collectivite,
            type=r.candidature.type,
            niveau=r.niveau,
            niveau_precedent=r.niveau_precedent,
            annee_precedente=r.annee_precedente,
            premiere=r.niveau_precedent is None and not r.deja_candidate,
            ten=r.ten,
            mentions=[m.nom for m in r.mentions.all()],
            candidature_id=r.candidature_id,
        )
        for r in lignes
    ]
    return sorted(laureats, key=_ordre)


def laureats_historique(annee):
    """The laureates of a year of imported history (one query): no type, their mentions as typed."""
    precedent = _precedent(annee, "collectivite")
    lignes = (
        Labellisation.objects.filter(annee=annee)
        .select_related("collectivite__departement", "collectivite__region")
        .annotate(
            niveau_precedent=Subquery(precedent.values("niveau")[:1]),
            annee_precedente=Subquery(precedent.values("annee")[:1]),
            deja_candidate=_deja_candidate(annee, "collectivite"),
        )
    )
    laureats = [
        _laureat(
            row.collectivite,
            type="",
            niveau=row.niveau,
            niveau_precedent=row.niveau_precedent,
            annee_precedente=row.annee_precedente,
            premiere=row.niveau_precedent is None and not row.deja_candidate,
            ten=row.ten,
            mentions=[ligne.strip() for ligne in row.mentions.splitlines() if ligne.strip()],
        )
        for row in lignes
    ]
    return sorted(laureats, key=_ordre)


# --- Key figures --------------------------------------------------------------------------------


@dataclass
class ParType:
    type: str
    nombre: int

    @property
    def libelle(self):
        return TypeCandidature(self.type).label


@dataclass
class Chiffres:
    laureats: int
    par_niveau: list  # [(niveau, "@@@", nombre)] from 5 to 1
    par_type: list  # [ParType]
    communes: int
    habitants: int
    premieres: int
    part_premieres: int  # percent, rounded
    plus_petit: Laureat | None
    plus_grand: Laureat | None
    ten: list  # [Laureat]
    mentions: list  # [(mention, [Laureat])]
    fiches: int | None  # None for imported history


def couverture(laureats):
    """(communes, inhabitants) covered: a territoire covers its member communes, a commune is
    counted once even when its EPCI is a laureate too (one query)."""
    populations = {
        laureat.collectivite_id: laureat.population
        for laureat in laureats
        if laureat.nature == Collectivite.Nature.COMMUNE
    }
    epcis = [laureat.collectivite_id for laureat in laureats if laureat.nature == Collectivite.Nature.EPCI]
    if epcis:
        membres = Collectivite.objects.communes().actives().filter(epci_id__in=epcis)
        populations.update(membres.values_list("pk", "population"))
    return len(populations), sum(populations.values())


def chiffres_cles(laureats, edition=None):
    """The key figures of a palmarès; ``edition`` None for imported history (no fiches)."""
    total = len(laureats)
    niveaux = defaultdict(int)
    types = defaultdict(int)
    mentions = defaultdict(list)
    for laureat in laureats:
        niveaux[laureat.niveau] += 1
        types[laureat.type] += 1
        for mention in laureat.mentions:
            mentions[mention].append(laureat)
    if edition is not None:  # the edition's catalogue order, then any other name
        ordre = {
            nom: i
            for i, nom in enumerate(edition.mentions.order_by("ordre", "nom").values_list("nom", flat=True))
        }
    else:
        ordre = {}
    communes, habitants = couverture(laureats)
    premieres = sum(laureat.premiere for laureat in laureats)
    fiches = None
    if edition is not None:
        fiches = (
            FicheAction.objects.filter(
                candidatures__edition=edition,
                candidatures__state=Candidature.State.DEPOSEE,
                candidatures__resultat__isnull=False,
            )
            .distinct()
            .count()
        )
    return Chiffres(
        laureats=total,
        par_niveau=[(n, "@" * n, niveaux[n]) for n in range(5, 0, -1)],
        par_type=[ParType(t.value, types[t.value]) for t in TypeCandidature] if edition is not None else [],
        communes=communes,
        habitants=habitants,
        premieres=premieres,
        part_premieres=round(100 * premieres / total) if total else 0,
        plus_petit=min(laureats, key=lambda x: (x.population, _ordre(x)), default=None),
        plus_grand=max(laureats, key=lambda x: (x.population, _ordre(x)), default=None),
        ten=[laureat for laureat in laureats if laureat.ten],
        mentions=sorted(
            mentions.items(), key=lambda item: (ordre.get(item[0], len(ordre)), sans_accents(item[0]))
        ),
        fiches=fiches,
    )


# --- A public year, its version, its data ---------------------------------------------------------


@dataclass
class Palmares:
    annee: int
    edition: Edition | None  # None for a year of imported history without an edition
    historique: bool  # built from Labellisation rows: the edition has no results
    laureats: list
    chiffres: Chiffres


def _annees_en_base():
    editions = {
        annee: (pk, publie_at)
        for annee, pk, publie_at in Edition.objects.values_list("annee", "pk", "publie_at")
    }
    historique = (
        Labellisation.objects.exclude(annee__in=editions)
        .order_by()
        .values_list("annee", flat=True)
        .distinct()
    )
    publiques = dict.fromkeys(historique)
    publiques.update({annee: pk for annee, (pk, publie_at) in editions.items() if publie_at})
    # The token changes each time the entry is rebuilt: the web processes' own copies of the
    # pages (views.palmares) live no longer than it.
    return dict(sorted(publiques.items(), reverse=True)), uuid.uuid4().hex


def annees():
    """{year: edition id or None} of the public years, latest first: the published editions
    and the years of imported history that no unpublished edition holds."""
    return _annees(cache.get_many([ANNEES, catalogue.VERSION]))[0]


def _annees(valeurs):
    """The cached list of years with its token, rebuilt after a minute, or at once after a
    publication: ``publication.publier`` calls ``catalogue.invalider``, whose version the entry
    was built under."""
    courante = valeurs.get(catalogue.VERSION)
    entree = valeurs.get(ANNEES)
    if entree is None or courante is None or entree[2] != courante:
        if courante is None:
            courante = cache.get_or_set(catalogue.VERSION, time.time_ns, None)
        entree = (*_annees_en_base(), courante)
        cache.set(ANNEES, entree, ANNEES_TTL)
    return entree[:2]


def _cle_version(annee):
    return f"palmares:version:{annee}"


def version_en_base(edition):
    """The moment of the edition's last change: its publication or a later decision."""
    derniere = Resultat.objects.filter(candidature__edition=edition).aggregate(m=Max("decided_at"))["m"]
    return max(filter(None, [edition.publie_at, derniere]))


@dataclass
class Etat:
    """What the cache says of a public year: one round trip to the cache when it knows."""

    edition_id: int | None
    version: str
    annees: list
    jeton: str  # changes with the list of years (see _annees_en_base)

    @property
    def modifie(self):
        return datetime.datetime.fromisoformat(self.version) if self.edition_id else None


ETAT_SECONDES = 1.0  # how long a web process trusts its own copy of a year's Etat
_etats = {}


def etat(annee):
    """The Etat of a public year, or None. A web process keeps it a second: on a ceremony-day
    crowd most requests then need no round trip to the cache; a correction reaches the other
    processes within that second (this one at once: ``invalider``)."""
    copie = _etats.get(annee)
    if copie and copie[0] > time.monotonic():
        return copie[1]
    resultat = _etat(annee)
    if resultat is not None:  # a year that becomes public shows at once
        _etats[annee] = (time.monotonic() + ETAT_SECONDES, resultat)
    return resultat


def oublier(**kwargs):
    """Forget this process' copies (after a correction; and when tests change settings, which
    they do at the start of each one: see the receiver below)."""
    _etats.clear()


setting_changed.connect(oublier, dispatch_uid="label.palmares.oublier")


def _etat(annee):
    valeurs = cache.get_many([ANNEES, catalogue.VERSION, _cle_version(annee)])
    publiques, jeton = _annees(valeurs)
    if annee not in publiques:
        return None
    edition_id = publiques[annee]
    if edition_id is None:
        return Etat(None, HISTORIQUE, list(publiques), jeton)
    version = valeurs.get(_cle_version(annee))
    if version is None:
        version = version_en_base(Edition.objects.get(pk=edition_id)).isoformat()
        cache.add(_cle_version(annee), version, None)  # a correction's newer value wins
    return Etat(edition_id, version, list(publiques), jeton)


def construire(annee, edition=None):
    """The palmarès of a public year, read from the database."""
    if edition is not None:
        laureats = laureats_edition(edition)
        if laureats or not Labellisation.objects.filter(annee=annee).exists():
            return Palmares(annee, edition, False, laureats, chiffres_cles(laureats, edition))
    laureats = laureats_historique(annee)
    return Palmares(annee, edition, True, laureats, chiffres_cles(laureats))


def charger(annee, edition_id, version):
    """The palmarès of a public year from the cache, built on a miss."""
    cle = f"palmares:donnees:{annee}:{version}"
    palmares = cache.get(cle)
    if palmares is None:
        edition = (
            Edition.objects.filter(pk=edition_id, publie_at__isnull=False).first() if edition_id else None
        )
        palmares = construire(annee, edition)
        cache.set(cle, palmares, DONNEES_TTL if edition_id else ANNEES_TTL * 60)
    return palmares


def a_la_une():
    """The latest public year's headline figures for the home page, or None (no query when
    cached): {"annee", "laureats", "communes", "habitants"}."""
    publiques = annees()
    if not publiques:
        return None
    annee = next(iter(publiques))
    etat_ = etat(annee)
    if etat_ is None:
        return None
    cle = f"palmares:une:{annee}:{etat_.version}"
    une = cache.get(cle)
    if une is None:
        chiffres = charger(annee, etat_.edition_id, etat_.version).chiffres
        une = {
            "annee": annee,
            "laureats": chiffres.laureats,
            "communes": chiffres.communes,
            "habitants": chiffres.habitants,
        }
        cache.set(cle, une, DONNEES_TTL)
    return une


# --- Filters and groups ---------------------------------------------------------------------------

PAR = {"niveau": _("Niveau"), "region": _("Région")}
FILTRES = ("niveau", "region", "departement", "type", "strate", "q", "par")


def niveau_lu(niveau):
    return ngettext("%(n)s arobase", "%(n)s arobases", niveau) % {"n": niveau}


class FiltresForm(forms.Form):
    """The palmarès' query string. An unknown value is shown as an error and ignored."""

    niveau = forms.TypedChoiceField(label=_("Niveau"), coerce=int, required=False, empty_value=None)
    region = forms.ChoiceField(label=_("Région"), required=False)
    departement = forms.ChoiceField(label=_("Département"), required=False)
    type = forms.ChoiceField(label=_("Type"), required=False)
    strate = forms.ChoiceField(label=_("Population"), required=False)
    q = forms.CharField(label=_("Nom de la collectivité"), required=False)
    par = forms.ChoiceField(
        label=_("Regrouper par"), choices=PAR.items(), required=False, widget=forms.RadioSelect
    )

    def __init__(self, data, palmares):
        data = data.copy()
        data.setdefault("par", "niveau")
        super().__init__(data)
        tous = [("", pgettext_lazy("filtre", "Tous"))]
        toutes = [("", pgettext_lazy("filtre", "Toutes"))]
        laureats = palmares.laureats
        self.fields["niveau"].choices = tous + [(n, niveau_lu(n)) for n in range(5, 0, -1)]
        regions = {x.region_code: x.region for x in laureats if x.region_code}
        self.fields["region"].choices = toutes + sorted(regions.items(), key=lambda c: sans_accents(c[1]))
        departements = {x.departement: x.departement_nom for x in laureats if x.departement}
        self.fields["departement"].choices = tous + [
            (code, f"{code} — {nom}") for code, nom in sorted(departements.items())
        ]
        if palmares.historique:  # type and population of that year are not known
            del self.fields["type"], self.fields["strate"]
        else:
            self.fields["type"].choices = tous + list(TypeCandidature.choices)
            self.fields["strate"].choices = toutes + [(k, v[0]) for k, v in catalogue.STRATES.items()]

    def clean_q(self):
        return " ".join(self.cleaned_data["q"].split())[:Q_MAX]

    def filtres(self):
        """The valid filters that are set."""
        self.is_valid()
        return {nom: valeur for nom, valeur in self.cleaned_data.items() if valeur not in (None, "")}

    @property
    def actifs(self):
        return any(nom != "par" for nom in self.filtres())


# The values a page kept in the cache may have: a name search, an unknown parameter or a
# malformed value is answered without keeping its page (the cache holds a bounded set).
FORMES = {
    "niveau": "[1-5]",
    "region": "[0-9A-Z]{2,3}",
    "departement": "[0-9][0-9AB][0-9]?",
    "type": "|".join(TypeCandidature.values),
    "strate": "|".join(catalogue.STRATES),
    "par": "|".join(PAR),
}


def cle_filtres(query):
    """The query string as an ordered tuple when its page may be kept in the cache, else None.
    Empty values (the form sends every field) count as absent."""
    cle = []
    for nom, valeurs in query.lists():
        valeurs = [valeur for valeur in valeurs if valeur.strip()]
        if not valeurs and nom in FILTRES:
            continue
        if nom not in FORMES or len(valeurs) != 1 or not re.fullmatch(FORMES[nom], valeurs[0]):
            return None
        cle.append((nom, valeurs[0]))
    return tuple(sorted(cle))


def filtrer(laureats, filtres):
    """The laureates matching the filters; each word of ``q`` is looked for in the name as a search
    by name does (``normaliser_nom``: accents, case, « œ », hyphens and apostrophes aside, « St »
    for Saint)."""
    mots = [cle for cle in map(normaliser_nom, filtres.get("q", "").split()) if cle]
    strate = filtres.get("strate")
    resultat = []
    for laureat in laureats:
        if "niveau" in filtres and laureat.niveau != filtres["niveau"]:
            continue
        if "region" in filtres and laureat.region_code != filtres["region"]:
            continue
        if "departement" in filtres and laureat.departement != filtres["departement"]:
            continue
        if "type" in filtres and laureat.type != filtres["type"]:
            continue
        if strate and laureat.strate != strate:
            continue
        if mots and not all(mot in laureat.cle for mot in mots):
            continue
        resultat.append(laureat)
    return resultat


@dataclass
class Groupe:
    id: str
    titre: str
    niveau: int | None
    laureats: list


def _groupes(laureats, par, prefixe):
    if par == "region":
        regions = defaultdict(list)
        for laureat in laureats:
            regions[(laureat.region_code, laureat.region)].append(laureat)
        return [
            Groupe(
                f"{prefixe}region-{code or 'aucune'}",
                nom or str(_("Sans région")),
                None,
                sorted(membres, key=lambda x: -x.niveau),  # stable: by name within a level
            )
            for (code, nom), membres in sorted(regions.items(), key=lambda item: sans_accents(item[0][1]))
        ]
    groupes = []
    for niveau in range(5, 0, -1):
        membres = [laureat for laureat in laureats if laureat.niveau == niveau]
        if membres:
            groupes.append(Groupe(f"{prefixe}niveau-{niveau}", niveau_lu(niveau), niveau, membres))
    return groupes


def grouper(laureats, par="niveau"):
    """(metropolitan groups, overseas groups), by level (5 to 1) or by région."""
    metropole = [laureat for laureat in laureats if not laureat.outre_mer]
    outre_mer = [laureat for laureat in laureats if laureat.outre_mer]
    return _groupes(metropole, par, ""), _groupes(outre_mer, par, "om-")


# --- Files ------------------------------------------------------------------------------------------

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
    """The booklet: cover, key figures, laureates by level then région (overseas after)."""
    from weasyprint import HTML  # imported on use: it takes most of a second

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
    return f"palmares-{palmares.annee}.pdf", HTML(string=html, base_url=str(settings.BASE_DIR)).write_pdf()


# --- A staff correction after publication ----------------------------------------------------------


def apres_correction(resultat, now=None):
    """Staff changed a result of a published edition (``workflow.decider``, inside its
    transaction): the label history and the collectivité's level follow, the palmarès files and
    that laureate's certificate are generated again, the palmarès pages are dropped."""
    now = now or timezone.now()
    candidature = Candidature.objects.select_related("edition").get(pk=resultat.candidature_id)
    edition = candidature.edition
    Labellisation.objects.update_or_create(
        collectivite_id=candidature.collectivite_id,
        annee=edition.annee,
        defaults={
            "niveau": resultat.niveau,
            "ten": resultat.ten,
            "mentions": "\n".join(m.nom for m in resultat.mentions.order_by("ordre", "nom")),
        },
    )
    Collectivite.objects.filter(pk=candidature.collectivite_id).exclude(
        niveau_millesime__gt=edition.annee
    ).update(niveau=resultat.niveau, niveau_millesime=edition.annee)
    Document.objects.filter(
        Q(edition=edition, candidature__isnull=True, kind__in=FICHIERS)
        | Q(candidature=candidature, kind=Document.Kind.CERTIFICAT)
    ).update(state=Document.State.ATTENTE, tentatives=0, erreur="", updated_at=now)
    envois.tache("label.tasks.invalider_palmares", edition.pk)
    queue_generation(edition.pk)


def invalider(edition_id):
    """Write the edition's new version: pages and data of the old one are never read again."""
    edition = Edition.objects.get(pk=edition_id)
    cache.set(_cle_version(edition.annee), version_en_base(edition).isoformat(), None)
    oublier()
    catalogue.invalider()  # the Atlaas' « niveau » facet counts the collectivités' levels
