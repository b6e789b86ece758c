"""Assigning jurors to dossiers: the balanced split (pure), the automatic run, the president's
changes by hand, and the president's pages."""

import itertools
from collections import Counter

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from hypothesis import given, settings
from hypothesis import strategies as st

from jury.affectation import (
    MOTIF_AUTOMATIQUE,
    MOTIF_CONFLIT,
    AffectationRefusee,
    affecter,
    ajouter,
    repartir,
    retirer,
    retirer_conflits,
)
from jury.models import AffectationJournal, ConflitDeclare, Evaluation, Jury, Note
from label.models import Candidature
from tests.factories import (
    CandidatureFactory,
    CommuneFactory,
    CritereFactory,
    DepartementFactory,
    EditionFactory,
    EnjeuFactory,
    EvaluationFactory,
    FicheFactory,
    JureFactory,
    ServiceFactory,
)
from tests.jury import connecter

# --- The pure split ---------------------------------------------------------------------------


@st.composite
def instances(draw, max_dossiers=4, max_jures=4, max_k=3):
    """A random edition: dossiers with enjeux, jurors with expertises, conflicts, and existing
    pairs (never conflicted: the caller removes those first)."""
    dossiers = list(range(draw(st.integers(0, max_dossiers))))
    jures = list(range(100, 100 + draw(st.integers(0, max_jures))))
    paires = [(d, j) for d in dossiers for j in jures]
    conflits = draw(st.sets(st.sampled_from(paires))) if paires else set()
    existantes = (draw(st.sets(st.sampled_from(paires))) if paires else set()) - conflits
    return {
        "dossiers": {d: draw(st.frozensets(st.integers(0, 4), max_size=3)) for d in dossiers},
        "jures": jures,
        "k": draw(st.integers(1, max_k)),
        "conflits": conflits,
        "existantes": existantes,
        "expertises": {j: draw(st.frozensets(st.integers(0, 4), max_size=2)) for j in jures},
        "seed": draw(st.integers(0, 2**32)),
    }


def charges(instance, nouvelles):
    charge = Counter(dict.fromkeys(instance["jures"], 0))
    charge.update(j for _d, j in instance["existantes"])
    charge.update(j for _d, j in nouvelles)
    return charge


def choix_possibles(instance):
    """Every complete choice of new pairs: each dossier gets as many jurors as it can."""
    par_dossier = []
    for d in instance["dossiers"]:
        sur = {j for dd, j in instance["existantes"] if dd == d}
        libres = [j for j in instance["jures"] if (d, j) not in instance["conflits"] and j not in sur]
        besoin = min(max(instance["k"] - len(sur), 0), len(libres))
        par_dossier.append([[(d, j) for j in choix] for choix in itertools.combinations(libres, besoin)])
    for choix in itertools.product(*par_dossier):
        yield [paire for paires in choix for paire in paires]


@settings(max_examples=300, deadline=None)
@given(instances())
def test_repartir_gives_every_dossier_k_jurors_when_it_can_none_conflicted(instance):
    resultat = repartir(**instance)
    nouvelles = resultat.nouvelles
    assert len(set(nouvelles)) == len(nouvelles)
    assert not set(nouvelles) & instance["conflits"]
    assert not set(nouvelles) & instance["existantes"]
    manques = {m.dossier: m for m in resultat.manques}
    for d in instance["dossiers"]:
        sur = {j for dd, j in instance["existantes"] | set(nouvelles) if dd == d}
        libres = {j for j in instance["jures"] if (d, j) not in instance["conflits"]}
        if len(libres) >= instance["k"]:
            assert len(sur) >= instance["k"]
            assert d not in manques
        else:
            # As many as possible, and the dossier is reported with the reason.
            assert sur == libres
            assert manques[d].affectes == len(libres)
            assert manques[d].raison


