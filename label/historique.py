"""The label history before the portal: past palmarès loaded from files, all or nothing.

Two inputs, two commands: lines by code (``import_palmares``: INSEE code or SIREN) and lines by
name as the association and the press publish them (``import_palmares_noms``: « Arras (62) @@@ »
or a table). Every line is read and checked first (``valider``); nothing is written unless every
line is right; then ``importer`` writes the ``Labellisation`` rows in one transaction and, asked
to (``--complet``), declares each year of the rows complete (``HistoriqueComplet``).

Lines by code may also give the year's own figures, which today's referential cannot
(populations and perimeters change): ``population`` and, for an intercommunalité, ``communes``
(its member communes that year). A column left out keeps what is stored; an empty cell clears it.

The names are resolved here (``resoudre``) against the referential, through the normalised name
of the search (``francais.normaliser_nom``): the département narrows homonyms, a name shared by
several collectivités is never guessed, and every line gets a status and a reason the user can act
on (``ecrire_rapport`` writes them to a CSV file that is also a valid input).
"""

import csv
import difflib
import io
import os
import re
import tempfile
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from django.core.management.base import CommandError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from atlaas.francais import ABREVIATIONS, normaliser_nom, sans_accents
from atlaas.models import Collectivite, Departement
from label.models import PREMIER_MILLESIME, Edition, HistoriqueComplet, Labellisation
from outbox import envois

CHIFFRES = ("population", "communes")  # optional: the year's own figures
OUI, NON = {"oui", "1"}, {"non", "0", ""}
PAQUET = 500  # values per query, under SQLite's limit on parameters


# --- Reading a CSV file -----------------------------------------------------------------------


def separateur_de(premiere_ligne):
    return ";" if premiere_ligne.count(";") >= premiere_ligne.count(",") else ","


def enregistrements(texte, separateur):
    """(line number, cells) of each record of the CSV text, its header included, or (line number,
    error): a record must hold on one line (a quote opened and never closed swallows the lines
    after it; the error names the line where it opened). Empty lines are left out."""
    reader = csv.reader(io.StringIO(texte, newline=""), delimiter=separateur)
    fin = 0
    while True:
        debut = fin + 1
        try:
            cellules = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            yield debut, _("CSV illisible (%(erreur)s)") % {"erreur": exc}
            return
        fin = reader.line_num
        if fin > debut:
            yield (
                debut,
                _(
                    "un guillemet ouvert sur cette ligne n'est jamais refermé (la valeur s'étend "
                    "jusqu'à la ligne %(fin)d) : refermez-le ou retirez-le"
                )
                % {"fin": fin},
            )
            continue
        if not any(cellule.strip() for cellule in cellules):
            continue
        yield debut, cellules


def entete_lue(cellules):
    """Column names without accents, spaces or case: « Année » reads « annee »."""
    return [sans_accents(cellule).strip() for cellule in cellules]


def lire_csv(texte, colonnes, obligatoires, attendu, ignorees=(), facultatives=()):
    """([(line number, {column: value})], [(line number, error)]) from a CSV text whose header
    names ``obligatoires`` and maybe others of ``colonnes`` (``ignorees`` are accepted and
    dropped); ``attendu`` is the header shown in the errors. A line's values hold every column of
    ``colonnes`` (empty when the header lacks it) and those of ``facultatives`` the header names
    (a column left out is told from an empty cell). Lines starting with « # » are comments."""
    texte = "\n".join("" if ligne.lstrip().startswith("#") else ligne for ligne in texte.split("\n"))
    premiere = next((ligne for ligne in texte.split("\n") if ligne.strip()), "")
    if not premiere:
        return [], [(1, _("fichier vide, l'en-tête %(attendu)s est attendu") % {"attendu": attendu})]
    lus = iter(enregistrements(texte, separateur_de(premiere)))
    numero, entete = next(lus, (1, []))
    if isinstance(entete, str):
        return [], [(numero, entete)]
    entete = entete_lue(entete)
    manquantes = [colonne for colonne in obligatoires if colonne not in entete]
    connues = (*colonnes, *facultatives, *ignorees)
    inconnues = [colonne for colonne in entete if colonne not in connues]
    if manquantes or inconnues or len(set(entete)) != len(entete):
        valeurs = {"entete": separateur_de(premiere).join(entete), "attendu": attendu}
        if facultatives:
            erreur = _(
                "en-tête « %(entete)s » invalide, attendu « %(attendu)s », et si besoin « %(facultatives)s »"
            ) % (valeurs | {"facultatives": ";".join(facultatives)})
        else:
            erreur = _("en-tête « %(entete)s » invalide, attendu « %(attendu)s »") % valeurs
        return [], [(numero, erreur)]
    presentes = [*colonnes, *(colonne for colonne in facultatives if colonne in entete)]
    lignes, erreurs = [], []
    for numero, cellules in lus:
        if isinstance(cellules, str):
            erreurs.append((numero, cellules))
        elif len(cellules) != len(entete):
            erreurs.append(
                (
                    numero,
                    _("%(trouvees)d colonnes au lieu de %(attendues)d")
                    % {"trouvees": len(cellules), "attendues": len(entete)},
                )
            )
        else:
            valeurs = dict(zip(entete, cellules, strict=True))
            lignes.append((numero, {c: valeurs.get(c, "").strip() for c in presentes}))
    return lignes, erreurs


