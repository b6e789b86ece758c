"""``manage.py import_palmares FILE.csv``: load past palmarès into the label history.

One line per label obtained, with the header ``annee;code;niveau;mentions;ten`` (``,`` works
too): code = INSEE code of a commune or SIREN of an EPCI, niveau = 1 to 5 or @ to @@@@@,
mentions separated by ``|``, ten = oui/non/1/0 or empty. Every line is checked first; if any is
wrong, every error is reported with its line number and nothing is imported. Otherwise the
rows are created or updated in one transaction: running the same file again changes nothing.
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
from label.models import Edition, Labellisation
from outbox import envois

PREMIERE_ANNEE = 1999
COLONNES = ("annee", "code", "niveau", "mentions", "ten")
OBLIGATOIRES = ("annee", "code", "niveau")
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


def _collectivites(codes):
    """{code or SIREN: collectivité id} for the given codes, in batches."""
    found, codes = {}, sorted(codes)
    for start in range(0, len(codes), PAQUET):
        batch = codes[start : start + PAQUET]
        for pk, code, siren in Collectivite.objects.filter(
            Q(code__in=batch) | Q(siren__in=batch)
        ).values_list("pk", "code", "siren"):
            found.setdefault(code, pk)
            if siren:
                found.setdefault(siren, pk)
    return found


def lire(texte):
    """([{collectivite_id, annee, niveau, mentions, ten}], [errors « ligne N : … »]) from the
    CSV text; the rows only count when there is no error."""
    premiere = texte.split("\n", 1)[0]
    if not premiere.strip():
        return [], [_("ligne 1 : fichier vide, l'en-tête annee;code;niveau;mentions;ten est attendu.")]
    separateur = ";" if premiere.count(";") >= premiere.count(",") else ","
    reader = csv.reader(io.StringIO(texte, newline=""), delimiter=separateur)
    entete = [colonne.strip().lower() for colonne in next(reader)]
    manquantes = [colonne for colonne in OBLIGATOIRES if colonne not in entete]
    inconnues = [colonne for colonne in entete if colonne not in COLONNES]
    if manquantes or inconnues:
        return [], [
            _("ligne 1 : en-tête « %(entete)s » invalide, attendu « annee;code;niveau;mentions;ten ».")
            % {"entete": separateur.join(entete)}
        ]
    brutes = []
    for cellules in reader:
        if not any(cellule.strip() for cellule in cellules):
            continue
        brutes.append((reader.line_num, cellules))
    codes = _collectivites({_code(c[entete.index("code")]) for _n, c in brutes if len(c) == len(entete)})
    erreurs, rows, vues = [], [], {}
    derniere = timezone.localdate().year + 1
    # An edition kept in the portal gets its results from its deliberation, public at publication:
    # importing into it would publish them early.
    editions = set(Edition.objects.values_list("annee", flat=True))
    for numero, cellules in brutes:
        if len(cellules) != len(entete):
            erreurs.append(
                _("ligne %(n)d : %(trouvees)d colonnes au lieu de %(attendues)d.")
                % {"n": numero, "trouvees": len(cellules), "attendues": len(entete)}
            )
            continue
        valeurs = dict(zip(entete, cellules, strict=True))
        annee_texte, code = valeurs["annee"].strip(), _code(valeurs["code"])
        niveau = _niveau(valeurs["niveau"])
        ten_texte = valeurs.get("ten", "").strip().lower()
        annee = int(annee_texte) if annee_texte.isdigit() else None
        probleme = []
        if annee is None or not PREMIERE_ANNEE <= annee <= derniere:
            probleme.append(
                _("millésime « %(valeur)s » invalide (de %(premiere)d à %(derniere)d)")
                % {"valeur": annee_texte, "premiere": PREMIERE_ANNEE, "derniere": derniere}
            )
        elif annee in editions:
            probleme.append(
                _("le label %(annee)d est une édition du portail : ses résultats viennent de sa délibération")
                % {"annee": annee}
            )
        if code not in codes:
            probleme.append(_("code « %(code)s » inconnu (ni code INSEE ni SIREN connu)") % {"code": code})
        if niveau is None:
            probleme.append(
                _("niveau « %(valeur)s » invalide (de 1 à 5, ou de @ à @@@@@)")
                % {"valeur": valeurs["niveau"].strip()}
            )
        if ten_texte not in OUI | NON:
            probleme.append(
                _("TEN « %(valeur)s » invalide (oui, non, 1, 0 ou vide)") % {"valeur": valeurs["ten"].strip()}
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
                _("ligne %(n)d : %(problemes)s.") % {"n": numero, "problemes": "\u202f; ".join(probleme)}
            )
            continue
        mentions = [m.strip() for m in valeurs.get("mentions", "").split("|") if m.strip()]
        rows.append(
            {
                "collectivite_id": codes[code],
                "annee": annee,
                "niveau": niveau,
                "mentions": "\n".join(mentions),
                "ten": ten_texte in OUI,
            }
        )
    return rows, erreurs


@transaction.atomic
def importer(rows):
    """Create or update the Labellisation rows: (created, updated, unchanged)."""
    existantes = {}
    ids = sorted({row["collectivite_id"] for row in rows})
    for start in range(0, len(ids), PAQUET):
        for label in Labellisation.objects.select_for_update().filter(
            collectivite_id__in=ids[start : start + PAQUET]
        ):
            existantes[(label.collectivite_id, label.annee)] = label
    nouvelles, modifiees = [], []
    for row in rows:
        label = existantes.get((row["collectivite_id"], row["annee"]))
        if label is None:
            nouvelles.append(Labellisation(**row))
        elif (label.niveau, label.mentions, label.ten) != (row["niveau"], row["mentions"], row["ten"]):
            label.niveau, label.mentions, label.ten = row["niveau"], row["mentions"], row["ten"]
            modifiees.append(label)
    Labellisation.objects.bulk_create(nouvelles, batch_size=PAQUET)
    Labellisation.objects.bulk_update(modifiees, ["niveau", "mentions", "ten"], batch_size=PAQUET)
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
    return len(nouvelles), len(modifiees), len(rows) - len(nouvelles) - len(modifiees)


class Command(BaseCommand):
    help = (
        "Charge l'historique des palmarès (annee;code;niveau;mentions;ten) : rien n'est importé "
        "si une ligne est fausse."
    )

    def add_arguments(self, parser):
        parser.add_argument("fichier", help="Fichier CSV en UTF-8, séparateur « ; » ou « , ».")

    def handle(self, *args, fichier, **options):
        try:
            texte = Path(fichier).read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise CommandError(
                _("Impossible de lire %(fichier)s : %(erreur)s")
                % {"fichier": fichier, "erreur": exc.strerror}
            ) from None
        except UnicodeDecodeError:
            raise CommandError(
                _("%(fichier)s n'est pas encodé en UTF-8 : rien n'a été importé.") % {"fichier": fichier}
            ) from None
        rows, erreurs = lire(texte)
        if erreurs:
            raise CommandError("\n".join([_("Rien n'a été importé :"), *erreurs]))
        crees, modifiees, inchangees = importer(rows)
        if options["verbosity"]:
            self.stdout.write(
                self.style.SUCCESS(
                    _(
                        "Palmarès : %(crees)d labels ajoutés, %(modifiees)d modifiés, "
                        "%(inchangees)d inchangés."
                    )
                    % {"crees": crees, "modifiees": modifiees, "inchangees": inchangees}
                )
            )
