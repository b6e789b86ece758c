"""The deliberation: the president's session page, decisions, the what-if, opening and closing.

Decisions go through ``jury.deliberation.decider`` (the jury's side: phase, conflicts) into
``label.workflow.decider`` (the result and its journal). Every submitted dossier gets at least 1@,
so each needs a decision before closing; after closing only staff change a result, with a motif.
"""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format

from atlaas.models import Collectivite
from jury import deliberation
from jury.agregation import Synthese
from jury.models import ConflitDeclare, Evaluation, Jury, Note
from label.models import Candidature, Edition, Labellisation, Mention, Resultat, ResultatJournal
from label.workflow import ResultConflict, TransitionError
from tests.factories import (
    CandidatureFactory,
    CommuneFactory,
    CritereFactory,
    EditionFactory,
    EpciFactory,
    EvaluationFactory,
    JureFactory,
)
from tests.jury import connecter

pytestmark = pytest.mark.django_db

Phase = Jury.Phase
DEPOSEE = Candidature.State.DEPOSEE
SOUMISE = Evaluation.State.SOUMISE
ANNEE = 2027


@pytest.fixture
def edition():
    """Filing is over: the jury may deliberate."""
    return EditionFactory(
        annee=ANNEE, state=Edition.State.CLOSE, cloture=timezone.now() - datetime.timedelta(days=10)
    )


@pytest.fixture
def critere(edition):
    """One criterion scored out of 100: a juror's score is the number they type."""
    return CritereFactory(edition=edition, echelle=100)


@pytest.fixture
def president(edition):
    return JureFactory(edition=edition, president=True, nom="Présidente")


@pytest.fixture
def jure(edition):
    return JureFactory(edition=edition, nom="Juré Martin")


@pytest.fixture
def mentions(edition):
    return {
        "verte": Mention.objects.create(edition=edition, nom="Arobase verte", ordre=1),
        "democratie": Mention.objects.create(edition=edition, nom="Démocratie locale", ordre=2),
    }


def jury_en(edition, phase=Phase.DELIBERATION):
    jury = Jury.objects.get_or_create(edition=edition)[0]
    Jury.objects.filter(pk=jury.pk).update(phase=phase)
    jury.refresh_from_db()
    return jury


def depose(edition, nom, collectivite=None):
    return CandidatureFactory(
        edition=edition, collectivite=collectivite or CommuneFactory(nom=nom), state=DEPOSEE
    )


def noter(jure, candidature, critere, score, niveau=None, mentions=(), note_jury=""):
    """A submitted evaluation giving ``score`` out of 100 (with one juror, the calibrated score
    equals the raw one)."""
    evaluation = EvaluationFactory(
        jure=jure, candidature=candidature, state=SOUMISE, niveau_propose=niveau, note_jury=note_jury
    )
    Note.objects.create(evaluation=evaluation, critere=critere, score=score)
    evaluation.mentions_proposees.set(mentions)
    return evaluation


def session_url():
    return reverse("jury:deliberation", args=[ANNEE])


def decider_url(candidature):
    return reverse("jury:decider", args=[ANNEE, candidature.pk])


def poster(client, candidature, niveau, version=0, follow=False, **extra):
    data = {"niveau": niveau, "version": version, "motivation": "", **extra}
    return client.post(decider_url(candidature), data, follow=follow)


def texte(response):
    """The page's visible text with its whitespace collapsed."""
    return re.sub(r"\s+", " ", html.unescape(response.content.decode()))


# --- Domain: opening, deciding, closing ---------------------------------------------------------


def test_ouvrir_moves_the_jury_to_deliberation_once(edition, president):
    jury = jury_en(edition, Phase.EVALUATION)
    deliberation.ouvrir(jury, president.user)
    jury.refresh_from_db()
    assert jury.phase == Phase.DELIBERATION
    assert jury.deliberation_ouverte_at is not None
    with pytest.raises(TransitionError, match="déjà ouverte"):
        deliberation.ouvrir(jury, president.user)