@settings(max_examples=300, deadline=None)
@given(instances())
def test_repartir_loads_are_as_balanced_as_the_conflicts_allow(instance):
    """Compared with every possible choice (small editions): the sum of squared loads is the
    least possible, hence loads are within one whenever some choice has them within one."""
    nouvelles = repartir(**instance).nouvelles
    charge = charges(instance, nouvelles)
    meilleur_carres, meilleur_ecart = None, None
    for choix in choix_possibles(instance):
        autre = charges(instance, choix).values()
        carres = sum(c * c for c in autre)
        ecart = max(autre, default=0) - min(autre, default=0)
        meilleur_carres = carres if meilleur_carres is None else min(meilleur_carres, carres)
        meilleur_ecart = ecart if meilleur_ecart is None else min(meilleur_ecart, ecart)
    assert sum(c * c for c in charge.values()) == meilleur_carres
    if meilleur_ecart <= 1:
        assert max(charge.values(), default=0) - min(charge.values(), default=0) <= 1


@settings(max_examples=50, deadline=None)
@given(instances(max_dossiers=40, max_jures=12, max_k=4))
def test_repartir_is_deterministic_for_a_seed_whatever_the_input_order(instance):
    premier = repartir(**instance)
    melange = {
        **instance,
        "dossiers": dict(reversed(list(instance["dossiers"].items()))),
        "jures": list(reversed(instance["jures"])),
    }
    assert repartir(**melange) == premier


@settings(max_examples=50, deadline=None)
@given(
    dossiers=st.integers(0, 60),
    jures=st.integers(1, 15),
    k=st.integers(1, 4),
    seed=st.integers(0, 1000),
)
def test_repartir_without_conflicts_gives_k_jurors_each_and_loads_within_one(dossiers, jures, k, seed):
    resultat = repartir(range(dossiers), range(jures), k, seed=seed)
    par_dossier = Counter(d for d, _j in resultat.nouvelles)
    charge = Counter({**dict.fromkeys(range(jures), 0), **Counter(j for _d, j in resultat.nouvelles)})
    assert all(par_dossier[d] == min(k, jures) for d in range(dossiers))
    assert max(charge.values()) - min(charge.values()) <= 1


def test_repartir_keeps_existing_pairs_and_balances_around_them():
    existantes = {(d, "a") for d in range(4)}
    resultat = repartir(range(6), ["a", "b", "c"], 2, existantes=existantes, seed=1)
    assert not [p for p in resultat.nouvelles if p in existantes]
    charge = Counter(j for _d, j in resultat.nouvelles) + Counter(j for _d, j in existantes)
    assert sorted(charge.values()) == [4, 4, 4]


def test_repartir_explains_a_dossier_lacking_jurors():
    conflits = {(1, "a"), (1, "b")}
    resultat = repartir([1, 2], ["a", "b", "c"], 2, conflits=conflits, seed=3)
    assert [(m.dossier, m.affectes, m.en_conflit) for m in resultat.manques] == [(1, 1, 2)]
    assert resultat.manques[0].raison == (
        "2 jurés sont en conflit d'intérêts avec ce dossier\u00a0: 1 affecté(s) sur 2."
    )
    too_few = repartir([1], ["a"], 2).manques[0]
    assert too_few.raison == "Le jury ne compte que 1 juré pour 2 par dossier."


def test_repartir_spreads_expertise_among_equally_loaded_jurors():
    expertises = {"a1": {"A"}, "a2": {"A"}, "b": {"B"}}
    for seed in range(20):
        nouvelles = repartir(
            {1: {"A", "B"}}, ["a1", "a2", "b"], 2, expertises=expertises, seed=seed
        ).nouvelles
        assert set().union(*(expertises[j] for _d, j in nouvelles)) == {"A", "B"}


def test_repartir_changes_with_the_seed_only_among_ties():
    tirages = {tuple(repartir(range(3), range(6), 1, seed=seed).nouvelles) for seed in range(20)}
    assert len(tirages) > 1
    assert all(len({j for _d, j in tirage}) == 3 for tirage in tirages)


# --- The automatic run ----------------------------------------------------------------------


@pytest.fixture
def edition():
    return EditionFactory()


def deposee(edition, **kwargs):
    return CandidatureFactory(edition=edition, state=Candidature.State.DEPOSEE, **kwargs)


def paires(edition):
    return set(
        Evaluation.objects.filter(candidature__edition=edition).values_list("candidature_id", "jure_id")
    )