def messages(erreurs):
    """« ligne N : … » for each (line number, error), in the order of the file."""
    return [
        _("ligne %(n)d : %(erreur)s.") % {"n": numero, "erreur": erreur}
        for numero, erreur in sorted(erreurs, key=lambda e: e[0])
    ]


def lire_fichier(fichier):
    """The text of ``fichier`` (UTF-8, with or without a BOM), or a CommandError that says why not."""
    try:
        return Path(fichier).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise CommandError(
            _("Impossible de lire %(fichier)s : %(erreur)s") % {"fichier": fichier, "erreur": exc.strerror}
        ) from None
    except UnicodeDecodeError:
        raise CommandError(
            _("%(fichier)s n'est pas encodé en UTF-8 : rien n'a été importé.") % {"fichier": fichier}
        ) from None


# --- Checking the lines -------------------------------------------------------------------------


def niveau_lu(texte):
    texte = texte.strip()
    if texte.isdigit():
        niveau = int(texte)
    elif texte and set(texte) == {"@"}:
        niveau = len(texte)
    elif texte.endswith("@") and texte[:-1].strip().isdigit():  # « 3@ »
        niveau = int(texte[:-1])
    else:
        return None
    return niveau if 1 <= niveau <= 5 else None


def code_lu(texte):
    """The code as typed; a spreadsheet turns INSEE code 01053 into 1053: padded back."""
    code = re.sub(r"\s+", "", texte).upper()
    return code.zfill(5) if code.isdigit() and len(code) == 4 else code


def nombre_lu(texte):
    """A count as typed, spaces between thousands allowed: an int, None when empty, 0 if wrong."""
    texte = "".join(texte.split())
    if not texte:
        return None
    return int(texte) if texte.isdigit() else 0


def par_code(codes):
    """{code or SIREN: collectivité} for the given codes, in batches."""
    trouvees, codes = {}, sorted(codes)
    for debut in range(0, len(codes), PAQUET):
        paquet = codes[debut : debut + PAQUET]
        for collectivite in Collectivite.objects.filter(
            Q(code__in=paquet) | Q(siren__in=paquet)
        ).select_related("departement"):
            trouvees.setdefault(collectivite.code, collectivite)
            if collectivite.siren:
                trouvees.setdefault(collectivite.siren, collectivite)
    return trouvees


