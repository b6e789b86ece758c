"""The official referential of French territories: régions, départements, communes and EPCI.

The source is Etalab's npm package ``@etalab/decoupage-administratif`` (MIT). The portal ships a
compact gzip JSON file built from it (``atlaas/data/territoires.json.gz``, described in
``atlaas/data/README.md``) and loads it with ``manage.py import_territoires``.

Three plain functions:

- ``build_compact(upstream_dir)`` turns the upstream JSON files into the compact structure;
- ``read_compact(path)`` reads the shipped file and validates it entirely;
- ``import_compact(data)`` brings the database in line with it, in one transaction, touching only
  the rows that changed and deactivating (never deleting) collectivités that left the file.
"""

import gzip
import json
import os
import re
import tempfile
import time
import zlib
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from django.db import transaction
from django.utils.text import slugify

from . import catalogue
from .francais import normaliser_nom
from .models import Collectivite, Departement, Region, Zone

SHIPPED_FILE = Path(__file__).resolve().parent / "data" / "territoires.json.gz"
FORMAT = "villes-internet/territoires"
VERSION = 1
KINDS = ("regions", "departements", "communes", "epci")
BATCH_SIZE = 2000
UPSTREAM_PACKAGE = "@etalab/decoupage-administratif"


class TerritoiresError(ValueError):
    """The referential file (or the upstream data) is unusable; the message says where and why."""


# --- Columns of the compact file and how each value is checked ------------------------------------

_COMMUNE_CODE = re.compile(r"[0-9][0-9AB][0-9]{3}", re.ASCII)
_DEPARTEMENT_CODE = re.compile(r"[0-9]{2,3}|2A|2B", re.ASCII)
_REGION_CODE = re.compile(r"[0-9]{2,3}", re.ASCII)
_SIREN = re.compile(r"[0-9]{9}", re.ASCII)
_CODES_POSTAUX = re.compile(r"([0-9]{5}( [0-9]{5})*)?", re.ASCII)
_ZONES = set(Zone.values)
_TYPES_EPCI = set(Collectivite.TypeEPCI.values)


def _matches(pattern):
    return lambda value: isinstance(value, str) and pattern.fullmatch(value) is not None


def _text(max_length):
    return lambda value: (
        isinstance(value, str) and 0 < len(value.strip()) <= max_length and value == value.strip()
    )


def _population(value):
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _zone(value):
    return value in _ZONES


def _type_epci(value):
    return value in _TYPES_EPCI


def _siren_or_empty(value):
    return value == "" or _matches(_SIREN)(value)


def _membres(value):
    return isinstance(value, list) and len(value) > 0 and all(_matches(_COMMUNE_CODE)(code) for code in value)


# kind -> ((column, check, message when the check fails), ...); the first column is the record's code.
COLUMNS = {
    "regions": (
        ("code", _matches(_REGION_CODE), "code manquant ou invalide"),
        ("nom", _text(100), "nom manquant ou invalide"),
        ("zone", _zone, "zone manquante ou invalide (metro, drom ou com)"),
    ),
    "departements": (
        ("code", _matches(_DEPARTEMENT_CODE), "code manquant ou invalide"),
        ("nom", _text(100), "nom manquant ou invalide"),
        ("region", _matches(_REGION_CODE), "code de région manquant ou invalide"),
        ("zone", _zone, "zone manquante ou invalide (metro, drom ou com)"),
    ),
    "communes": (
        ("code", _matches(_COMMUNE_CODE), "code INSEE manquant ou invalide"),
        ("nom", _text(150), "nom manquant ou invalide"),
        ("departement", _matches(_DEPARTEMENT_CODE), "code de département manquant ou invalide"),
        ("region", _matches(_REGION_CODE), "code de région manquant ou invalide"),
        ("zone", _zone, "zone manquante ou invalide (metro, drom ou com)"),
        ("population", _population, "population manquante ou invalide"),
        ("siren", _siren_or_empty, "SIREN invalide (9 chiffres ou chaîne vide)"),
        (
            "codes_postaux",
            _matches(_CODES_POSTAUX),
            "codes postaux invalides (5 chiffres, séparés par un espace)",
        ),
    ),
    "epci": (
        ("siren", _matches(_SIREN), "SIREN manquant ou invalide"),
        ("nom", _text(150), "nom manquant ou invalide"),
        ("type", _type_epci, f"type manquant ou invalide ({', '.join(sorted(_TYPES_EPCI))})"),
        ("population", _population, "population manquante ou invalide"),
        ("membres", _membres, "liste des communes membres manquante, vide ou invalide"),
    ),
}


