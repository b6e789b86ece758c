"""A collectivité's label history on its public page (templates/atlaas/collectivite.html).

The atlaas template loads this library: a template dependency, so atlaas' Python code never
imports label. Only ``Labellisation`` rows are read: they exist for imported palmarès and for
published editions, never for a result still under embargo. A year without a row says « pas de
label » only when the portal holds that year's whole palmarès (``selectors.annees_completes``),
« aucune donnée » otherwise. Each tag runs two queries at most, whatever the number of years or
member communes.
"""

from dataclasses import dataclass

from django import template
from django.db.models import OuterRef, Subquery
from django.utils import timezone

from label.models import Labellisation
from label.selectors import annees_completes, ten_valable_jusqu_a

register = template.Library()

# The chart's geometry, in SVG user units (the SVG scales down with the page).
PAS = 24  # width of one year
BARRE = 14  # width of a bar
UNITE = 18  # height of one level
GAUCHE, HAUT, BAS, DROITE = 34, 18, 40, 10
NIVEAU_MAX = 5
ECHELLE = 1.3  # displayed size / user units, on a wide screen


@dataclass
class Colonne:
    """One year of the chart: a bar if labelled that year, else a mark « pas de label » when the
    year's whole palmarès is known, « aucune donnée » when it is not."""

    annee: int
    label: Labellisation | None
    x: int  # left of the bar
    centre: int
    complete: bool = False  # the portal holds that year's whole palmarès

    @property
    def y(self):
        return HAUT + (NIVEAU_MAX - self.label.niveau) * UNITE

    @property
    def hauteur(self):
        return self.label.niveau * UNITE


@dataclass
class Ten:
    annee: int
    jusqu_a: int
    en_cours: bool


def graphique(labels):
    """The chart's columns from the first labelled year to the last, gaps included (the years
    complete are read only when there is a gap)."""
    par_annee = {label.annee: label for label in labels}
    premiere, derniere = labels[0].annee, labels[-1].annee
    completes = annees_completes() if len(labels) < derniere - premiere + 1 else set()
    colonnes = [
        Colonne(
            annee=annee,
            label=par_annee.get(annee),
            x=GAUCHE + i * PAS + (PAS - BARRE) // 2,
            centre=GAUCHE + i * PAS + PAS // 2,
            complete=annee in completes,
        )
        for i, annee in enumerate(range(premiere, derniere + 1))
    ]
    base = HAUT + NIVEAU_MAX * UNITE
    return {
        "colonnes": colonnes,
        "sans_label": any(c.label is None and c.complete for c in colonnes),
        "sans_donnee": any(c.label is None and not c.complete for c in colonnes),
        "niveaux": [(n, base - n * UNITE) for n in range(1, NIVEAU_MAX + 1)],
        "base": base,
        "gauche": GAUCHE,
        "droite": GAUCHE + len(colonnes) * PAS,
        "etiquette_y": base + 12,
        "barre": BARRE,
        "largeur": GAUCHE + len(colonnes) * PAS + DROITE,
        "hauteur": base + BAS,
        "largeur_affichee": round((GAUCHE + len(colonnes) * PAS + DROITE) * ECHELLE),
        "hauteur_affichee": round((base + BAS) * ECHELLE),
    }


def niveau_depuis(labels):
    """The first year of the run of consecutive years at the latest level."""
    derniere = labels[-1]
    depuis = derniere.annee
    for label in reversed(labels[:-1]):
        if label.annee != depuis - 1 or label.niveau != derniere.niveau:
            break
        depuis = label.annee
    return depuis


@register.inclusion_tag("label/collectivite/_historique.html")
def historique_label(collectivite):
    """The label history of the collectivité: chart, summary, distinctions, table (one query, two
    when the years labelled have gaps)."""
    labels = list(Labellisation.objects.filter(collectivite_id=collectivite.pk).order_by("annee"))
    if not labels:
        return {"collectivite": collectivite, "labels": []}
    annee_courante = timezone.localdate().year
    tens = [
        Ten(
            annee=label.annee,
            jusqu_a=ten_valable_jusqu_a(label.annee),
            en_cours=label.annee <= annee_courante <= ten_valable_jusqu_a(label.annee),
        )
        for label in reversed(labels)
        if label.ten
    ]
    lignes = [(label, label.liste_mentions) for label in reversed(labels)]
    return {
        "collectivite": collectivite,
        "labels": labels,
        "derniere": labels[-1],
        "depuis": niveau_depuis(labels),
        "graphique": graphique(labels),
        "tens": tens,
        "lignes": lignes,
        "mentions": [(label, mentions) for label, mentions in lignes if mentions],
    }


def derniers_labels(collectivite_ids):
    """{collectivité id: its latest Labellisation} (one query)."""
    derniere = (
        Labellisation.objects.filter(collectivite_id=OuterRef("collectivite_id"))
        .order_by("-annee")
        .values("annee")[:1]
    )
    return {
        label.collectivite_id: label
        for label in Labellisation.objects.filter(
            collectivite_id__in=list(collectivite_ids), annee=Subquery(derniere)
        )
    }


@register.inclusion_tag("label/collectivite/_dernier_label.html")
def dernier_label(collectivite):
    """The latest label of one collectivité, e.g. a commune's EPCI (one query)."""
    label = None
    if collectivite is not None:
        label = Labellisation.objects.filter(collectivite_id=collectivite.pk).order_by("-annee").first()
    return {"label": label}


@register.simple_tag
def labels_membres(membres):
    """[(membre, latest label or None)] for the member communes of a territoire (one query)."""
    membres = list(membres)
    labels = derniers_labels(membre.pk for membre in membres) if membres else {}
    return [(membre, labels.get(membre.pk)) for membre in membres]