def valider(lignes):
    """([rows for ``importer``], [(line number, error)]) from (line number, values): values hold
    annee, niveau, ten, mentions, either ``code`` (looked up) or ``collectivite`` (already
    resolved; None for a line left unresolved, whose other values are still checked), and maybe
    the year's figures ``population`` and ``communes``: a row has those its values have."""
    trouvees = par_code({code_lu(v["code"]) for _n, v in lignes if "collectivite" not in v})
    derniere = timezone.localdate().year + 1
    # An edition kept in the portal gets its results from its deliberation, public at publication:
    # importing into it would publish them early.
    editions = set(Edition.objects.values_list("annee", flat=True))
    rows, erreurs, vues = [], [], {}
    for numero, valeurs in lignes:
        annee_texte = valeurs["annee"]
        annee = int(annee_texte) if annee_texte.isdigit() else None
        niveau = niveau_lu(valeurs["niveau"])
        ten = valeurs.get("ten", "").lower()
        if "collectivite" in valeurs:
            collectivite, code = (
                valeurs["collectivite"],
                valeurs["collectivite"] and valeurs["collectivite"].code,
            )
        else:
            code = code_lu(valeurs["code"])
            collectivite = trouvees.get(code)
        probleme = []
        if annee is None or not PREMIER_MILLESIME <= annee <= derniere:
            probleme.append(
                _("millésime « %(valeur)s » invalide (de %(premiere)d à %(derniere)d)")
                % {"valeur": annee_texte, "premiere": PREMIER_MILLESIME, "derniere": derniere}
            )
        elif annee in editions:
            probleme.append(
                _("le label %(annee)d est une édition du portail : ses résultats viennent de sa délibération")
                % {"annee": annee}
            )
        if collectivite is None and "collectivite" not in valeurs:
            probleme.append(_("code « %(code)s » inconnu (ni code INSEE ni SIREN connu)") % {"code": code})
        if niveau is None:
            probleme.append(
                _("niveau « %(valeur)s » invalide (de 1 à 5, ou de @ à @@@@@)")
                % {"valeur": valeurs["niveau"]}
            )
        if ten not in OUI | NON:
            probleme.append(
                _("TEN « %(valeur)s » invalide (oui, non, 1, 0 ou vide)") % {"valeur": valeurs["ten"]}
            )
        chiffres = {nom: nombre_lu(valeurs[nom]) for nom in CHIFFRES if nom in valeurs}
        if chiffres.get("population") == 0:
            probleme.append(
                _("population « %(valeur)s » invalide (un nombre d'habitants, ou vide)")
                % {"valeur": valeurs["population"]}
            )
        if chiffres.get("communes") == 0:
            probleme.append(
                _("communes « %(valeur)s » invalide (le nombre de communes membres, ou vide)")
                % {"valeur": valeurs["communes"]}
            )
        elif (
            chiffres.get("communes") is not None
            and collectivite is not None
            and collectivite.nature != Collectivite.Nature.EPCI
        ):
            probleme.append(
                _("communes « %(valeur)s » pour une commune : seul un territoire a des communes membres")
                % {"valeur": valeurs["communes"]}
            )
        if collectivite is not None and annee is not None:
            cle = (collectivite.pk, annee)
            if cle in vues:
                probleme.append(
                    _("%(code)s a déjà une ligne pour %(annee)d (ligne %(premiere)d)")
                    % {"code": code, "annee": annee, "premiere": vues[cle]}
                )
            vues.setdefault(cle, numero)
        if probleme:
            erreurs.append((numero, "\u202f; ".join(probleme)))
            continue
        if collectivite is None:
            continue
        mentions = [m.strip() for m in valeurs.get("mentions", "").split("|") if m.strip()]
        rows.append(
            {
                "collectivite_id": collectivite.pk,
                "annee": annee,
                "niveau": niveau,
                "mentions": "\n".join(mentions),
                "ten": ten in OUI,
                **chiffres,
            }
        )
    return rows, erreurs


def bilan(crees, modifiees, inchangees):
    return _("Palmarès : %(crees)d labels ajoutés, %(modifiees)d modifiés, %(inchangees)d inchangés.") % {
        "crees": crees,
        "modifiees": modifiees,
        "inchangees": inchangees,
    }


def annees_declarees(rows):
    """« Palmarès complets déclarés : 2017, 2018. », after ``importer(rows, complet=True)``."""
    annees = ", ".join(str(annee) for annee in sorted({row["annee"] for row in rows}))
    return _("Palmarès complets déclarés : %(annees)s.") % {"annees": annees}


def option_complet(parser):
    """The ``--complet`` option of both import commands."""
    parser.add_argument(
        "--complet",
        action="store_true",
        help="Le fichier contient le palmarès entier de chacune de ses années.",
    )