# --- Reading and validating -----------------------------------------------------------------------


def read_compact(path):
    """Read the compact gzip JSON file at ``path`` and return its validated content."""
    path = Path(path)
    try:
        with gzip.open(path, "rb") as stream:
            raw = stream.read()
    except FileNotFoundError:
        raise TerritoiresError(f"{path} : fichier introuvable.") from None
    except gzip.BadGzipFile as exc:
        raise TerritoiresError(f"{path} : ce n'est pas un fichier gzip valide ({exc}).") from None
    except (EOFError, zlib.error, OSError) as exc:
        raise TerritoiresError(f"{path} : fichier gzip tronqué ou corrompu ({exc}).") from None
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, ValueError) as exc:
        raise TerritoiresError(f"{path} : le contenu n'est pas du JSON valide ({exc}).") from None
    try:
        validate_compact(data)
    except TerritoiresError as exc:
        raise TerritoiresError(f"{path} : {exc}") from None
    return data


def validate_compact(data):
    """Check the whole structure; raise ``TerritoiresError`` naming the first faulty record."""
    if not isinstance(data, dict) or "format" not in data:
        raise TerritoiresError(
            f"ce n'est pas un fichier de territoires (clé « format » absente, attendu « {FORMAT} »)."
        )
    if data["format"] != FORMAT:
        raise TerritoiresError(f"format « {data['format']} » inconnu (attendu « {FORMAT} »).")
    if data.get("version") != VERSION:
        raise TerritoiresError(f"version {data.get('version')!r} non prise en charge (attendue : {VERSION}).")
    meta = data.get("meta")
    if not isinstance(meta, dict) or not isinstance(meta.get("counts"), dict):
        raise TerritoiresError("bloc « meta » ou « meta.counts » absent.")
    for kind in KINDS:
        records = data.get(kind)
        if not isinstance(records, list):
            raise TerritoiresError(f"liste « {kind} » absente.")
        declared = meta["counts"].get(kind)
        if declared != len(records):
            raise TerritoiresError(
                f"{kind} : {declared!r} enregistrements annoncés dans meta.counts, {len(records)} présents "
                "(fichier tronqué ou modifié ?)."
            )
    for kind in KINDS:
        _check_records(kind, data[kind])
    _check_references(data)


def _where(kind, index, record):
    code = record[0] if isinstance(record, list) and record and isinstance(record[0], str) else None
    return f"{kind}, enregistrement {index}" + (f" (code {code})" if code else "")


def _check_records(kind, records):
    columns = COLUMNS[kind]
    seen = set()
    for index, record in enumerate(records, start=1):
        if not isinstance(record, list) or len(record) != len(columns):
            raise TerritoiresError(
                f"{_where(kind, index, record)} : {len(columns)} colonnes attendues "
                f"({', '.join(name for name, _check, _message in columns)})."
            )
        for value, (_name, check, message) in zip(record, columns, strict=True):
            if not check(value):
                raise TerritoiresError(f"{_where(kind, index, record)} : {message}.")
        if record[0] in seen:
            raise TerritoiresError(f"{_where(kind, index, record)} : code en double.")
        seen.add(record[0])