def test_ouvrir_waits_for_the_end_of_filing(edition, president):
    edition.state, edition.cloture = Edition.State.OUVERTE, timezone.now() + datetime.timedelta(days=3)
    edition.save()
    jury = jury_en(edition, Phase.EVALUATION)
    with pytest.raises(TransitionError, match="la délibération s'ouvre après la clôture"):
        deliberation.ouvrir(jury, president.user)
    jury.refresh_from_db()
    assert jury.phase == Phase.EVALUATION


def test_ouvrir_is_refused_to_a_juror_who_is_not_president(edition, jure):
    jury = jury_en(edition, Phase.EVALUATION)
    with pytest.raises(TransitionError):
        deliberation.ouvrir(jury, jure.user)
    jury.refresh_from_db()
    assert jury.phase == Phase.EVALUATION


def test_decider_records_the_result_and_its_journal(edition, president, mentions):
    jury = jury_en(edition)
    candidature = depose(edition, "Agen")
    resultat = deliberation.decider(
        jury,
        candidature,
        president.user,
        niveau=4,
        mentions=[mentions["verte"]],
        ten=False,
        motivation="Une politique large.",
        version=0,
    )
    assert (resultat.niveau, resultat.version, resultat.decided_by) == (4, 1, president.user)
    assert list(resultat.mentions.all()) == [mentions["verte"]]
    [entry] = ResultatJournal.objects.all()
    assert entry.by == president.user
    assert entry.avant is None
    assert entry.apres == {
        "niveau": 4,
        "mentions": ["Arobase verte"],
        "ten": False,
        "motivation": "Une politique large.",
    }
    deliberation.decider(jury, candidature, president.user, niveau=5, version=1)
    dernier = ResultatJournal.objects.latest("pk")
    assert dernier.avant["niveau"] == 4
    assert dernier.apres == {"niveau": 5, "mentions": [], "ten": False, "motivation": ""}


@pytest.mark.parametrize("niveau", [0, 6])
def test_decider_refuses_a_level_outside_1_to_5(edition, president, niveau):
    jury = jury_en(edition)
    candidature = depose(edition, "Agen")
    with pytest.raises(TransitionError, match="1 à 5"):
        deliberation.decider(jury, candidature, president.user, niveau=niveau, version=0)
    assert not Resultat.objects.exists()
    assert not ResultatJournal.objects.exists()


def test_decider_refuses_a_dossier_that_was_not_submitted(edition, president):
    jury = jury_en(edition)
    brouillon = CandidatureFactory(edition=edition, state=Candidature.State.BROUILLON)
    with pytest.raises(TransitionError, match="déposée"):
        deliberation.decider(jury, brouillon, president.user, niveau=3, version=0)
    assert not Resultat.objects.exists()


def test_decider_refuses_before_the_deliberation_opens(edition, president):
    jury = jury_en(edition, Phase.EVALUATION)
    candidature = depose(edition, "Agen")
    with pytest.raises(TransitionError, match="pas encore ouverte"):
        deliberation.decider(jury, candidature, president.user, niveau=3, version=0)
    assert not Resultat.objects.exists()


def test_decider_refuses_a_president_in_conflict_but_not_staff(edition, president, staff):
    jury = jury_en(edition)
    candidature = depose(edition, "Agen")
    ConflitDeclare.objects.create(
        jure=president, collectivite=candidature.collectivite, motif="Ancienne élue"
    )
    with pytest.raises(TransitionError, match="conflit"):
        deliberation.decider(jury, candidature, president.user, niveau=3, version=0)
    assert not Resultat.objects.exists()
    assert deliberation.decider(jury, candidature, staff, niveau=3, version=0).niveau == 3


def test_decider_with_a_stale_version_raises_the_other_decision(edition, president, staff):
    jury = jury_en(edition)
    candidature = depose(edition, "Agen")
    deliberation.decider(jury, candidature, president.user, niveau=4, version=0)
    with pytest.raises(ResultConflict) as conflit:
        deliberation.decider(jury, candidature, staff, niveau=2, version=0)
    assert conflit.value.resultat.niveau == 4
    assert Resultat.objects.get().niveau == 4
    assert ResultatJournal.objects.count() == 1


