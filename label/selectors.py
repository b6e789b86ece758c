"""Read queries of a candidature worth a name: eligibility, progress, the mosaïque des enjeux.

Each function runs a fixed number of queries, whatever the number of fiches.
"""

from dataclasses import dataclass, field

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    Max,
    OuterRef,
    Prefetch,
    Q,
    Subquery,
    Sum,
    Value,
    Window,
)
from django.db.models.functions import Coalesce, RowNumber

from atlaas.models import Enjeu, FicheAction, Service, two_years_before

from .models import PREMIER_MILLESIME, Edition, HistoriqueComplet, Labellisation, Question, Reponse, Section

SUGGESTIONS_PER_ENJEU = 3


def eligible_q(closing_date, prefix=""):
    """The SQL twin of ``FicheAction.is_eligible``: less than two years old or still ongoing at
    the closing date, and not starting after it."""
    return Q(**{f"{prefix}date_debut__lte": closing_date}) & (
        Q(**{f"{prefix}en_cours": True})
        | Q(**{f"{prefix}date_fin__isnull": True})
        | Q(**{f"{prefix}date_fin__gte": two_years_before(closing_date)})
    )


def sections_for(candidature):
    """The edition's questionnaire sections for the candidature's type, with their questions
    (two queries)."""
    return list(
        Section.objects.filter(edition_id=candidature.edition_id)
        .filter(Q(type_candidature=candidature.type) | Q(type_candidature=""))
        .prefetch_related("questions")
    )


def questions_for(candidature):
    return Question.objects.filter(section__edition_id=candidature.edition_id).filter(
        Q(section__type_candidature=candidature.type) | Q(section__type_candidature="")
    )


def ordered_questions(candidature):
    """The questions asked of the candidature, with their section, in the questionnaire's order."""
    return list(
        questions_for(candidature)
        .select_related("section")
        .order_by("section__ordre", "section__pk", "ordre", "pk")
    )


def answers_of(candidature):
    """{question id: stored value} of the candidature's answers (one query); a cleared answer
    (an empty row, see ``label.dossier``) is not one."""
    answers = Reponse.objects.filter(candidature=candidature).exclude(valeur="")
    return dict(answers.values_list("question_id", "valeur"))


def fiches_of(candidature):
    """The collectivité's fiches (not the pending revisions of published ones), their services
    and enjeux: two queries."""
    return list(
        FicheAction.objects.originals()
        .filter(collectivite_id=candidature.collectivite_id)
        .prefetch_related(Prefetch("services", queryset=Service.objects.select_related("enjeu")))
        .order_by("-date_debut", "titre")
    )


def eligible_fiches(collectivite, closing_date):
    return FicheAction.objects.originals().filter(eligible_q(closing_date), collectivite=collectivite)


def selected_ids(candidature):
    return set(candidature.fiches.values_list("pk", flat=True))


@dataclass
class Progress:
    required: int
    answered: int
    selected: int
    eligible_selected: int
    pieces: int
    pieces_bytes: int

    @property
    def questionnaire_done(self):
        return self.answered >= self.required

    @property
    def fiches_done(self):
        return self.eligible_selected >= 1

    @property
    def complete(self):
        return self.questionnaire_done and self.fiches_done


def progress(candidature):
    """Answered required questions out of required ones, selected fiches, attachments
    (three queries)."""
    questions = questions_for(candidature).filter(required=True)
    counts = questions.aggregate(
        required=Count("pk", distinct=True),
        answered=Count(
            "reponses",
            filter=Q(reponses__candidature=candidature) & ~Q(reponses__valeur=""),
            distinct=True,
        ),
    )
    fiches = candidature.fiches.aggregate(
        selected=Count("pk"),
        eligible_selected=Count("pk", filter=eligible_q(candidature.edition.closing_date())),
    )
    pieces = candidature.pieces.aggregate(pieces=Count("pk"), pieces_bytes=Sum("taille", default=0))
    return Progress(**counts, **fiches, **pieces)


def dossier_bytes(candidature):
    """The total size of the candidature's attachments."""
    return candidature.pieces.aggregate(total=Sum("taille", default=0))["total"]


@dataclass
class CaseEnjeu:
    enjeu: Enjeu
    count: int
    suggestions: list = field(default_factory=list)

    @property
    def covered(self):
        return self.count > 0


@dataclass
class Mosaique:
    cases: list

    @property
    def covered(self):
        return sum(1 for case in self.cases if case.covered)

    @property
    def total(self):
        return len(self.cases)

    def by_categorie(self):
        """[(categorie, [cases])] in the referential's order."""
        groups = []
        for case in self.cases:
            if not groups or groups[-1][0] != case.enjeu.categorie:
                groups.append((case.enjeu.categorie, []))
            groups[-1][1].append(case)
        return groups


def mosaique(candidature, suggestions=True):
    """The enjeux of the referential with the number of selected fiches covering each (one
    aggregate query), and for each uncovered enjeu up to three published fiches of other
    collectivités (one more query)."""
    covering = (
        FicheAction.objects.filter(candidatures=candidature, services__enjeu=OuterRef("pk"))
        .order_by()
        .values("services__enjeu")
        .annotate(n=Count("pk", distinct=True))
        .values("n")
    )
    enjeux = (
        Enjeu.objects.select_related("categorie")
        .annotate(count=Coalesce(Subquery(covering, output_field=IntegerField()), Value(0)))
        .order_by(
            "categorie__ordre", "categorie__nom", "categorie_id", "ordre", "nom"
        )  # grouped by catégorie
    )
    cases = [CaseEnjeu(enjeu=enjeu, count=enjeu.count) for enjeu in enjeux]
    uncovered = {case.enjeu.pk: case for case in cases if not case.covered}
    if suggestions and uncovered:
        for fiche in examples_for(uncovered, exclude_collectivite=candidature.collectivite_id):
            uncovered[fiche.enjeu_id].suggestions.append(fiche)
    return Mosaique(cases=cases)


