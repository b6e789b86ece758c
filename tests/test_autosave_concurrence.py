"""Autosave under true concurrency: two saves made from the same version of a dossier (two
members of a collectivité) or of an evaluation (two tabs of a juror, or a save and a submit),
released at the same moment from two threads, each with its own PostgreSQL connection.

Neither save of a race has seen the other, so an acknowledged save whose values are not what is
stored after the race was silently overwritten: there must be none. Each race ends with both
saves acknowledged (they touched different answers), or with exactly one of them told why it was
not written (the conflict screen, or the refusal of a save that comes after the submit).
"""

import threading
from concurrent.futures import ThreadPoolExecutor

import pytest
from django.db import connection, connections

from atlaas.models import Membership
from jury import evaluation as domaine
from jury.models import Evaluation, Jury, Note
from label.dossier import Conflict, Saved, save_answers
from label.models import Candidature, Question
from label.selectors import answers_of
from tests.factories import (
    CandidatureFactory,
    CommuneFactory,
    CritereFactory,
    EditionFactory,
    EvaluationFactory,
    MembershipFactory,
    QuestionFactory,
    SectionFactory,
)

pytestmark = [pytest.mark.faults, pytest.mark.django_db(transaction=True)]

RACES = 200
State = Evaluation.State


@pytest.fixture(autouse=True)
def _postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("Courses entre connexions réelles : PostgreSQL seulement (mode complet, DATABASE_URL).")


@pytest.fixture
def race():
    """``race(*calls)`` runs the calls at once, each in a thread of its own, so with its own
    database connection. Each call reads what it needs, then calls ``go()``, the barrier that
    releases all of them together, then writes; ``race`` returns each call's result, or the
    exception it raised. The two threads (and their connections) serve every race of the test
    and are closed at its end."""

    def outcome(call, barrier):
        try:
            return call(lambda: barrier.wait(timeout=30))
        except Exception as exc:  # noqa: BLE001 -- the outcome of the race, checked by the test
            return exc

    with ThreadPoolExecutor(max_workers=2) as pool:

        def run(*calls):
            barrier = threading.Barrier(len(calls))
            return [future.result() for future in [pool.submit(outcome, call, barrier) for call in calls]]

        def close(go):
            go()  # both threads wait here: each closes its own connection
            connections.close_all()

        yield run
        run(close, close)


# --- The candidature's questionnaire ----------------------------------------------------------


@pytest.fixture
def edition():
    return EditionFactory()


@pytest.fixture
def commune():
    return CommuneFactory(nom="Agen")


@pytest.fixture
def members(commune):
    return [
        MembershipFactory(collectivite=commune, role=Membership.Role.REFERENT, user__last_name="Claire").user,
        MembershipFactory(collectivite=commune, user__first_name="Dominique").user,
    ]


@pytest.fixture
def candidature(edition, commune, members):
    return CandidatureFactory(edition=edition, collectivite=commune, created_by=members[0])


@pytest.fixture
def questions(edition):
    section = SectionFactory(edition=edition)
    return [
        QuestionFactory(section=section, libelle="Stratégie", kind=Question.Kind.LONG_TEXT),
        QuestionFactory(section=section, libelle="Élu chargé du numérique"),
    ]


def saving(candidature, version, data, user):
    """A member's autosave of ``data`` from a page opened at ``version``."""

    def call(go):
        mine = Candidature.objects.get(pk=candidature.pk)
        go()
        return save_answers(mine, version, data, user)

    return call


def lost(saves, stored):
    """The acknowledged saves of a race one of whose answers is not the stored one."""
    return [
        data
        for data, result in saves
        if result.ok and any(stored.get(qid, "") != value for qid, value in data.items())
    ]