def test_clore_needs_a_decision_on_every_submitted_dossier(edition, president):
    jury = jury_en(edition)
    agen = depose(edition, "Agen")
    depose(edition, "Nérac")
    CandidatureFactory(edition=edition, state=Candidature.State.BROUILLON)  # not submitted: no result
    deliberation.decider(jury, agen, president.user, niveau=3, version=0)
    with pytest.raises(TransitionError, match="Nérac"):
        deliberation.clore(jury, president.user)
    jury.refresh_from_db()
    edition.refresh_from_db()
    assert jury.phase == Phase.DELIBERATION
    assert edition.resultats_clos_at is None


def test_clore_freezes_the_results_then_only_staff_change_one_with_a_motif(edition, president, staff):
    jury = jury_en(edition)
    candidature = depose(edition, "Agen")
    deliberation.decider(jury, candidature, president.user, niveau=3, version=0)
    deliberation.clore(jury, president.user)
    jury.refresh_from_db()
    edition.refresh_from_db()
    assert jury.phase == Phase.CLOSE
    assert edition.resultats_clos_at is not None
    with pytest.raises(TransitionError, match="déjà close"):
        deliberation.clore(jury, president.user)

    with pytest.raises(TransitionError, match="close"):
        deliberation.decider(jury, candidature, president.user, niveau=4, version=1)
    with pytest.raises(TransitionError, match="motif"):
        deliberation.decider(jury, candidature, staff, niveau=4, version=1)
    assert Resultat.objects.get().niveau == 3

    deliberation.decider(jury, candidature, staff, niveau=4, version=1, motif="Erreur de saisie")
    assert Resultat.objects.get().niveau == 4
    dernier = ResultatJournal.objects.latest("pk")
    assert (dernier.by, dernier.motif, dernier.avant["niveau"]) == (staff, "Erreur de saisie", 3)


def test_clore_before_opening_is_refused(edition, president):
    jury = jury_en(edition, Phase.EVALUATION)
    with pytest.raises(TransitionError, match="pas ouverte"):
        deliberation.clore(jury, president.user)


# --- What-if --------------------------------------------------------------------------------------


def synthese(pk, calibree=None, moyenne=None):
    return Synthese(candidature=Candidature(pk=pk), calibree=calibree, moyenne=moyenne)


def test_simulation_applies_thresholds_to_the_calibrated_score_else_the_mean():
    syntheses = [
        synthese(1, calibree=95, moyenne=20),  # ≥ 90: 5@ (the calibrated score wins)
        synthese(2, calibree=70),  # = 70: 4@ (a threshold reached counts)
        synthese(3, calibree=69.9),  # 3@
        synthese(4, calibree=50),  # 3@
        synthese(5, moyenne=55),  # no calibrated score: the mean, 3@
        synthese(6, calibree=10),  # below 30: 1@
        synthese(7),  # no score at all: 1@
    ]
    simulation = deliberation.simulation(syntheses, (30, 50, 70, 90))
    assert simulation.niveaux == {1: 5, 2: 4, 3: 3, 4: 3, 5: 3, 6: 1, 7: 1}
    assert simulation.repartition == {1: 2, 2: 0, 3: 3, 4: 1, 5: 1}


def test_simulation_refuses_thresholds_that_go_down_or_leave_0_100():
    with pytest.raises(ValueError, match="croissant"):
        deliberation.simulation([], (30, 70, 50, 90))
    with pytest.raises(ValueError):
        deliberation.simulation([], (30, 50, 70, 101))
    with pytest.raises(ValueError):
        deliberation.simulation([], (30, 50, 70))


def test_default_thresholds_reproduce_the_usual_distribution():
    # 190 dossiers as in 2015, scores 0, 0.5, 1 … 94.5: the default thresholds give back
    # 31 × 1@, 38 × 2@, 48 × 3@, 37 × 4@ and 36 × 5@.
    syntheses = [synthese(i, calibree=i / 2) for i in range(190)]
    assert deliberation.seuils_par_defaut(syntheses) == (15.5, 34.5, 58.5, 77.0)
    simulation = deliberation.simulation(syntheses)
    assert simulation.repartition == {1: 31, 2: 38, 3: 48, 4: 37, 5: 36}