def importer_et_dire(commande, rows, complet, verbosite):
    """Import the rows (``importer``) and tell what changed on the command's output."""
    resultat = importer(rows, complet=complet)
    if verbosite:
        commande.stdout.write(commande.style.SUCCESS(bilan(*resultat)))
        if complet:
            commande.stdout.write(annees_declarees(rows))


@transaction.atomic
def importer(rows, complet=False):
    """Create or update the Labellisation rows: (created, updated, unchanged). ``complet``:
    declare each year of the rows complete (``HistoriqueComplet``)."""
    existantes = {}
    ids = sorted({row["collectivite_id"] for row in rows})
    for debut in range(0, len(ids), PAQUET):
        for label in Labellisation.objects.select_for_update().filter(
            collectivite_id__in=ids[debut : debut + PAQUET]
        ):
            existantes[(label.collectivite_id, label.annee)] = label
    nouvelles, modifiees, champs = [], [], {"niveau", "mentions", "ten"}
    for row in rows:
        label = existantes.get((row["collectivite_id"], row["annee"]))
        valeurs = {nom: valeur for nom, valeur in row.items() if nom not in ("collectivite_id", "annee")}
        champs.update(valeurs)
        if label is None:
            nouvelles.append(Labellisation(**row))
        elif any(getattr(label, nom) != valeur for nom, valeur in valeurs.items()):
            for nom, valeur in valeurs.items():
                setattr(label, nom, valeur)
            modifiees.append(label)
    Labellisation.objects.bulk_create(nouvelles, batch_size=PAQUET)
    Labellisation.objects.bulk_update(modifiees, sorted(champs), batch_size=PAQUET)
    if complet:
        HistoriqueComplet.objects.bulk_create(
            [HistoriqueComplet(annee=annee) for annee in sorted({row["annee"] for row in rows})],
            ignore_conflicts=True,
        )
    # The collectivité's current level follows its latest label, imported or published.
    derniers = {}
    for row in sorted(rows, key=lambda r: r["annee"]):
        derniers[row["collectivite_id"]] = row
    groupes = {}
    for pk, row in derniers.items():
        groupes.setdefault((row["annee"], row["niveau"]), []).append(pk)
    for (annee, niveau), pks in groupes.items():
        Collectivite.objects.filter(pk__in=pks).filter(
            Q(niveau_millesime__isnull=True) | Q(niveau_millesime__lte=annee)
        ).update(niveau=niveau, niveau_millesime=annee)
    envois.tache("atlaas.tasks.invalider_catalogue")  # the Atlaas' « niveau » facet
    envois.tache("label.tasks.invalider_historique")  # the palmarès of every year
    return len(nouvelles), len(modifiees), len(rows) - len(nouvelles) - len(modifiees)


# --- Lines by name ------------------------------------------------------------------------------

COLONNES_NOMS = ("annee", "nom", "departement", "niveau", "ten", "mentions", "code", "source")
OBLIGATOIRES_NOMS = ("annee", "nom", "niveau")
ATTENDU_NOMS = "annee;nom;departement;niveau[;ten][;mentions][;code][;source]"
RAPPORT = (*COLONNES_NOMS, "statut", "collectivite", "candidats", "raison", "ligne")
SUFFIXE_RAPPORT = ".resolution.csv"

RESOLU, AMBIGU, INTROUVABLE, ILLISIBLE = "résolu", "ambigu", "introuvable", "illisible"

# « Arras (62) @@@ », « Noyelles-Godault (62)@@@ », « Agen : 5@ », « Bors (Canton de Tude) (16) @ »
_LIGNE_PUBLIEE = re.compile(
    r"(?P<nom>[^@]+?)\s*(?:\(\s*(?P<departement>\d{1,3}|2[AB])\s*\))?\s*[:–—-]?\s*(?P<niveau>@+|\d+\s*@)",
    re.IGNORECASE,
)
_LIGNE_ANNEE = re.compile(r"(?:palmar[eè]s|label)?\s*(?P<annee>(?:19|20)\d{2})\s*:?", re.IGNORECASE)
_URL = re.compile(r"https?://\S+")