def loads(edition):
    jures = edition.jures.all()
    counts = Counter(Evaluation.objects.filter(jure__in=jures).values_list("jure_id", flat=True))
    return [counts[j.pk] for j in jures]


@pytest.mark.django_db
def test_affecter_gives_each_dossier_k_jurors_with_balanced_loads(edition, staff):
    dossiers = [deposee(edition) for _ in range(5)]
    CandidatureFactory(edition=edition)  # a draft is not evaluated
    JureFactory.create_batch(4, edition=edition)
    bilan = affecter(edition, by=staff)
    assert bilan.crees == 10 and bilan.retires == 0 and bilan.manques == []
    for dossier in dossiers:
        assert dossier.evaluations.count() == 2
    assert max(loads(edition)) - min(loads(edition)) <= 1
    assert set(Evaluation.objects.values_list("origine", flat=True)) == {Evaluation.Origine.AUTOMATIQUE}
    journal = AffectationJournal.objects.all()
    assert journal.count() == 10
    assert {(j.action, j.motif, j.by) for j in journal} == {
        (AffectationJournal.Action.AJOUT, MOTIF_AUTOMATIQUE, staff)
    }


@pytest.mark.django_db
def test_affecter_uses_the_edition_setting_and_ignores_jurors_who_did_not_accept(edition, staff):
    Jury.objects.create(edition=edition, jures_par_dossier=3)
    dossier = deposee(edition)
    JureFactory.create_batch(3, edition=edition)
    JureFactory(edition=edition, accepted_at=None)
    affecter(edition, by=staff)
    assert dossier.evaluations.count() == 3
    assert not Evaluation.objects.filter(jure__accepted_at__isnull=True).exists()


@pytest.mark.django_db
def test_affecter_again_keeps_existing_work_and_is_idempotent(edition, staff):
    dossiers = [deposee(edition) for _ in range(4)]
    JureFactory.create_batch(3, edition=edition)
    affecter(edition, by=staff)
    soumise = Evaluation.objects.first()
    critere = CritereFactory(edition=edition)
    soumise.notes.create(critere=critere, score=4)
    Evaluation.objects.filter(pk=soumise.pk).update(state=Evaluation.State.SOUMISE, niveau_propose=4)
    avant = set(Evaluation.objects.values_list("pk", "candidature_id", "jure_id"))

    bilan = affecter(edition, by=staff)
    assert (bilan.crees, bilan.retires, bilan.manques) == (0, 0, [])
    assert set(Evaluation.objects.values_list("pk", "candidature_id", "jure_id")) == avant
    soumise.refresh_from_db()
    assert soumise.state == Evaluation.State.SOUMISE and soumise.notes.get().score == 4

    # Late changes: a dossier and a juror arrive; the existing pairs stay as they are.
    nouveau = deposee(edition)
    JureFactory(edition=edition)
    bilan = affecter(edition, by=staff)
    assert avant <= set(Evaluation.objects.values_list("pk", "candidature_id", "jure_id"))
    assert nouveau.evaluations.count() == 2
    assert all(d.evaluations.count() == 2 for d in dossiers)
    # Loads were 3, 3, 2: the new dossier goes to the least loaded (kept pairs are not moved).
    assert sorted(loads(edition)) == [1, 3, 3, 3]


@pytest.mark.django_db
def test_affecter_never_assigns_a_conflicted_juror(edition, staff):
    lot = DepartementFactory(code="47", nom="Lot-et-Garonne")
    gironde = DepartementFactory(code="33", nom="Gironde")
    agen = deposee(edition, collectivite=CommuneFactory(nom="Agen", departement=lot))
    bordeaux = deposee(edition, collectivite=CommuneFactory(nom="Bordeaux", departement=gironde))
    residant = JureFactory(edition=edition, departement=lot)
    declarant = JureFactory(edition=edition)
    ConflitDeclare.objects.create(jure=declarant, collectivite=bordeaux.collectivite, motif="Ancien élu")
    autres = JureFactory.create_batch(2, edition=edition)
    affecter(edition, by=staff)
    assert (agen.pk, residant.pk) not in paires(edition)
    assert (bordeaux.pk, declarant.pk) not in paires(edition)
    assert agen.evaluations.count() == 2 and bordeaux.evaluations.count() == 2
    assert {e.jure for e in agen.evaluations.all()} <= {declarant, *autres}