def test_default_thresholds_without_enough_scores_are_fixed():
    assert deliberation.seuils_par_defaut([synthese(1, calibree=50)]) == (20.0, 40.0, 60.0, 80.0)


# --- The session page -----------------------------------------------------------------------------


@pytest.fixture
def session(edition, critere, president, jure, mentions):
    """Three dossiers scored by one juror; the president is signed in on a deliberating jury."""
    jury = jury_en(edition)
    agen = depose(edition, "Agen")
    nerac = depose(edition, "Nérac")
    marmande = depose(edition, "Marmande")
    noter(jure, agen, critere, 62, niveau=3, mentions=[mentions["verte"]], note_jury="Solide.")
    noter(jure, nerac, critere, 88, niveau=5, mentions=[mentions["verte"], mentions["democratie"]])
    noter(jure, marmande, critere, 40, niveau=2)
    return {"jury": jury, "agen": agen, "nerac": nerac, "marmande": marmande}


def test_session_page_ranks_dossiers_by_calibrated_score(client, president, session):
    connecter(client, president.user)
    response = client.get(session_url())
    assert response.status_code == 200
    page = texte(response)
    assert page.index("Nérac") < page.index("Agen") < page.index("Marmande")
    assert "Décisions prises : 0 sur 3 dossiers déposés" in page
    assert "88,0" in page or "88.0" in page
    assert "Arobase verte (2)" not in page  # one juror: one proposal each
    assert "Démocratie locale (1)" in page
    assert decider_url(session["nerac"]) in page


def test_session_page_shows_the_current_decision_and_the_count(client, president, session, mentions):
    deliberation.decider(
        session["jury"], session["agen"], president.user, niveau=4, mentions=[mentions["verte"]], version=0
    )
    connecter(client, president.user)
    page = texte(client.get(session_url()))
    assert "Décisions prises : 1 sur 3 dossiers déposés" in page
    assert "Arobase verte" in page
    assert "4 arobases" in page


def six_5(collectivite, depuis=2020):
    """Six 5@ labels in a row from ``depuis``: with a 5@ in 2027, eligible to the TEN."""
    Labellisation.objects.bulk_create(
        Labellisation(collectivite=collectivite, annee=annee, niveau=5) for annee in range(depuis, depuis + 6)
    )


def test_session_page_shows_ten_eligibility(client, president, session):
    six_5(session["agen"].collectivite)
    Labellisation.objects.create(collectivite=session["nerac"].collectivite, annee=2025, niveau=5, ten=True)
    connecter(client, president.user)
    page = texte(client.get(session_url()))
    assert page.count("éligible (7e 5@)") == 1  # Agen; Nérac's TEN of 2025 runs to 2027
    assert "TEN valable jusqu'en 2027" in page


def test_session_page_what_if_counts_the_ten_its_5_would_meet_the_conditions_of(client, president, session):
    six_5(session["agen"].collectivite)  # scored 62
    six_5(session["nerac"].collectivite, depuis=2019)  # scored 88
    six_5(session["marmande"].collectivite, depuis=2022)  # scored 40; 2027 is this year: five before
    connecter(client, president.user)
    page = texte(client.get(session_url(), {"s2": 30, "s3": 50, "s4": 70, "s5": 80}))
    assert "Territoire d'excellence numérique : 1 dossier de la simulation en remplirait" in page
    page = texte(client.get(session_url(), {"s2": 10, "s3": 20, "s4": 30, "s5": 35}))
    assert "Territoire d'excellence numérique : 2 dossiers de la simulation en rempliraient" in page


def test_session_page_hides_the_scores_of_a_conflicted_dossier(client, president, session):
    ConflitDeclare.objects.create(jure=president, collectivite=session["nerac"].collectivite, motif="Voisine")
    connecter(client, president.user)
    response = client.get(session_url())
    page = texte(response)
    assert "décision par l'équipe" in page
    assert decider_url(session["nerac"]) not in page
    assert "88,0" not in page and "88.0" not in page
    assert decider_url(session["agen"]) in page