@dataclass
class Ligne:
    """A line of a palmarès by name and what became of it."""

    numero: int
    valeurs: dict
    statut: str = ""
    collectivite: Collectivite | None = None
    candidats: list = field(default_factory=list)
    raisons: list = field(default_factory=list)


def est_un_tableau(texte):
    """True for a CSV file with a header (« annee;nom;… »), False for published lines."""
    for ligne in texte.splitlines():
        if ligne.strip() and not ligne.lstrip().startswith("#"):
            return {"annee", "nom"} <= set(entete_lue(re.split(r"[;,]", ligne)))
    return False


def lire_tableau(texte):
    """[Ligne] from a CSV file by name (a resolution report is one too)."""
    lues, erreurs = lire_csv(texte, COLONNES_NOMS, OBLIGATOIRES_NOMS, ATTENDU_NOMS, ignorees=RAPPORT)
    lignes = [Ligne(numero, valeurs) for numero, valeurs in lues]
    lignes += [Ligne(numero, {}, ILLISIBLE, raisons=[erreur]) for numero, erreur in erreurs]
    return sorted(lignes, key=lambda ligne: ligne.numero)


def lire_lignes_publiees(texte, annee=None):
    """[Ligne] from lines « Nom (département) @@@ », one label each, as the press prints them. A
    line holding only a year (« 2018 », « Palmarès 2018 ») gives the year of the lines below it
    (``annee`` before the first one); a comment « # … » holding an address gives their source."""
    lignes, source = [], ""
    for numero, brute in enumerate(texte.splitlines(), start=1):
        ligne = brute.strip()
        if not ligne:
            continue
        if ligne.startswith("#"):
            if adresse := _URL.search(ligne):
                source = adresse.group()
            continue
        if trouvee := _LIGNE_ANNEE.fullmatch(ligne):
            annee = int(trouvee.group("annee"))
            continue
        trouvee = _LIGNE_PUBLIEE.fullmatch(ligne)
        if trouvee is None:
            raison = _("« %(ligne)s » n'est pas de la forme « Nom (département) @@@ »") % {"ligne": ligne}
            lignes.append(Ligne(numero, {}, ILLISIBLE, raisons=[raison]))
            continue
        valeurs = dict.fromkeys(COLONNES_NOMS, "")
        valeurs.update(trouvee.groupdict(default=""), annee=str(annee or ""), source=source)
        valeurs["niveau"] = re.sub(r"\s+", "", valeurs["niveau"])
        lignes.append(Ligne(numero, valeurs))
        if annee is None:
            lignes[-1].raisons.append(
                _("millésime inconnu : donnez-le par --annee ou par une ligne « 2018 » au-dessus")
            )
    return lignes


def departement_lu(texte):
    texte = texte.strip().upper()
    return texte.zfill(2) if texte.isdigit() and len(texte) == 1 else texte


_TYPE_EPCI = re.compile(
    r"(communaute (?:de communes|d agglomeration|urbaine)|communautedecommunes|communautedagglomeration"
    r"|communauteurbaine|metropole|communaute|agglomeration)\b"
)
_ARTICLES = re.compile(r"^(?:(?:de|du|des|d|la|le|les|l)\s+)+")


def forme_epci(nom):
    """(kind, name) of an intercommunalité's name, its acronym in brackets, the articles after
    its kind and the kind's spelling aside: « Communauté de communes de Parthenay-Gâtine » and
    « CC Parthenay-Gâtine » are both (communautedecommunes, parthenaygatine); the kind is kept,
    so that « CU du Grand Nancy » is not taken for « Métropole du Grand Nancy »."""
    mots = re.findall(r"[a-z0-9]+", sans_accents(re.sub(r"\([^)]*\)", " ", nom)))
    texte = " ".join(ABREVIATIONS.get(mot, mot) for mot in mots)
    genre = ""
    if trouve := _TYPE_EPCI.match(texte):
        genre = normaliser_nom(trouve.group(1))
        texte = _ARTICLES.sub("", texte[trouve.end() :].lstrip())
    return genre, texte.replace(" ", "")