@pytest.mark.django_db
def test_affecter_removes_assignments_now_conflicted_even_submitted_and_fills_the_gap(edition, staff):
    agen = deposee(edition)
    bordeaux = deposee(edition)
    jure = JureFactory(edition=edition)
    JureFactory.create_batch(2, edition=edition)
    a_faire = EvaluationFactory(jure=jure, candidature=agen)
    soumise = EvaluationFactory(jure=jure, candidature=bordeaux, state=Evaluation.State.SOUMISE)
    soumise.notes.create(critere=CritereFactory(edition=edition), score=5)
    for dossier in (agen, bordeaux):
        ConflitDeclare.objects.create(jure=jure, collectivite=dossier.collectivite, motif="Conjoint élu")
    bilan = affecter(edition, by=staff)
    assert bilan.retires == 2
    assert not Evaluation.objects.filter(pk__in=[a_faire.pk, soumise.pk]).exists()
    assert not Note.objects.exists()  # the conflicted juror's scores no longer count
    retraits = AffectationJournal.objects.filter(action=AffectationJournal.Action.RETRAIT)
    assert {(r.jure, r.candidature, r.motif, r.by) for r in retraits} == {
        (jure, agen, MOTIF_CONFLIT, staff),
        (jure, bordeaux, MOTIF_CONFLIT, staff),
    }
    for dossier in (agen, bordeaux):  # the gap is filled by the two others, not counting him
        assert dossier.evaluations.count() == 2 and jure not in {e.jure for e in dossier.evaluations.all()}


@pytest.mark.django_db
def test_affecter_reports_dossiers_lacking_jurors_with_the_reason(edition, staff):
    lot = DepartementFactory()
    agen = deposee(edition, collectivite=CommuneFactory(nom="Agen", departement=lot))
    deposee(edition, collectivite=CommuneFactory(departement=DepartementFactory(code="33")))
    JureFactory(edition=edition, departement=lot)
    JureFactory(edition=edition)
    bilan = affecter(edition, by=staff)
    assert [c for c, _raison in bilan.manques] == [agen]
    assert (
        bilan.manques[0][1] == "1 juré est en conflit d'intérêts avec ce dossier\u00a0: 1 affecté(s) sur 2."
    )


@pytest.mark.django_db
def test_affecter_prefers_the_juror_expert_in_the_dossiers_enjeux(edition, staff):
    Jury.objects.create(edition=edition, jures_par_dossier=1)
    mediation = EnjeuFactory(nom="Médiation")
    commune = CommuneFactory()
    dossier = deposee(edition, collectivite=commune)
    dossier.fiches.set([FicheFactory(collectivite=commune, services=[ServiceFactory(enjeu=mediation)])])
    JureFactory(edition=edition).expertises.set([EnjeuFactory()])
    expert = JureFactory(edition=edition)
    expert.expertises.set([mediation])
    for seed in range(5):
        Evaluation.objects.all().delete()
        affecter(edition, by=staff, seed=seed)
        assert dossier.evaluations.get().jure == expert


@pytest.mark.django_db
def test_affecter_refuses_outside_the_evaluation_phase(edition, staff):
    Jury.objects.create(edition=edition, phase=Jury.Phase.DELIBERATION)
    deposee(edition)
    JureFactory.create_batch(2, edition=edition)
    with pytest.raises(AffectationRefusee, match="Délibération ouverte"):
        affecter(edition, by=staff)
    assert not Evaluation.objects.exists()


@pytest.mark.django_db
def test_affecter_query_count_does_not_grow_with_dossiers(edition, staff):
    def compter(n):
        Evaluation.objects.all().delete()
        for _ in range(n):
            deposee(edition)
        with CaptureQueriesContext(connection) as captured:
            affecter(edition, by=staff)
        return len(captured)

    Jury.objects.create(edition=edition)
    JureFactory.create_batch(4, edition=edition)
    assert compter(1) == compter(20)


