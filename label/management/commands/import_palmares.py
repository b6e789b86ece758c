"""``manage.py import_palmares FILE.csv [--complet]``: load past palmarès into the label history.

One line per label obtained, with the header ``annee;code;niveau;mentions;ten`` (``,`` works
too): code = INSEE code of a commune or SIREN of an EPCI, niveau = 1 to 5 or @ to @@@@@,
mentions separated by ``|``, ten = oui/non/1/0 or empty. Two optional columns give the year's own
figures, which today's referential cannot (populations and perimeters change): ``population``
(the collectivité's population that year) and ``communes`` (for a territoire, its member
communes that year); the palmarès shows the communes and inhabitants covered of a year only when
every line of it has them. A column left out keeps what is stored; an empty cell clears it.

``--complet`` declares that the file holds the whole palmarès of each of its years
(``HistoriqueComplet``): a collectivité missing from such a year had no label, and a laureate is
said to take part for the first time only when every year before its own is complete.

Every line is checked first; if any is wrong, every error is reported with its line number and
nothing is imported. Otherwise the rows are created or updated in one transaction: running the
same file again changes nothing.
"""

import csv
import io
from pathlib import Path

from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from atlaas.models import Collectivite
from label.models import PREMIER_MILLESIME, Edition, HistoriqueComplet, Labellisation
from outbox import envois

COLONNES = ("annee", "code", "niveau", "mentions", "ten", "population", "communes")
OBLIGATOIRES = ("annee", "code", "niveau")
CHIFFRES = ("population", "communes")  # optional: the year's own figures
OUI, NON = {"oui", "1"}, {"non", "0", ""}
PAQUET = 500  # codes per query, under SQLite's limit on parameters


def _niveau(texte):
    texte = texte.strip()
    if texte.isdigit():
        niveau = int(texte)
    elif texte and set(texte) == {"@"}:
        niveau = len(texte)
    elif texte.endswith("@") and texte[:-1].isdigit():  # « 3@ »
        niveau = int(texte[:-1])
    else:
        return None
    return niveau if 1 <= niveau <= 5 else None


def _code(texte):
    """The code as typed; a spreadsheet turns INSEE code 01053 into 1053: padded back."""
    code = texte.strip().upper()
    return code.zfill(5) if code.isdigit() and len(code) == 4 else code


def _nombre(texte):
    """A count as typed, spaces between thousands allowed: an int, None when empty, 0 if wrong."""
    texte = "".join(texte.split())
    if not texte:
        return None
    return int(texte) if texte.isdigit() else 0


def _collectivites(codes):
    """({code or SIREN: collectivité id}, {ids of the EPCI}) for the given codes, in batches."""
    found, epcis, codes = {}, set(), sorted(codes)
    for start in range(0, len(codes), PAQUET):
        batch = codes[start : start + PAQUET]
        for pk, code, siren, nature in Collectivite.objects.filter(
            Q(code__in=batch) | Q(siren__in=batch)
        ).values_list("pk", "code", "siren", "nature"):
            found.setdefault(code, pk)
            if siren:
                found.setdefault(siren, pk)
            if nature == Collectivite.Nature.EPCI:
                epcis.add(pk)
    return found, epcis