def _check_references(data):
    regions = {code for code, _nom, _zone in data["regions"]}
    departements = {}
    for index, (code, _nom, region, _zone) in enumerate(data["departements"], start=1):
        if region not in regions:
            raise TerritoiresError(
                f"departements, enregistrement {index} (code {code}) : région {region} inconnue."
            )
        departements[code] = region
    sirens = {}
    for index, record in enumerate(data["communes"], start=1):
        code, _nom, departement, region, _zone, _population, siren, _cp = record
        where = f"communes, enregistrement {index} (code {code})"
        if departement not in departements:
            raise TerritoiresError(f"{where} : département {departement} inconnu.")
        if region != departements[departement]:
            raise TerritoiresError(
                f"{where} : région {region} différente de celle du département {departement} "
                f"({departements[departement]})."
            )
        if siren and siren in sirens:
            raise TerritoiresError(f"{where} : SIREN {siren} déjà porté par {sirens[siren]}.")
        if siren:
            sirens[siren] = code
    population_of = {record[0]: record[5] for record in data["communes"]}
    epci_of = {}
    for index, (siren, _nom, _type, population, membres) in enumerate(data["epci"], start=1):
        where = f"epci, enregistrement {index} (code {siren})"
        if siren in sirens:
            raise TerritoiresError(f"{where} : SIREN déjà porté par {sirens[siren]}.")
        sirens[siren] = siren
        for membre in membres:
            if membre not in population_of:
                raise TerritoiresError(f"{where} : le membre {membre} n'est pas une commune du fichier.")
            if membre in epci_of:
                raise TerritoiresError(
                    f"{where} : la commune {membre} est déjà membre de l'EPCI {epci_of[membre]}."
                )
            epci_of[membre] = siren
        total = sum(population_of[membre] for membre in membres)
        if population != total:
            raise TerritoiresError(
                f"{where} : population {population} différente de la somme de ses communes membres ({total})."
            )


# --- Building from the upstream package ------------------------------------------------------------


def build_compact(upstream_dir, generated=None):
    """Build the compact structure from the ``data/`` directory of the upstream npm package.

    Only current communes (``type == "commune-actuelle"``) are kept. A commune without population
    upstream gets 0, without SIREN an empty string. An EPCI's population is the sum of its members'
    populations taken from the communes file, so that both figures come from the same census.
    """
    upstream_dir = Path(upstream_dir)
    regions_in = _load_upstream(upstream_dir, "regions.json")
    departements_in = _load_upstream(upstream_dir, "departements.json")
    communes_in = _load_upstream(upstream_dir, "communes.json")
    epci_in = _load_upstream(upstream_dir, "epci.json")

    regions = sorted(
        _fields(item, "regions.json", index, "code", "nom", "zone")
        for index, item in enumerate(regions_in, 1)
    )
    departements = sorted(
        _fields(item, "departements.json", index, "code", "nom", "region", "zone")
        for index, item in enumerate(departements_in, 1)
    )
    communes = []
    for index, item in enumerate(communes_in, start=1):
        if not isinstance(item, dict) or item.get("type") != "commune-actuelle":
            continue
        code, nom, departement, region, zone = _fields(
            item, "communes.json", index, "code", "nom", "departement", "region", "zone"
        )
        population = item.get("population")
        communes.append(
            [
                code,
                nom,
                departement,
                region,
                zone,
                0 if population is None else population,
                item.get("siren") or "",
                " ".join(item.get("codesPostaux") or []),
            ]
        )
    communes.sort()
    population_of = {record[0]: record[5] for record in communes}
    epci = []
    for index, item in enumerate(epci_in, start=1):
        siren, nom, type_epci, membres = _fields(item, "epci.json", index, "code", "nom", "type", "membres")
        try:
            codes = sorted(membre["code"] for membre in membres)
        except (TypeError, KeyError):
            raise TerritoiresError(
                f"epci.json, enregistrement {index} (code {siren}) : membres illisibles."
            ) from None
        unknown = [code for code in codes if code not in population_of]
        if unknown:
            raise TerritoiresError(
                f"epci.json, enregistrement {index} (code {siren}) : "
                f"membres absents des communes actuelles : {', '.join(unknown)}."
            )
        epci.append([siren, nom, type_epci, sum(population_of[code] for code in codes), codes])
    epci.sort()

    data = {
        "format": FORMAT,
        "version": VERSION,
        "meta": {
            "source": f"Etalab, {_upstream_label(upstream_dir)} (npm)",
            "licence": "MIT",
            "generated": (generated or date.today()).isoformat(),
            "counts": {
                "regions": len(regions),
                "departements": len(departements),
                "communes": len(communes),
                "epci": len(epci),
            },
        },
        "regions": regions,
        "departements": departements,
        "communes": communes,
        "epci": epci,
    }
    validate_compact(data)
    return data