def candidat(collectivite):
    """« 93066 Saint-Denis (93) », as the report lists the candidates."""
    departement = collectivite.departement.code if collectivite.departement_id else ""
    return f"{collectivite.code} {collectivite.nom}" + (f" ({departement})" if departement else "")


class Referentiel:
    """The referential as the resolution reads it: by normalised name, by code, by form of
    intercommunalité, the names of a département (for close spellings)."""

    def __init__(self, lignes):
        cles = {normaliser_nom(ligne.valeurs["nom"]) for ligne in lignes}
        self.par_cle = defaultdict(list)
        cles = sorted(cle for cle in cles if cle)
        for debut in range(0, len(cles), PAQUET):
            for c in Collectivite.objects.filter(
                nom_normalise__in=cles[debut : debut + PAQUET]
            ).select_related("departement"):
                self.par_cle[c.nom_normalise].append(c)
        self.par_code = par_code(
            {code_lu(ligne.valeurs["code"]) for ligne in lignes if ligne.valeurs["code"]}
        )
        self.departements = set(Departement.objects.values_list("code", flat=True))
        self._formes = None
        self._noms_du_departement = {}

    def par_forme(self, forme):
        if self._formes is None:
            self._formes = defaultdict(list)
            for epci in Collectivite.objects.epcis().select_related("departement"):
                self._formes[forme_epci(epci.nom)].append(epci)
        return self._formes.get(forme, [])

    def memes_mots(self, forme):
        """The intercommunalités whose name without its kind is ``forme``'s, whatever their kind."""
        self.par_forme(forme)
        return [epci for (_genre, nom), epcis in self._formes.items() if nom == forme[1] for epci in epcis]

    def proches(self, cle, departement):
        """Up to five collectivités whose name holds ``cle``, or is spelt closely in the département."""
        trouvees = list(
            Collectivite.objects.actives()
            .filter(nom_normalise__contains=cle)
            .select_related("departement")
            .order_by("-population")[:5]
        )
        if departement and len(trouvees) < 5:
            if departement not in self._noms_du_departement:
                self._noms_du_departement[departement] = {
                    c.nom_normalise: c
                    for c in Collectivite.objects.actives()
                    .filter(departement__code=departement)
                    .select_related("departement")
                }
            noms = self._noms_du_departement[departement]
            for proche in difflib.get_close_matches(cle, noms, n=5, cutoff=0.8):
                if noms[proche] not in trouvees:
                    trouvees.append(noms[proche])
        return trouvees[:5]


def resoudre(lignes):
    """Give each readable line its collectivité (status ``RESOLU``), or the status ``AMBIGU`` with
    the candidates, or ``INTROUVABLE`` with a reason and the close names. A code in the ``code``
    column wins over the name; the département narrows homonyms; several collectivités of the
    same name are never chosen between."""
    a_resoudre = [ligne for ligne in lignes if ligne.statut != ILLISIBLE]
    referentiel = Referentiel(a_resoudre)
    for ligne in a_resoudre:
        _resoudre(ligne, referentiel)
    return lignes