def examples_for(enjeu_ids, exclude_collectivite):
    """Up to three published fiches per enjeu, most recently published first, of collectivités
    other than the given one: one query over the fiche-service links, keeping one link per
    (fiche, enjeu), ranked within each enjeu by a window function."""
    links = FicheAction.services.through.objects
    same_enjeu_before = links.filter(
        ficheaction_id=OuterRef("ficheaction_id"),
        service__enjeu_id=OuterRef("service__enjeu_id"),
        service_id__lt=OuterRef("service_id"),
    )
    published = FicheAction.objects.published().exclude(collectivite_id=exclude_collectivite)
    rows = (
        links.filter(ficheaction__in=published, service__enjeu__in=list(enjeu_ids))
        .exclude(Exists(same_enjeu_before))
        .annotate(
            rang=Window(
                RowNumber(),
                partition_by=F("service__enjeu_id"),
                order_by=[F("ficheaction__published_at").desc(nulls_last=True), F("ficheaction_id").desc()],
            )
        )
        .filter(rang__lte=SUGGESTIONS_PER_ENJEU)
        .values(
            "service__enjeu_id",
            "ficheaction_id",
            "ficheaction__titre",
            "ficheaction__collectivite__nom",
            "ficheaction__collectivite__code",
        )
        .order_by("service__enjeu_id", "rang")
    )
    return [
        Exemple(
            enjeu_id=row["service__enjeu_id"],
            pk=row["ficheaction_id"],
            titre=row["ficheaction__titre"],
            collectivite_nom=row["ficheaction__collectivite__nom"],
            collectivite_code=row["ficheaction__collectivite__code"],
        )
        for row in rows
    ]


@dataclass
class Exemple:
    enjeu_id: int
    pk: int
    titre: str
    collectivite_nom: str
    collectivite_code: str


TEN_DEPUIS = 2021  # the first year the distinction was awarded
TEN_LABELS_5 = 6  # 5@ labels in earlier years: this year's 5@ is the seventh
TEN_VALIDITE = 3  # years, the year of award included


def annees_completes():
    """The years whose whole palmarès the portal holds (one query): the published editions with
    results (their deliberation named every laureate) and the years declared complete
    (``HistoriqueComplet``). A year outside it is only what was imported of it."""
    editions = Edition.objects.filter(publie_at__isnull=False, candidatures__resultat__isnull=False)
    declarees = HistoriqueComplet.objects.order_by().values_list("annee", flat=True)
    return set(declarees.union(editions.order_by().values_list("annee", flat=True)))


def historique_complet_avant(annee, completes):
    """Whether every palmarès from the label's first one to the year before ``annee`` is held
    (``completes``: ``annees_completes()``): only then is a laureate without an earlier label
    known to take part for the first time."""
    return all(precedente in completes for precedente in range(PREMIER_MILLESIME, annee))


def ten_valable_jusqu_a(annee_ten):
    """The last year a TEN awarded in ``annee_ten`` is valid: awarded 2022 → valid 2022–2024."""
    return annee_ten + TEN_VALIDITE - 1


@dataclass(frozen=True)
class EligibiliteTen:
    """Whether a collectivité may be named Territoire d'excellence numérique in ``annee``: the
    association awards it to a collectivité at 5@ this year « après avoir obtenu six fois une
    labellisation de 5@ », and for three years.

    The one home of the rule, for the deliberation, its what-if and the demo's history:

    - 5@ this year, from 2021 when the distinction was created;
    - six 5@ labels in earlier years (this year's is then the seventh). « Six fois » does not
      say « in a row »: the six are counted over the whole history, consecutive or not, and a
      5@ year counted for an earlier TEN counts again for the next one;
    - no TEN of its own still valid this year: one awarded in 2022 is valid 2022–2024, so the
      holder may receive it again from 2025, if the other conditions hold.

    Checked on real histories: Fleury-sur-Orne, 5@ 2016–2021 → TEN 2022; Trilport, 5@
    2019–2024 → TEN 2025. The decision stays the jury's.
    """

    annee: int
    labels_5: int  # 5@ labels before ``annee``
    dernier_ten: int | None = None  # the year of its latest TEN before ``annee``

    @property
    def ten_valide_jusqu_a(self):
        """The last year of validity of a TEN obtained earlier and still valid in ``annee``."""
        if self.dernier_ten is None or ten_valable_jusqu_a(self.dernier_ten) < self.annee:
            return None
        return ten_valable_jusqu_a(self.dernier_ten)

    def eligible(self, niveau):
        return (
            niveau == 5
            and self.annee >= TEN_DEPUIS
            and self.labels_5 >= TEN_LABELS_5
            and self.ten_valide_jusqu_a is None
        )


def eligibilites_ten(collectivite_ids, annee):
    """EligibiliteTen per collectivité id, from the label history before ``annee``: one query."""
    collectivite_ids = list(collectivite_ids)
    rows = (
        Labellisation.objects.filter(collectivite_id__in=collectivite_ids, annee__lt=annee)
        .values("collectivite_id")
        .annotate(
            labels_5=Count("pk", filter=Q(niveau=5)),
            dernier_ten=Max("annee", filter=Q(ten=True)),
        )
    )
    found = {r["collectivite_id"]: r for r in rows}
    return {
        pk: EligibiliteTen(
            annee=annee,
            labels_5=found.get(pk, {}).get("labels_5", 0),
            dernier_ten=found.get(pk, {}).get("dernier_ten"),
        )
        for pk in collectivite_ids
    }