def write_compact(data, path):
    """Write ``data`` as compact gzip JSON, atomically, with stable bytes for identical content."""
    path = Path(path)
    payload = json.dumps(data, ensure_ascii=False, separators=(",", ":")).encode()
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with (
            os.fdopen(handle, "wb") as raw,
            gzip.GzipFile(fileobj=raw, mode="wb", compresslevel=9, mtime=0) as gz,
        ):
            gz.write(payload)
        os.chmod(tmp_name, 0o644)
        os.replace(tmp_name, path)
    except BaseException:
        Path(tmp_name).unlink(missing_ok=True)
        raise
    return path.stat().st_size


def _load_upstream(upstream_dir, name):
    path = upstream_dir / name
    try:
        with path.open(encoding="utf-8") as stream:
            items = json.load(stream)
    except FileNotFoundError:
        raise TerritoiresError(f"{path} : fichier introuvable.") from None
    except (UnicodeDecodeError, ValueError) as exc:
        raise TerritoiresError(f"{path} : le contenu n'est pas du JSON valide ({exc}).") from None
    if not isinstance(items, list):
        raise TerritoiresError(f"{path} : une liste d'enregistrements est attendue.")
    return items


def _fields(item, file_name, index, *names):
    if not isinstance(item, dict):
        raise TerritoiresError(f"{file_name}, enregistrement {index} : un objet JSON est attendu.")
    missing = [name for name in names if item.get(name) is None]
    if missing:
        code = item.get("code")
        where = f"{file_name}, enregistrement {index}" + (f" (code {code})" if code else "")
        raise TerritoiresError(f"{where} : champ(s) manquant(s) : {', '.join(missing)}.")
    return [item[name] for name in names]


def _upstream_label(upstream_dir):
    """Name and version of the upstream package, from the package.json next to its data directory."""
    for candidate in (upstream_dir / "package.json", upstream_dir.parent / "package.json"):
        try:
            package = json.loads(candidate.read_text(encoding="utf-8"))
            return f"{package['name']} {package['version']}"
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return UPSTREAM_PACKAGE


# --- Importing into the database -------------------------------------------------------------------

_LABELS = {
    # kind: (plural name, feminine)
    "regions": ("régions", True),
    "departements": ("départements", False),
    "communes": ("communes", True),
    "epci": ("EPCI", False),
}


@dataclass
class Counts:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    deactivated: int = 0

    @property
    def changed(self):
        return self.created + self.updated + self.deactivated

    @property
    def total(self):
        """Rows that match the file once the import is done."""
        return self.created + self.updated + self.unchanged


@dataclass
class ImportSummary:
    regions: Counts = field(default_factory=Counts)
    departements: Counts = field(default_factory=Counts)
    communes: Counts = field(default_factory=Counts)
    epci: Counts = field(default_factory=Counts)

    @property
    def changed(self):
        return any(getattr(self, kind).changed for kind in KINDS)

    def line(self, kind):
        counts = getattr(self, kind)
        name, feminine = _LABELS[kind]
        e = "e" if feminine else ""
        parts = [
            f"{_number(n)} {word}{e}{'s' if n > 1 else ''}"
            for n, word in (
                (counts.created, "créé"),
                (counts.updated, "modifié"),
                (counts.deactivated, "désactivé"),
                (counts.unchanged, "inchangé"),
            )
            if n
        ]
        return f"{name} : {', '.join(parts) or 'aucun' + e}"

    def __str__(self):
        if not self.changed:
            totals = ", ".join(f"{_number(getattr(self, kind).total)} {_LABELS[kind][0]}" for kind in KINDS)
            return f"Rien à changer : le référentiel est déjà à jour ({totals})."
        return "\n".join(self.line(kind) for kind in KINDS)


def _number(n):
    return f"{n:,}".replace(",", " ")