def test_session_figures_leave_out_the_conflicted_dossier_so_its_decision_does_not_show(
    client, president, session, staff
):
    ConflitDeclare.objects.create(jure=president, collectivite=session["nerac"].collectivite, motif="Voisine")
    deliberation.decider(session["jury"], session["nerac"], staff, niveau=5)
    connecter(client, president.user)
    response = client.get(session_url())
    assert response.context["repartition"][0] == (5, 0, 0)  # 5@: neither simulated nor decided
    assert sum(simule for _n, simule, _d in response.context["repartition"]) == 2
    assert "laissent de côté le dossier avec lequel vous êtes en conflit" in texte(response)


def test_session_page_what_if_shows_the_distribution(client, president, session):
    connecter(client, president.user)
    response = client.get(session_url(), {"s2": 30, "s3": 50, "s4": 70, "s5": 90})
    simulation = response.context["simulation"]
    # 88 → 4@, 62 → 3@, 40 → 2@.
    assert simulation.repartition == {1: 0, 2: 1, 3: 1, 4: 1, 5: 0}
    assert simulation.niveaux[session["nerac"].pk] == 4
    assert response.context["repartition"][1] == (4, 1, 0)  # 4@: one simulated, none decided


def test_session_page_what_if_with_thresholds_going_down_shows_an_error(client, president, session):
    connecter(client, president.user)
    response = client.get(session_url(), {"s2": 30, "s3": 80, "s4": 70, "s5": 90})
    assert response.status_code == 200
    assert "croissant" in texte(response)
    assert response.context["simulation"].seuils == deliberation.seuils_par_defaut(
        [ligne.synthese for ligne in response.context["lignes"]]
    )


def test_session_page_is_404_for_a_juror_who_is_not_president(client, jure, session):
    connecter(client, jure.user)
    assert client.get(session_url()).status_code == 404
    assert client.get(decider_url(session["agen"])).status_code == 404
    assert client.post(reverse("jury:deliberation_ouvrir", args=[ANNEE])).status_code == 404


def test_session_page_query_count_does_not_grow_with_dossiers(
    client, edition, critere, president, jure, mentions
):
    jury_en(edition)
    epci = depose(edition, "", collectivite=EpciFactory())
    noter(jure, epci, critere, 50, niveau=3, mentions=[mentions["verte"]])
    deliberation.decider(Jury.objects.get(), epci, president.user, niveau=3, mentions=[mentions["verte"]])
    Labellisation.objects.create(collectivite=epci.collectivite, annee=2025, niveau=5, ten=True)
    ConflitDeclare.objects.create(jure=president, collectivite=CommuneFactory(), motif="Voisine")
    connecter(client, president.user)

    def compter(url):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    client.get(session_url())  # the navigation caches whether the user sits on a jury
    avant = compter(session_url()), compter(decider_url(epci))
    plus_de_dossiers(edition, jure, critere, mentions, president, 299)
    assert Candidature.objects.filter(state=DEPOSEE).count() == 300
    apres = compter(session_url()), compter(decider_url(epci))
    assert apres == avant