# --- Conflicts that arise later ---------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("phase", [Jury.Phase.EVALUATION, Jury.Phase.DELIBERATION, Jury.Phase.CLOSE])
def test_retirer_conflits_removes_the_jurors_conflicted_assignments_in_every_state(edition, staff, phase):
    Jury.objects.create(edition=edition, phase=phase)
    jure = JureFactory(edition=edition)
    lot = DepartementFactory(code="47", nom="Lot-et-Garonne")
    agen = deposee(edition, collectivite=CommuneFactory(nom="Agen", departement=lot))
    nerac = deposee(edition, collectivite=CommuneFactory(nom="Nérac", departement=lot))
    gironde = DepartementFactory(code="33", nom="Gironde")
    bordeaux = deposee(edition, collectivite=CommuneFactory(nom="Bordeaux", departement=gironde))
    EvaluationFactory(jure=jure, candidature=nerac, state=Evaluation.State.BROUILLON)
    soumise = EvaluationFactory(jure=jure, candidature=agen, state=Evaluation.State.SOUMISE)
    soumise.notes.create(critere=CritereFactory(edition=edition), score=5)
    gardee = EvaluationFactory(jure=jure, candidature=bordeaux, state=Evaluation.State.SOUMISE)
    autre = EvaluationFactory(jure=JureFactory(edition=edition), candidature=agen)
    assert retirer_conflits(jure, staff) == []  # no conflict yet: nothing removed

    ConflitDeclare.objects.create(jure=jure, departement=lot, motif="Conseiller départemental")
    # Whatever the phase: during the deliberation too, a conflicted juror's scores go.
    assert retirer_conflits(jure, jure.user) == [agen, nerac]
    assert set(Evaluation.objects.values_list("pk", flat=True)) == {gardee.pk, autre.pk}
    assert not Note.objects.filter(evaluation_id=soumise.pk).exists()
    assert {(r.candidature, r.action, r.motif, r.by) for r in AffectationJournal.objects.all()} == {
        (agen, AffectationJournal.Action.RETRAIT, MOTIF_CONFLIT, jure.user),
        (nerac, AffectationJournal.Action.RETRAIT, MOTIF_CONFLIT, jure.user),
    }
    assert retirer_conflits(jure, jure.user) == []  # again: nothing left to remove
    assert AffectationJournal.objects.count() == 2


@pytest.mark.django_db
def test_retirer_conflits_leaves_the_dossier_lacking_a_juror_on_the_presidents_page(client, edition):
    president = JureFactory(edition=edition, president=True)
    connecter(client, president.user)
    dossier = deposee(edition, collectivite=CommuneFactory(nom="Agen"))
    jure = JureFactory(edition=edition, nom="Juré Martin")
    EvaluationFactory(jure=jure, candidature=dossier, state=Evaluation.State.SOUMISE)
    EvaluationFactory(jure=JureFactory(edition=edition), candidature=dossier)
    assert not client.get(liste_url(edition), {"dossiers": "incomplets"}).context["lignes"]
    ConflitDeclare.objects.create(jure=jure, collectivite=dossier.collectivite, motif="Ancien agent")
    retirer_conflits(jure, jure.user)
    lignes = client.get(liste_url(edition), {"dossiers": "incomplets"}).context["lignes"]
    assert [(ligne["candidature"], ligne["nombre"]) for ligne in lignes] == [(dossier, 1)]


# --- Changes by hand --------------------------------------------------------------------------


@pytest.mark.django_db
def test_ajouter_assigns_the_juror_and_journals_the_reason(edition, staff):
    dossier = deposee(edition)
    jure = JureFactory(edition=edition)
    evaluation = ajouter(edition, jure, dossier, staff, "  Spécialiste des territoires  ")
    assert evaluation.origine == Evaluation.Origine.PRESIDENT
    journal = AffectationJournal.objects.get()
    assert (journal.action, journal.motif, journal.by, journal.jure) == (
        AffectationJournal.Action.AJOUT,
        "Spécialiste des territoires",
        staff,
        jure,
    )