def test_save_answers_races_never_lose_an_acknowledged_answer(candidature, questions, members, race):
    strategie, elu = questions
    overwritten, conflicts = [], 0
    for i in range(RACES):
        version = Candidature.objects.get(pk=candidature.pk).version
        kind = i % 3
        if kind == 0:  # both write the same answer
            datas = [{strategie.pk: f"Plan {i} de Claire"}, {strategie.pk: f"Plan {i} de Dominique"}]
        elif kind == 1:  # one clears the answer the other writes
            datas = [{strategie.pk: ""}, {strategie.pk: f"Plan {i} de Dominique"}]
        else:  # each writes an answer of their own
            datas = [{strategie.pk: f"Plan {i} de Claire"}, {elu.pk: f"Élu {i}"}]
        results = race(
            *(saving(candidature, version, data, user) for data, user in zip(datas, members, strict=True))
        )
        assert all(isinstance(result, Saved | Conflict) for result in results), results
        saves = list(zip(datas, results, strict=True))
        overwritten += lost(saves, answers_of(candidature))
        acknowledged = sum(result.ok for result in results)
        conflicts += 2 - acknowledged
        assert acknowledged == (2 if kind == 2 else 1), (i, results)
        assert Candidature.objects.get(pk=candidature.pk).version == version + acknowledged
    assert overwritten == []
    assert conflicts == RACES - RACES // 3


# --- The juror's evaluation -------------------------------------------------------------------


@pytest.fixture
def criteres(edition):
    return [CritereFactory(edition=edition, echelle=5), CritereFactory(edition=edition, echelle=10)]


@pytest.fixture
def evaluation(edition, criteres):
    Jury.objects.get_or_create(edition=edition)
    return EvaluationFactory(jure__edition=edition)


def draft(criteres, i, tab):
    """What a tab's form holds: every criterion scored, a level, and words of its own."""
    return {
        "notes": {
            critere.pk: {"score": (i + tab) % (critere.echelle + 1), "commentaire": f"Onglet {tab} n° {i}"}
            for critere in criteres
        },
        "niveau_propose": 1 + (i + tab) % 5,
        "note_jury": f"Note de l'onglet {tab}, course {i}",
    }


def stored_draft(evaluation):
    evaluation = Evaluation.objects.get(pk=evaluation.pk)
    notes = Note.objects.filter(evaluation=evaluation)
    return {
        "notes": {note.critere_id: {"score": note.score, "commentaire": note.commentaire} for note in notes},
        "niveau_propose": evaluation.niveau_propose,
        "note_jury": evaluation.note_jury,
    }


def enregistrant(evaluation, data, version):
    def call(go):
        mine = Evaluation.objects.select_related("jure", "candidature__edition").get(pk=evaluation.pk)
        go()
        return domaine.enregistrer(mine, data, version, mine.jure.user)

    return call


def soumettant(evaluation):
    def call(go):
        mine = Evaluation.objects.select_related("jure", "candidature__edition").get(pk=evaluation.pk)
        go()
        return domaine.soumettre(mine, mine.jure.user)

    return call


def test_evaluation_autosave_from_two_tabs_never_loses_an_acknowledged_draft(evaluation, criteres, race):
    overwritten, conflicts = 0, 0
    for i in range(RACES):
        version = Evaluation.objects.get(pk=evaluation.pk).version
        tabs = [draft(criteres, i, 1), draft(criteres, i, 2)]
        results = race(*(enregistrant(evaluation, data, version) for data in tabs))
        assert all(isinstance(result, domaine.Enregistre | domaine.Conflit) for result in results), results
        stored = stored_draft(evaluation)
        overwritten += sum(result.ok and data != stored for data, result in zip(tabs, results, strict=True))
        acknowledged = sum(result.ok for result in results)
        conflicts += 2 - acknowledged
        assert acknowledged == 1, (i, results)
        assert Evaluation.objects.get(pk=evaluation.pk).version == version + 1
    assert overwritten == 0
    assert conflicts == RACES


def test_evaluation_autosave_racing_the_submit_never_undoes_either(evaluation, criteres, race):
    assert domaine.enregistrer(evaluation, draft(criteres, -1, 1), 1, evaluation.jure.user).ok
    overwritten = 0
    for i in range(RACES):
        version = Evaluation.objects.get(pk=evaluation.pk).version
        data = draft(criteres, i, 1)
        saved, submitted = race(enregistrant(evaluation, data, version), soumettant(evaluation))
        assert isinstance(submitted, Evaluation), (i, submitted)  # a complete draft: always submitted
        current = Evaluation.objects.get(pk=evaluation.pk)
        if isinstance(saved, domaine.Refus):  # the submit came first; the save was told so
            assert current.version == version + 1
        else:  # the save came first, and was submitted with the rest
            assert saved.ok, (i, saved)
            overwritten += current.state != State.SOUMISE or stored_draft(evaluation) != data
            assert current.version == version + 2
        assert current.state == State.SOUMISE
        domaine.rouvrir(current, current.jure.user)
    assert overwritten == 0