def plus_de_dossiers(edition, jure, critere, mentions, president, n):
    """``n`` more scored dossiers, half of them decided, with some label history: in bulk."""
    departement = critere.edition.candidatures.first().collectivite.departement
    communes = Collectivite.objects.bulk_create(
        Collectivite(
            nature=Collectivite.Nature.COMMUNE,
            code=f"9{i:04}",
            nom=f"Bourg {i}",
            slug=f"bourg-{i}",
            departement=departement,
        )
        for i in range(n)
    )
    candidatures = Candidature.objects.bulk_create(
        Candidature(edition=edition, collectivite=c, type="ville", state=DEPOSEE) for c in communes
    )
    evaluations = Evaluation.objects.bulk_create(
        Evaluation(jure=jure, candidature=c, state=SOUMISE, niveau_propose=1 + i % 5)
        for i, c in enumerate(candidatures)
    )
    Note.objects.bulk_create(
        Note(evaluation=e, critere=critere, score=i % 100) for i, e in enumerate(evaluations)
    )
    Evaluation.mentions_proposees.through.objects.bulk_create(
        Evaluation.mentions_proposees.through(evaluation=e, mention=mentions["verte"]) for e in evaluations
    )
    resultats = Resultat.objects.bulk_create(
        Resultat(candidature=c, niveau=3, decided_by=president.user) for c in candidatures[::2]
    )
    Resultat.mentions.through.objects.bulk_create(
        Resultat.mentions.through(resultat=r, mention=mentions["democratie"]) for r in resultats
    )
    Labellisation.objects.bulk_create(Labellisation(collectivite=c, annee=2024, niveau=5) for c in communes)


# --- Opening and closing through the page ---------------------------------------------------------


def test_ouvrir_view_opens_then_a_second_post_gives_a_message(client, edition, president):
    jury_en(edition, Phase.EVALUATION)
    connecter(client, president.user)
    url = reverse("jury:deliberation_ouvrir", args=[ANNEE])
    assert client.get(url).status_code == 405
    response = client.post(url, follow=True)
    assert "La délibération est ouverte" in texte(response)
    assert Jury.objects.get().phase == Phase.DELIBERATION
    response = client.post(url, follow=True)
    assert response.status_code == 200
    assert "déjà ouverte" in texte(response)


def test_session_page_in_evaluation_explains_what_opening_does(client, edition, critere, president, jure):
    jury_en(edition, Phase.EVALUATION)
    candidature = depose(edition, "Agen")
    EvaluationFactory(jure=jure, candidature=candidature)  # assigned, not submitted
    connecter(client, president.user)
    page = texte(client.get(session_url()))
    assert "Ouvrir la délibération" in page
    assert "1 évaluation affectée n'est pas encore soumise" in page
    assert decider_url(candidature) not in page  # nothing to decide yet


def test_session_page_before_the_closing_of_filing_says_when_the_deliberation_may_open(
    client, edition, president
):
    cloture = timezone.now() + datetime.timedelta(days=3)
    Edition.objects.filter(pk=edition.pk).update(state=Edition.State.OUVERTE, cloture=cloture)
    jury_en(edition, Phase.EVALUATION)
    connecter(client, president.user)
    ouvrir_url = reverse("jury:deliberation_ouvrir", args=[ANNEE])

    page = texte(client.get(session_url()))
    locale = timezone.localtime(cloture)
    assert (
        "La délibération pourra s'ouvrir après la clôture des candidatures, "
        f"le {date_format(locale, 'j F Y')} à {locale:%H:%M}."
    ) in page
    assert ouvrir_url not in page

    Edition.objects.filter(pk=edition.pk).update(cloture=timezone.now() - datetime.timedelta(minutes=1))
    page = texte(client.get(session_url()))
    assert ouvrir_url in page and "pourra s'ouvrir" not in page
    assert "La délibération est ouverte" in texte(client.post(ouvrir_url, follow=True))


def test_session_page_shows_clore_once_every_dossier_is_decided(client, president, session):
    connecter(client, president.user)
    clore_url = reverse("jury:deliberation_clore", args=[ANNEE])
    for candidature in (session["agen"], session["nerac"]):
        deliberation.decider(session["jury"], candidature, president.user, niveau=2)
    page = texte(client.get(session_url()))
    assert "pourra être close quand chaque dossier déposé aura une décision" in page
    assert clore_url not in page
    deliberation.decider(session["jury"], session["marmande"], president.user, niveau=2)
    page = texte(client.get(session_url()))
    assert clore_url in page and "pourra être close" not in page