@pytest.mark.django_db
def test_ajouter_refuses_what_the_rules_forbid(edition, staff):
    lot = DepartementFactory()
    dossier = deposee(edition, collectivite=CommuneFactory(departement=lot))
    jure = JureFactory(edition=edition)
    with pytest.raises(AffectationRefusee, match="motif") as refus:
        ajouter(edition, jure, dossier, staff, " ")
    assert refus.value.champ == "motif"
    with pytest.raises(AffectationRefusee, match=r"conflit d'intérêts.*département de résidence"):
        ajouter(edition, JureFactory(edition=edition, departement=lot), dossier, staff, "Renfort")
    ajouter(edition, jure, dossier, staff, "Renfort")
    with pytest.raises(AffectationRefusee, match="déjà affecté"):
        ajouter(edition, jure, dossier, staff, "Renfort")
    with pytest.raises(AffectationRefusee, match="candidature déposée"):
        ajouter(edition, jure, CandidatureFactory(edition=edition), staff, "Renfort")
    autre = EditionFactory(annee=2026, numero=27)
    with pytest.raises(AffectationRefusee, match="candidature déposée"):
        ajouter(edition, jure, deposee(autre), staff, "Renfort")
    with pytest.raises(AffectationRefusee, match="n'est pas juré"):
        ajouter(edition, JureFactory(edition=autre), deposee(edition), staff, "Renfort")
    Jury.objects.filter(edition=edition).update(phase=Jury.Phase.CLOSE)
    with pytest.raises(AffectationRefusee, match="Délibération close"):
        ajouter(edition, JureFactory(edition=edition), dossier, staff, "Renfort")
    assert Evaluation.objects.count() == 1


@pytest.mark.django_db
def test_retirer_deletes_even_a_submitted_evaluation_and_journals_it(edition, staff):
    evaluation = EvaluationFactory(jure=JureFactory(edition=edition), state=Evaluation.State.SOUMISE)
    evaluation.notes.create(critere=CritereFactory(edition=edition), score=3)
    with pytest.raises(AffectationRefusee, match="motif"):
        retirer(evaluation, staff, "")
    retirer(evaluation, staff, "Conflit signalé par téléphone")
    assert not Evaluation.objects.exists()
    journal = AffectationJournal.objects.get()
    assert (journal.action, journal.motif, journal.jure_id) == (
        AffectationJournal.Action.RETRAIT,
        "Conflit signalé par téléphone",
        evaluation.jure_id,
    )
    with pytest.raises(AffectationRefusee, match="déjà plus affecté"):
        retirer(evaluation, staff, "Deux fois")


@pytest.mark.django_db
def test_retirer_refuses_outside_the_evaluation_phase(edition, staff):
    evaluation = EvaluationFactory(jure=JureFactory(edition=edition))
    Jury.objects.create(edition=edition, phase=Jury.Phase.DELIBERATION)
    with pytest.raises(AffectationRefusee):
        retirer(evaluation, staff, "Trop tard")
    assert Evaluation.objects.exists()


# --- Pages ------------------------------------------------------------------------------------


def premier_message(response):
    return str(next(iter(response.context["messages"])))


def liste_url(edition):
    return reverse("jury:affectations", args=[edition.annee])


def lancer_url(edition):
    return reverse("jury:affectations_lancer", args=[edition.annee])


def dossier_url(candidature):
    return reverse("jury:affectations_dossier", args=[candidature.edition.annee, candidature.pk])


@pytest.fixture
def president(client, edition):
    jure = JureFactory(edition=edition, president=True, nom="Présidente Durand")
    connecter(client, jure.user)
    return jure


@pytest.mark.django_db
def test_affectation_pages_are_the_presidents_and_staffs(client, edition, staff):
    dossier = deposee(edition)
    urls = [liste_url(edition), dossier_url(dossier)]
    for url in urls:
        assert client.get(url).status_code == 302  # anonymous: sign in
    connecter(client, JureFactory(edition=edition).user)
    for url in urls:
        assert client.get(url).status_code == 404
    assert client.post(lancer_url(edition)).status_code == 404
    assert not Evaluation.objects.exists()
    connecter(client, JureFactory(edition=edition, president=True).user)
    for url in urls:
        assert client.get(url).status_code == 200
    connecter(client, staff)
    for url in urls:
        assert client.get(url).status_code == 200


