"""The palmarès' map: its laureates by département — how many, the best level, the share of the
département's communes covered, counted as the key figures count coverage (``chiffres.couverture``:
a laureate commune, or an active member of a laureate territoire).

``carte(palmares)`` computes plain figures (one query; none for a year of imported history, whose
member communes are not known) kept in the cache with the palmarès; the contours come from
``atlaas.carte`` at render time, so the cached palmarès does not carry them.
"""

from dataclasses import dataclass, field

from django.db.models import Count, Q
from django.utils.translation import gettext, ngettext

from atlaas import carte as fond_de_carte
from atlaas.models import Collectivite

from .filtres import niveau_lu


@dataclass
class DepartementCarte:
    code: str
    nom: str
    laureats: int = 0
    meilleur: int | None = None  # best level of its laureates
    couvertes: int | None = None  # communes covered; None: not known (imported year)
    communes: int | None = None  # its active communes

    @property
    def part(self):
        """The share of its communes covered, in percent (« < 1 » under one), or None."""
        if self.couvertes is None or not self.communes:
            return None
        part = round(100 * self.couvertes / self.communes)
        return "< 1" if part == 0 and self.couvertes else part

    @property
    def d(self):
        return fond_de_carte.carte().chemins.get(self.code, "")

    @property
    def libelle(self):
        return f"{self.nom} ({self.code})"

    @property
    def niveau_texte(self):
        return niveau_lu(self.meilleur) if self.meilleur else ""

    @property
    def part_texte(self):
        if self.part is None:
            return gettext("non connue")
        return f"{self.part} %"

    @property
    def titre(self):
        """What its link on the map says (in the language of the page)."""
        laureats = ngettext("%(n)s lauréat", "%(n)s lauréats", self.laureats) % {"n": self.laureats}
        if self.part is None:
            return gettext("%(departement)s : %(laureats)s, meilleur niveau %(niveau)s") % {
                "departement": self.libelle,
                "laureats": laureats,
                "niveau": self.niveau_texte,
            }
        return gettext(
            "%(departement)s : %(laureats)s, meilleur niveau %(niveau)s, %(part)s des communes couvertes"
        ) % {
            "departement": self.libelle,
            "laureats": laureats,
            "niveau": self.niveau_texte,
            "part": self.part_texte,
        }


@dataclass
class Carte:
    departements: list = field(default_factory=list)  # [DepartementCarte] with laureates or coverage
    couverture_connue: bool = True

    @property
    def fond(self):
        return fond_de_carte.carte()

    @property
    def sur_la_carte(self):
        """The départements with laureates that the map draws (each a link)."""
        chemins = self.fond.chemins
        return [d for d in self.departements if d.laureats and d.code in chemins]

    @property
    def sans_laureat(self):
        """One path of the départements of the map with no laureate."""
        avec = {d.code for d in self.sur_la_carte}
        return "".join(d for code, d in self.fond.chemins.items() if code not in avec)

    @property
    def niveaux(self):
        """The legend: (level, words), 5 to 1."""
        return [(n, niveau_lu(n)) for n in range(5, 0, -1)]


def _ordre(code):
    return (len(code) > 2, code)  # 01…95 with 2A/2B, then overseas


def carte(palmares):
    """The figures of the palmarès' map (one query for an edition's palmarès, none for a year of
    imported history)."""
    departements = {}
    for laureat in palmares.laureats:
        if not laureat.departement:
            continue
        dep = departements.setdefault(
            laureat.departement, DepartementCarte(laureat.departement, laureat.departement_nom)
        )
        dep.laureats += 1
        dep.meilleur = max(dep.meilleur or 0, laureat.niveau)
    if palmares.historique:
        return Carte(sorted(departements.values(), key=lambda d: _ordre(d.code)), couverture_connue=False)
    communes = [x.collectivite_id for x in palmares.laureats if x.nature == Collectivite.Nature.COMMUNE]
    epcis = [x.collectivite_id for x in palmares.laureats if x.nature == Collectivite.Nature.EPCI]
    couvertes = Q(pk__in=communes) | Q(epci_id__in=epcis, active=True) if epcis else Q(pk__in=communes)
    lignes = (
        Collectivite.objects.communes()
        .filter(departement__isnull=False)
        .values_list("departement__code", "departement__nom")
        .annotate(communes=Count("pk", filter=Q(active=True)), couvertes=Count("pk", filter=couvertes))
        .order_by()
    )
    for code, nom, total, nombre in lignes:
        if code in departements or nombre:
            dep = departements.setdefault(code, DepartementCarte(code, nom))
            dep.communes, dep.couvertes = total, nombre
    for dep in departements.values():
        if dep.couvertes is None:  # a département without communes in the referential
            dep.couvertes, dep.communes = 0, 0
    return Carte(sorted(departements.values(), key=lambda d: _ordre(d.code)))