def test_clore_view_lists_the_dossiers_without_decision_and_refuses(client, president, session):
    connecter(client, president.user)
    deliberation.decider(session["jury"], session["agen"], president.user, niveau=3)
    page = texte(client.get(session_url()))
    assert "2 dossiers encore sans décision." in page
    assert '<a href="?decision=non">Les afficher</a>' in page
    assert "Décider le premier dans l'ordre du classement (Nérac)" in page  # 88, before Marmande's 40
    url = reverse("jury:deliberation_clore", args=[ANNEE])
    response = client.post(url, follow=True)
    assert "décidez d'abord" in texte(response)
    assert Jury.objects.get().phase == Phase.DELIBERATION


def test_clore_view_closes_then_a_second_post_gives_a_message(client, president, session):
    connecter(client, president.user)
    for candidature in (session["agen"], session["nerac"], session["marmande"]):
        deliberation.decider(session["jury"], candidature, president.user, niveau=2)
    url = reverse("jury:deliberation_clore", args=[ANNEE])
    response = client.post(url, follow=True)
    assert "La délibération est close" in texte(response)
    assert Jury.objects.get().phase == Phase.CLOSE
    response = client.post(url, follow=True)
    assert "déjà close" in texte(response)


# --- Deciding through the page --------------------------------------------------------------------


def test_decider_page_shows_proposals_eligibility_and_form(client, president, session, mentions):
    connecter(client, president.user)
    response = client.get(decider_url(session["agen"]))
    assert response.status_code == 200
    page = texte(response)
    assert "Juré Martin" in page
    assert "Solide." in page
    assert "Arobase verte" in page and "Démocratie locale" in page  # the edition's catalogue
    assert "3 arobases" in page
    assert "Non éligible : 0 label" in page
    assert 'name="version" value="0"' in page


def test_decider_page_saves_and_goes_to_the_next_dossier_without_decision(
    client, president, session, mentions
):
    connecter(client, president.user)
    response = poster(client, session["nerac"], 5, mentions=[mentions["verte"].pk], motivation="Exemplaire.")
    # Nérac is first in the session's order; Agen comes next.
    assert response.status_code == 302
    assert response.url == decider_url(session["agen"])
    resultat = Resultat.objects.get(candidature=session["nerac"])
    assert (resultat.niveau, resultat.motivation) == (5, "Exemplaire.")
    assert list(resultat.mentions.all()) == [mentions["verte"]]
    assert ResultatJournal.objects.get().by == president.user

    response = poster(client, session["marmande"], 2)
    assert response.url == decider_url(session["agen"])  # the only one left
    response = poster(client, session["agen"], 3)
    assert response.url == session_url()


def test_decider_page_shows_the_history(client, president, session, staff):
    deliberation.decider(session["jury"], session["agen"], president.user, niveau=3)
    deliberation.decider(session["jury"], session["agen"], staff, niveau=4, version=1)
    connecter(client, president.user)
    page = texte(client.get(decider_url(session["agen"])))
    assert "aucune décision" in page
    assert "3@" in page and "4@" in page
    assert str(staff) in page
    assert 'name="version" value="2"' in page


@pytest.mark.parametrize("niveau", ["0", "6", ""])
def test_decider_page_refuses_a_bad_level_next_to_the_field(client, president, session, niveau):
    connecter(client, president.user)
    response = poster(client, session["agen"], niveau, motivation="Texte tapé")
    assert response.status_code == 200
    assert response.context["form"].errors["niveau"]
    assert "Texte tapé" in texte(response)  # nothing typed is lost
    assert not Resultat.objects.exists()


@pytest.mark.parametrize("state", [Candidature.State.BROUILLON, Candidature.State.RETIREE])
def test_decider_page_on_a_dossier_not_submitted_answers_404_as_an_unknown_one(
    client, edition, president, session, state
):
    """As the pilotage does: a draft's existence is not revealed."""
    brouillon = CandidatureFactory(edition=edition, state=state)
    connecter(client, president.user)
    assert client.get(decider_url(brouillon)).status_code == 404
    assert client.post(decider_url(brouillon), {"niveau": 3, "version": 0}).status_code == 404
    assert client.get(reverse("jury:decider", args=[edition.annee, 999_999])).status_code == 404
    assert not Resultat.objects.exists()