@pytest.mark.django_db
def test_affectation_list_shows_workloads_and_dossiers(client, edition, president):
    lot = DepartementFactory(code="47", nom="Lot-et-Garonne")
    agen = deposee(edition, collectivite=CommuneFactory(nom="Agen", departement=lot))
    deposee(edition, collectivite=CommuneFactory(nom="Nérac", departement=lot))
    jure = JureFactory(edition=edition, nom="Juré Martin")
    EvaluationFactory(jure=jure, candidature=agen, state=Evaluation.State.SOUMISE)
    page = client.get(liste_url(edition)).content.decode()
    assert "Juré Martin" in page and "Agen" in page and "Nérac" in page and "Lot-et-Garonne (47)" in page
    assert "Lancer l'affectation automatique</button>" in page
    filtre = client.get(liste_url(edition), {"dossiers": "incomplets"}).context
    assert [ligne["candidature"].collectivite.nom for ligne in filtre["lignes"]] == ["Agen", "Nérac"]
    assert {(c["jure"].nom, c["charge"], c["soumises"]) for c in filtre["charges"]} >= {("Juré Martin", 1, 1)}


@pytest.mark.django_db
def test_affectation_list_hides_the_jurors_of_a_dossier_the_president_is_in_conflict_with(
    client, edition, president
):
    ConflitDeclare.objects.create(jure=president, departement=DepartementFactory(), motif="Élue locale")
    dossier = deposee(edition)
    EvaluationFactory(jure=JureFactory(edition=edition, nom="Juré Caché"), candidature=dossier)
    lignes = client.get(liste_url(edition)).context["lignes"]
    page = client.get(liste_url(edition)).content.decode()
    assert lignes[0]["masque"] and "Masqués\u00a0: vous êtes en conflit d'intérêts" in page
    assert dossier_url(dossier) not in page
    assert page.count("Juré Caché") == 1  # in the workloads only
    assert client.get(dossier_url(dossier)).status_code == 404


@pytest.mark.django_db
def test_affectation_run_from_the_page_says_what_it_did(client, edition, president):
    lot = DepartementFactory()
    deposee(edition, collectivite=CommuneFactory(nom="Agen", departement=lot))
    deposee(edition, collectivite=CommuneFactory(nom="Nérac", departement=DepartementFactory(code="33")))
    JureFactory(edition=edition, departement=lot)
    assert client.get(lancer_url(edition)).status_code == 405
    response = client.post(lancer_url(edition), follow=True)
    assert response.redirect_chain == [(liste_url(edition), 302)]
    textes = [str(m) for m in response.context["messages"]]
    assert textes[0] == "Affectation automatique terminée\u00a0: 3 affectations créées."
    assert "Sans assez de jurés\u00a0: Agen. 1 juré est en conflit d'intérêts" in textes[1]
    assert len(textes) == 2  # Nérac has its two jurors: the president and the other one


@pytest.mark.django_db
def test_affectation_run_refused_outside_the_evaluation_phase(client, edition, president):
    Jury.objects.create(edition=edition, phase=Jury.Phase.DELIBERATION)
    deposee(edition)
    response = client.post(lancer_url(edition), follow=True)
    assert "Délibération ouverte" in premier_message(response)
    assert not Evaluation.objects.exists()
    assert "Lancer l'affectation automatique</button>" not in response.content.decode()


@pytest.mark.django_db
def test_affectation_list_query_count_does_not_grow_with_dossiers(client, edition, president):
    jures = JureFactory.create_batch(3, edition=edition)

    def compter():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(liste_url(edition)).status_code == 200
        return len(captured)

    EvaluationFactory(jure=jures[0], candidature=deposee(edition))
    compter()  # the first visit creates the jury's settings
    une = compter()
    for i in range(29):
        EvaluationFactory(jure=jures[i % 3], candidature=deposee(edition))
    assert compter() == une