def import_compact(data, stdout=None):
    """Bring the database in line with ``data`` (validated again here) in one transaction.

    Order: régions, départements, EPCI, then communes — an EPCI's département and region are
    derived from its members in the file, so EPCI rows come before the communes that point to them
    and each commune gets its EPCI link in the same pass as its other fields.
    """
    validate_compact(data)
    summary = ImportSummary()
    start = time.perf_counter()

    def progress(kind):
        if stdout is not None:
            stdout.write(f"{summary.line(kind)} ({time.perf_counter() - start:.1f} s)".replace(".", ","))

    departement_region = {code: region for code, _nom, region, _zone in data["departements"]}
    departement_zone = {code: zone for code, _nom, _region, zone in data["departements"]}
    commune_rows = {record[0]: record for record in data["communes"]}
    epci_of = {membre: record[0] for record in data["epci"] for membre in record[4]}

    with transaction.atomic():
        _sync(
            Region, {code: {"nom": nom, "zone": zone} for code, nom, zone in data["regions"]}, summary.regions
        )
        progress("regions")
        region_ids = dict(Region.objects.values_list("code", "id"))

        _sync(
            Departement,
            {
                code: {"nom": nom, "region_id": region_ids[region], "zone": zone}
                for code, nom, region, zone in data["departements"]
            },
            summary.departements,
        )
        progress("departements")
        departement_ids = dict(Departement.objects.values_list("code", "id"))

        wanted = {}
        for siren, nom, type_epci, population, membres in data["epci"]:
            departement = principal_departement(
                (commune_rows[code][2], commune_rows[code][5]) for code in membres
            )
            wanted[siren] = {
                "nature": Collectivite.Nature.EPCI,
                "siren": siren,
                "nom": nom,
                "slug": slugify(nom),
                "nom_normalise": normaliser_nom(nom),
                "type_epci": type_epci,
                "departement_id": departement_ids[departement],
                "region_id": region_ids[departement_region[departement]],
                "zone": departement_zone[departement],
                "population": population,
                "codes_postaux": "",
                "epci_id": None,
                "active": True,
            }
        _sync(Collectivite, wanted, summary.epci, Collectivite.objects.epcis(), deactivate=True)
        progress("epci")
        epci_ids = dict(Collectivite.objects.epcis().values_list("code", "id"))

        wanted = {}
        for code, nom, departement, region, zone, population, siren, codes_postaux in data["communes"]:
            wanted[code] = {
                "nature": Collectivite.Nature.COMMUNE,
                "siren": siren,
                "nom": nom,
                "slug": slugify(nom),
                "nom_normalise": normaliser_nom(nom),
                "type_epci": "",
                "departement_id": departement_ids[departement],
                "region_id": region_ids[region],
                "zone": zone,
                "population": population,
                "codes_postaux": codes_postaux,
                "epci_id": epci_ids[epci_of[code]] if code in epci_of else None,
                "active": True,
            }
        _sync(Collectivite, wanted, summary.communes, Collectivite.objects.communes(), deactivate=True)
        progress("communes")
        if summary.communes.updated or summary.epci.updated:
            catalogue.indexer()  # collectivités' names are searched with their fiches
    return summary


def principal_departement(members):
    """The département holding the largest share of the population of ``(departement, population)``
    pairs; on a tie, the smallest code."""
    population = defaultdict(int)
    for departement, inhabitants in members:
        population[departement] += inhabitants
    return max(sorted(population), key=population.__getitem__)


def _sync(model, wanted, counts, queryset=None, deactivate=False):
    """Create missing rows, update changed ones, and (if asked) deactivate rows absent from ``wanted``."""
    queryset = model.objects.all() if queryset is None else queryset
    existing = {obj.code: obj for obj in queryset.order_by()}
    to_create, to_update, changed_fields = [], [], set()
    for code, values in wanted.items():
        obj = existing.get(code)
        if obj is None:
            to_create.append(model(code=code, **values))
            continue
        changed = [name for name, value in values.items() if getattr(obj, name) != value]
        if changed:
            for name in changed:
                setattr(obj, name, values[name])
            to_update.append(obj)
            changed_fields.update(changed)
        else:
            counts.unchanged += 1
    counts.updated += len(to_update)
    if deactivate:
        for code, obj in existing.items():
            if code not in wanted and obj.active:
                obj.active = False
                changed_fields.add("active")
                if getattr(obj, "epci_id", None):  # a commune gone from the file belongs to no EPCI
                    obj.epci = None
                    changed_fields.add("epci")
                to_update.append(obj)
                counts.deactivated += 1
    model.objects.bulk_create(to_create, batch_size=BATCH_SIZE)
    if to_update:
        model.objects.bulk_update(to_update, sorted(changed_fields), batch_size=BATCH_SIZE)
    counts.created += len(to_create)