def test_decider_page_two_tabs_do_not_lose_an_update(client, president, session, staff):
    # Two tabs open the form while there is no decision (version 0).
    connecter(client, president.user)
    assert poster(client, session["agen"], 4, motivation="Premier onglet").status_code == 302
    response = poster(client, session["agen"], 2, motivation="Second onglet")
    assert response.status_code == 409
    page = texte(response)
    assert "vient de décider" in page
    assert "Premier onglet" in page  # the first decision is shown
    assert "Second onglet" in page  # and what was typed is kept
    assert 'name="version" value="1"' in page  # saving again replaces it knowingly
    resultat = Resultat.objects.get()
    assert (resultat.niveau, resultat.motivation) == (4, "Premier onglet")
    assert ResultatJournal.objects.count() == 1


def test_decider_page_is_404_for_a_conflicted_president(client, president, session):
    ConflitDeclare.objects.create(jure=president, collectivite=session["agen"].collectivite, motif="Voisine")
    connecter(client, president.user)
    assert client.get(decider_url(session["agen"])).status_code == 404
    assert poster(client, session["agen"], 3).status_code == 404
    assert not Resultat.objects.exists()


def test_decider_page_staff_decides_a_dossier_the_president_is_conflicted_with(
    client, president, session, staff
):
    ConflitDeclare.objects.create(jure=president, collectivite=session["agen"].collectivite, motif="Voisine")
    connecter(client, staff)
    assert poster(client, session["agen"], 3).status_code == 302
    assert Resultat.objects.get().decided_by == staff


def test_decider_page_before_opening_shows_no_form_and_refuses(client, president, session):
    Jury.objects.update(phase=Phase.EVALUATION)
    connecter(client, president.user)
    response = client.get(decider_url(session["agen"]))
    assert response.context["form"] is None
    assert "pas encore ouverte" in texte(response)
    assert poster(client, session["agen"], 3).status_code == 403
    assert not Resultat.objects.exists()


def test_decider_page_after_closing_refuses_the_president(client, president, session):
    for candidature in (session["agen"], session["nerac"], session["marmande"]):
        deliberation.decider(session["jury"], candidature, president.user, niveau=2)
    deliberation.clore(session["jury"], president.user)
    connecter(client, president.user)
    response = poster(client, session["agen"], 5, version=1)
    assert response.status_code == 403
    assert "seule l'équipe" in texte(response)
    assert Resultat.objects.get(candidature=session["agen"]).niveau == 2


def test_decider_page_after_closing_staff_needs_a_motif(client, president, session, staff):
    for candidature in (session["agen"], session["nerac"], session["marmande"]):
        deliberation.decider(session["jury"], candidature, president.user, niveau=2)
    deliberation.clore(session["jury"], president.user)
    connecter(client, staff)
    response = client.get(decider_url(session["agen"]))
    assert "motif" in response.context["form"].fields

    response = poster(client, session["agen"], 5, version=1)
    assert response.status_code == 200
    assert response.context["form"].errors["motif"]
    assert Resultat.objects.get(candidature=session["agen"]).niveau == 2

    response = poster(client, session["agen"], 5, version=1, motif="Recours de la commune")
    assert response.status_code == 302
    assert response.url == session_url()
    assert Resultat.objects.get(candidature=session["agen"]).niveau == 5
    assert ResultatJournal.objects.latest("pk").motif == "Recours de la commune"


def test_decider_page_allows_a_ten_outside_the_conditions_with_a_warning(client, president, session):
    connecter(client, president.user)
    response = poster(client, session["agen"], 5, ten="on", follow=True)
    assert "hors des conditions habituelles" in texte(response)
    assert Resultat.objects.get().ten is True


def test_decider_page_mention_of_another_edition_is_refused(client, president, session):
    autre = Mention.objects.create(edition=EditionFactory(annee=2026, numero=27), nom="Mention libre")
    connecter(client, president.user)
    response = poster(client, session["agen"], 3, mentions=[autre.pk])
    assert response.context["form"].errors["mentions"]
    assert not Resultat.objects.exists()