def _resoudre(ligne, referentiel):
    nom, code = ligne.valeurs["nom"], code_lu(ligne.valeurs["code"])
    departement = departement_lu(ligne.valeurs["departement"])
    if code:
        ligne.collectivite = referentiel.par_code.get(code)
        if ligne.collectivite is None:
            ligne.statut = INTROUVABLE
            ligne.raisons.append(
                _("code « %(code)s » inconnu du référentiel (ni code INSEE ni SIREN)") % {"code": code}
            )
        else:
            ligne.statut = RESOLU
        return
    cle = normaliser_nom(nom)
    if not cle:
        ligne.statut = INTROUVABLE
        ligne.raisons.append(_("nom vide"))
        return
    if departement and departement not in referentiel.departements:
        ligne.statut = INTROUVABLE
        ligne.raisons.append(_("département « %(departement)s » inconnu") % {"departement": departement})
        return
    forme = forme_epci(nom)
    trouvees = referentiel.par_cle.get(cle) or (referentiel.par_forme(forme) if forme[1] else [])
    if any(c.active for c in trouvees):
        trouvees = [c for c in trouvees if c.active]
    ailleurs = []
    if departement:
        ailleurs = [c for c in trouvees if c.departement_id is None or c.departement.code != departement]
        trouvees = [c for c in trouvees if c not in ailleurs]
    if len(trouvees) == 1:
        ligne.statut, ligne.collectivite = RESOLU, trouvees[0]
        return
    if trouvees:
        ligne.statut, ligne.candidats = AMBIGU, trouvees
        ligne.raisons.append(
            _(
                "%(n)d collectivités portent ce nom : indiquez le département, ou le code de la bonne "
                "dans la colonne code"
            )
            % {"n": len(trouvees)}
        )
        return
    ligne.statut = INTROUVABLE
    if ailleurs:
        ligne.candidats = ailleurs
        ligne.raisons.append(
            _(
                "aucune collectivité de ce nom dans le département %(departement)s, il y en a ailleurs "
                "(voir candidats) : corrigez le département ou indiquez le code dans la colonne code"
            )
            % {"departement": departement}
        )
        return
    if forme[0]:
        ligne.raisons.append(
            _(
                "aucune collectivité de ce nom dans le référentiel actuel : intercommunalité renommée ou "
                "fusionnée ? indiquez son code SIREN dans la colonne code"
            )
        )
        ligne.candidats = referentiel.memes_mots(forme)
    else:
        ligne.raisons.append(
            _(
                "aucune commune de ce nom dans le référentiel actuel : commune fusionnée ou renommée, ou "
                "nom mal écrit ? indiquez son code INSEE dans la colonne code"
            )
        )
    ligne.candidats = (
        ligne.candidats + [c for c in referentiel.proches(cle, departement) if c not in ligne.candidats]
    )[:5]


def verifier(lignes):
    """Check the values of the lines other than the name (year, level, TEN, duplicates), the
    unresolved ones too; the errors join the lines' reasons. Returns the rows to import."""
    a_verifier = [ligne for ligne in lignes if ligne.statut != ILLISIBLE]
    par_numero = {ligne.numero: ligne for ligne in a_verifier}
    rows, erreurs = valider(
        [
            (
                ligne.numero,
                {**ligne.valeurs, "collectivite": ligne.collectivite if ligne.statut == RESOLU else None},
            )
            for ligne in a_verifier
        ]
    )
    for numero, erreur in erreurs:
        par_numero[numero].raisons.append(erreur)
    return rows


def chemin_du_rapport(fichier):
    fichier = Path(fichier)
    if fichier.name.endswith(SUFFIXE_RAPPORT):
        return fichier
    return fichier.with_name(fichier.stem + SUFFIXE_RAPPORT)


def ecrire_rapport(chemin, lignes):
    """Write the resolution report, a CSV file (UTF-8 with a BOM, « ; ») that is also an input of
    ``import_palmares_noms``: the user's columns first (``code`` filled for the resolved lines, to
    fill for the others), then the status, the collectivité kept, the candidates and the reasons.
    Written whole or not at all."""
    sortie = io.StringIO()
    writer = csv.writer(sortie, delimiter=";", lineterminator="\n")
    writer.writerow(RAPPORT)
    for ligne in lignes:
        valeurs = ligne.valeurs or dict.fromkeys(COLONNES_NOMS, "")
        code = ligne.collectivite.code if ligne.statut == RESOLU else valeurs["code"]
        writer.writerow(
            [
                *(code if colonne == "code" else valeurs[colonne] for colonne in COLONNES_NOMS),
                ligne.statut,
                candidat(ligne.collectivite) if ligne.collectivite else "",
                " | ".join(candidat(c) for c in ligne.candidats),
                "\u202f; ".join(ligne.raisons),
                ligne.numero,
            ]
        )
    chemin = Path(chemin)
    descripteur, temporaire = tempfile.mkstemp(dir=chemin.parent, prefix=".rapport-", suffix=".csv")
    try:
        with os.fdopen(descripteur, "w", encoding="utf-8-sig", newline="") as fichier:
            fichier.write(sortie.getvalue())
        os.replace(temporaire, chemin)
    except BaseException:
        Path(temporaire).unlink(missing_ok=True)
        raise
    return chemin