@pytest.mark.django_db
def test_affectation_dossier_add_a_juror_with_a_reason(client, edition, president):
    dossier = deposee(edition, collectivite=CommuneFactory(nom="Agen"))
    jure = JureFactory(edition=edition, nom="Juré Martin")
    url = dossier_url(dossier)
    response = client.post(url, {"action": "ajouter", "jure": jure.pk, "motif": ""})
    assert response.status_code == 200
    form = response.context["ajout_form"]
    assert form.errors["motif"] and form["jure"].value() == str(jure.pk)
    assert not Evaluation.objects.exists()
    response = client.post(
        url, {"action": "ajouter", "jure": jure.pk, "motif": "Expert du sujet"}, follow=True
    )
    assert response.redirect_chain == [(url, 302)]
    assert "Juré Martin est affecté(e) au dossier «\u00a0Agen\u00a0»." in [
        str(m) for m in response.context["messages"]
    ]
    evaluation = Evaluation.objects.get()
    assert (evaluation.jure, evaluation.origine) == (jure, Evaluation.Origine.PRESIDENT)
    assert AffectationJournal.objects.get().motif == "Expert du sujet"
    response = client.post(
        url, {"action": "ajouter", "jure": jure.pk, "motif": "Expert du sujet"}, follow=True
    )
    assert "déjà affecté(e) à ce dossier" in premier_message(response)
    assert Evaluation.objects.count() == 1


@pytest.mark.django_db
def test_affectation_dossier_lists_conflicted_jurors_disabled_with_their_reason(client, edition, president):
    lot = DepartementFactory()
    dossier = deposee(edition, collectivite=CommuneFactory(departement=lot))
    voisin = JureFactory(edition=edition, nom="Juré Voisin", departement=lot)
    page = client.get(dossier_url(dossier)).content.decode()
    assert f'value="{voisin.pk}" disabled' in page
    assert "Juré Voisin — en conflit d&#x27;intérêts\u00a0: département de résidence" in page
    # Posted anyway: refused, the reason next to the field, the typed reason kept.
    response = client.post(dossier_url(dossier), {"action": "ajouter", "jure": voisin.pk, "motif": "Renfort"})
    form = response.context["ajout_form"]
    assert "département de résidence" in form.errors["jure"][0]
    assert form["motif"].value() == "Renfort"
    assert not Evaluation.objects.exists()


@pytest.mark.django_db
def test_affectation_dossier_remove_a_juror_with_a_reason(client, edition, president):
    dossier = deposee(edition)
    evaluation = EvaluationFactory(
        jure=JureFactory(edition=edition, nom="Juré Martin"),
        candidature=dossier,
        state=Evaluation.State.SOUMISE,
    )
    url = dossier_url(dossier)
    page = client.get(url).content.decode()
    assert "la retirer supprime ses notes" in page
    response = client.post(url, {"action": "retirer", "evaluation": evaluation.pk, "motif": ""})
    assert response.status_code == 200
    assert response.context["lignes"][0]["form"].errors["motif"]
    assert Evaluation.objects.exists()
    response = client.post(
        url, {"action": "retirer", "evaluation": evaluation.pk, "motif": "Indisponible"}, follow=True
    )
    assert "Juré Martin est retiré(e) du dossier" in premier_message(response)
    assert not Evaluation.objects.exists()
    assert AffectationJournal.objects.get().motif == "Indisponible"
    # A double submit: a message, not an error page.
    response = client.post(
        url, {"action": "retirer", "evaluation": evaluation.pk, "motif": "Indisponible"}, follow=True
    )
    assert "déjà plus affecté" in premier_message(response)


@pytest.mark.django_db
def test_affectation_dossier_answers_404_for_a_draft_or_another_editions_dossier(client, edition, president):
    assert client.get(dossier_url(CandidatureFactory(edition=edition))).status_code == 404
    autre = deposee(EditionFactory(annee=2026, numero=27))
    url = reverse("jury:affectations_dossier", args=[edition.annee, autre.pk])
    assert client.get(url).status_code == 404


@pytest.mark.django_db
def test_affectation_dossier_is_404_to_staff_who_sit_on_the_jury_in_conflict_with_it(client, edition, staff):
    lot = DepartementFactory()
    dossier = deposee(edition, collectivite=CommuneFactory(departement=lot))
    JureFactory(edition=edition, user=staff, email=staff.email, president=True, departement=lot)
    connecter(client, staff)
    assert client.get(dossier_url(dossier)).status_code == 404