def lire(texte):
    """([{collectivite_id, annee, niveau, mentions, ten[, population][, communes]}], [errors
    « ligne N : … »]) from the CSV text; the rows only count when there is no error. A row has
    the optional figures whose column the file has."""
    premiere = texte.split("\n", 1)[0]
    if not premiere.strip():
        return [], [_("ligne 1 : fichier vide, l'en-tête annee;code;niveau;mentions;ten est attendu.")]
    separateur = ";" if premiere.count(";") >= premiere.count(",") else ","
    reader = csv.reader(io.StringIO(texte, newline=""), delimiter=separateur)
    entete = [colonne.strip().lower() for colonne in next(reader)]
    manquantes = [colonne for colonne in OBLIGATOIRES if colonne not in entete]
    inconnues = [colonne for colonne in entete if colonne not in COLONNES]
    if manquantes or inconnues:
        return [], [
            _(
                "ligne 1 : en-tête « %(entete)s » invalide, attendu « annee;code;niveau;mentions;ten », "
                "et si besoin « population;communes »."
            )
            % {"entete": separateur.join(entete)}
        ]
    brutes = []
    for cellules in reader:
        if not any(cellule.strip() for cellule in cellules):
            continue
        brutes.append((reader.line_num, cellules))
    codes, epcis = _collectivites(
        {_code(c[entete.index("code")]) for _n, c in brutes if len(c) == len(entete)}
    )
    chiffres = [colonne for colonne in CHIFFRES if colonne in entete]
    erreurs, rows, vues = [], [], {}
    derniere = timezone.localdate().year + 1
    # An edition kept in the portal gets its results from its deliberation, public at publication:
    # importing into it would publish them early.
    editions = set(Edition.objects.values_list("annee", flat=True))
    for numero, cellules in brutes:
        if len(cellules) != len(entete):
            erreurs.append(
                _("ligne %(n)d : %(trouvees)d colonnes au lieu de %(attendues)d.")
                % {"n": numero, "trouvees": len(cellules), "attendues": len(entete)}
            )
            continue
        valeurs = dict(zip(entete, cellules, strict=True))
        annee_texte, code = valeurs["annee"].strip(), _code(valeurs["code"])
        niveau = _niveau(valeurs["niveau"])
        ten_texte = valeurs.get("ten", "").strip().lower()
        annee = int(annee_texte) if annee_texte.isdigit() else None
        probleme = []
        if annee is None or not PREMIER_MILLESIME <= annee <= derniere:
            probleme.append(
                _("millésime « %(valeur)s » invalide (de %(premiere)d à %(derniere)d)")
                % {"valeur": annee_texte, "premiere": PREMIER_MILLESIME, "derniere": derniere}
            )
        elif annee in editions:
            probleme.append(
                _("le label %(annee)d est une édition du portail : ses résultats viennent de sa délibération")
                % {"annee": annee}
            )
        if code not in codes:
            probleme.append(_("code « %(code)s » inconnu (ni code INSEE ni SIREN connu)") % {"code": code})
        if niveau is None:
            probleme.append(
                _("niveau « %(valeur)s » invalide (de 1 à 5, ou de @ à @@@@@)")
                % {"valeur": valeurs["niveau"].strip()}
            )
        if ten_texte not in OUI | NON:
            probleme.append(
                _("TEN « %(valeur)s » invalide (oui, non, 1, 0 ou vide)") % {"valeur": valeurs["ten"].strip()}
            )
        population = _nombre(valeurs.get("population", ""))
        if population == 0:
            probleme.append(
                _("population « %(valeur)s » invalide (un nombre d'habitants, ou vide)")
                % {"valeur": valeurs["population"].strip()}
            )
        communes = _nombre(valeurs.get("communes", ""))
        if communes == 0:
            probleme.append(
                _("communes « %(valeur)s » invalide (le nombre de communes membres, ou vide)")
                % {"valeur": valeurs["communes"].strip()}
            )
        elif communes is not None and code in codes and codes[code] not in epcis:
            probleme.append(
                _("communes « %(valeur)s » pour une commune : seul un territoire a des communes membres")
                % {"valeur": valeurs["communes"].strip()}
            )
        cle = (codes.get(code, code), annee)
        if annee is not None and cle in vues:
            probleme.append(
                _("%(code)s a déjà une ligne pour %(annee)d (ligne %(premiere)d)")
                % {"code": code, "annee": annee, "premiere": vues[cle]}
            )
        vues.setdefault(cle, numero)
        if probleme:
            erreurs.append(
                _("ligne %(n)d : %(problemes)s.") % {"n": numero, "problemes": " ; ".join(probleme)}
            )
            continue
        mentions = [m.strip() for m in valeurs.get("mentions", "").split("|") if m.strip()]
        row = {
            "collectivite_id": codes[code],
            "annee": annee,
            "niveau": niveau,
            "mentions": "\n".join(mentions),
            "ten": ten_texte in OUI,
        }
        rows.append(row | {nom: {"population": population, "communes": communes}[nom] for nom in chiffres})
    return rows, erreurs


@transaction.atomic
def importer(rows, complet=False):
    """Create or update the Labellisation rows: (created, updated, unchanged). ``complet``:
    declare each year of the rows complete (``HistoriqueComplet``)."""
    existantes = {}
    ids = sorted({row["collectivite_id"] for row in rows})
    for start in range(0, len(ids), PAQUET):
        for label in Labellisation.objects.select_for_update().filter(
            collectivite_id__in=ids[start : start + PAQUET]
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


class Command(BaseCommand):
    help = (
        "Charge l'historique des palmarès (annee;code;niveau;mentions;ten, et facultatives "
        "population;communes) : rien n'est importé si une ligne est fausse."
    )

    def add_arguments(self, parser):
        parser.add_argument("fichier", help="Fichier CSV en UTF-8, séparateur « ; » ou « , ».")
        parser.add_argument(
            "--complet",
            action="store_true",
            help="Le fichier contient le palmarès entier de chacune de ses années.",
        )

    def handle(self, *args, fichier, complet=False, **options):
        try:
            texte = Path(fichier).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(
                _("Impossible de lire %(fichier)s : %(erreur)s")
                % {"fichier": fichier, "erreur": exc.strerror}
            ) from None
        except UnicodeDecodeError:
            raise CommandError(
                _("%(fichier)s n'est pas encodé en UTF-8 : rien n'a été importé.") % {"fichier": fichier}
            ) from None
        rows, erreurs = lire(texte)
        if erreurs:
            raise CommandError("\n".join([_("Rien n'a été importé :"), *erreurs]))
        crees, modifiees, inchangees = importer(rows, complet=complet)
        if options["verbosity"]:
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "Palmarès : %(crees)d labels ajoutés, %(modifiees)d modifiés, "
                        "%(inchangees)d inchangés."
                    )
                    % {"crees": crees, "modifiees": modifiees, "inchangees": inchangees}
                )
            )
            if complet:
                annees = ", ".join(str(annee) for annee in sorted({row["annee"] for row in rows}))
                self.stdout.write(_("Palmarès complets déclarés : %(annees)s.") % {"annees": annees})
