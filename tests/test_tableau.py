"""The jury's entry pages: /jury/ picks the edition, a juror's dashboard lists their dossiers."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from jury import evaluation as domaine
from jury.models import ConflitDeclare, Jury, Note
from label.models import TypeCandidature
from tests.factories import (
    CommuneFactory,
    CritereFactory,
    DepartementFactory,
    EditionFactory,
    EpciFactory,
    EvaluationFactory,
    JureFactory,
    RegionFactory,
)
from tests.jury import connecter

pytestmark = pytest.mark.django_db


@pytest.fixture
def edition():
    return EditionFactory(jury_date=datetime.date(2026, 12, 10))


@pytest.fixture
def criteres(edition):
    return [CritereFactory(edition=edition, libelle=f"Critère {n}") for n in range(3)]


@pytest.fixture
def jure(edition):
    return JureFactory(edition=edition)


def dashboard(edition, **params):
    url = reverse("jury:dashboard", args=[edition.annee])
    if params:
        url += "?" + "&".join(f"{k}={v}" for k, v in params.items())
    return url


# --- /jury/ -----------------------------------------------------------------------------------


def test_accueil_with_one_edition_goes_to_its_dashboard(client, jure):
    connecter(client, jure.user)
    response = client.get(reverse("jury:accueil"))
    assert response.url == dashboard(jure.edition)


def test_accueil_with_several_editions_lists_them(client, jure):
    JureFactory(edition=EditionFactory(annee=2026, numero=27), user=jure.user, email=jure.email)
    connecter(client, jure.user)
    page = client.get(reverse("jury:accueil")).content.decode()
    assert dashboard(jure.edition) in page and reverse("jury:dashboard", args=[2026]) in page


def test_accueil_is_404_for_someone_who_sits_on_no_jury(client, user, edition):
    JureFactory(edition=edition, email=user.email, user=user, accepted_at=None)  # not accepted yet
    client.force_login(user)
    assert client.get(reverse("jury:accueil")).status_code == 404


def test_accueil_for_staff_lists_editions_with_a_jury(client, staff, edition):
    EditionFactory(annee=2026, numero=27)  # no jury, no jurors
    Jury.objects.create(edition=edition)
    client.force_login(staff)
    assert client.get(reverse("jury:accueil")).url == dashboard(edition)


def test_accueil_asks_anonymous_visitors_to_log_in(client):
    assert client.get(reverse("jury:accueil")).url.startswith(reverse("account_login"))


# --- The dashboard ----------------------------------------------------------------------------


def test_dashboard_lists_my_dossiers_with_status_and_progress(client, jure, criteres, edition):
    started = EvaluationFactory(jure=jure, candidature__collectivite__nom="Agen")
    domaine.enregistrer(
        started, {"notes": {criteres[0].pk: {"score": 3}, criteres[1].pk: {"score": 0}}}, 1, jure.user
    )
    EvaluationFactory(jure=jure, candidature__collectivite__nom="Nérac")
    EvaluationFactory(jure=JureFactory(edition=edition), candidature__collectivite__nom="Marmande")
    connecter(client, jure.user)
    page = client.get(dashboard(edition)).content.decode()
    assert "Agen" in page and "Nérac" in page
    assert "Marmande" not in page  # another juror's
    assert reverse("jury:evaluer", args=[edition.annee, started.candidature_id]) in page
    assert "2 sur 3" in page and "0 sur 3" in page
    assert "Commencée" in page and "À faire" in page
    assert "Lot-et-Garonne (47)" in page and "Nouvelle-Aquitaine" in page
    assert "10 décembre 2026" in page  # the deadline
    assert reverse("jury:suivant", args=[edition.annee]) in page
    assert reverse("jury:profil", args=[edition.annee]) in page
    assert reverse("jury:pilotage", args=[edition.annee]) not in page  # not the president


def test_dashboard_filters_by_type_region_and_status(client, jure, criteres, edition):
    occitanie = DepartementFactory(
        code="31", nom="Haute-Garonne", region=RegionFactory(code="76", nom="Occitanie")
    )
    agen = EvaluationFactory(jure=jure, candidature__collectivite__nom="Agen")
    EvaluationFactory(
        jure=jure,
        candidature__collectivite=CommuneFactory(nom="Toulouse", departement=occitanie),
    )
    EvaluationFactory(
        jure=jure,
        candidature__collectivite=EpciFactory(nom="Agglo d'Agen"),
        candidature__type=TypeCandidature.TERRITOIRE,
    )
    domaine.enregistrer(
        agen, {"notes": {c.pk: {"score": 1} for c in criteres}, "niveau_propose": 1}, 1, jure.user
    )
    domaine.soumettre(agen, jure.user)
    connecter(client, jure.user)

    page = client.get(dashboard(edition, type="territoire")).content.decode()
    assert "Agglo d&#x27;Agen" in page and "Toulouse" not in page and ">Agen<" not in page
    assert "1 dossier correspond aux filtres" in page
    page = client.get(dashboard(edition, region="76")).content.decode()
    assert "Toulouse" in page and ">Agen<" not in page
    page = client.get(dashboard(edition, etat="soumise")).content.decode()
    assert ">Agen<" in page and "Toulouse" not in page
    page = client.get(dashboard(edition, etat="a_faire", region="75")).content.decode()
    assert "Agglo d&#x27;Agen" in page and "Toulouse" not in page and ">Agen<" not in page
    assert '<option value="76">Occitanie</option>' in page  # regions of my dossiers
    page = client.get(dashboard(edition, region="inconnue")).content.decode()
    assert "Toulouse" in page and ">Agen<" in page  # an unknown value filters nothing


def test_dashboard_counts_and_hides_conflicted_dossiers(client, jure, criteres, edition):
    EvaluationFactory(jure=jure, candidature__collectivite__nom="Agen")
    conflicted = EvaluationFactory(jure=jure, candidature__collectivite__nom="Villeneuve")
    ConflitDeclare.objects.create(jure=jure, collectivite=conflicted.candidature.collectivite, motif="Élue")
    connecter(client, jure.user)
    response = client.get(dashboard(edition))
    page = response.content.decode()
    assert "Villeneuve" not in page
    assert "1 dossier qui vous était affecté n'est plus affiché" in page
    assert response.context["total"] == 1 and response.context["a_faire"] == 1


def test_dashboard_without_dossiers_says_so(client, jure, edition):
    connecter(client, jure.user)
    page = client.get(dashboard(edition)).content.decode()
    assert "Aucun dossier ne vous est encore affecté." in page
    assert reverse("jury:suivant", args=[edition.annee]) not in page


def test_dashboard_of_the_president_links_to_the_steering_pages(client, edition):
    president = JureFactory(edition=edition, president=True)
    connecter(client, president.user)
    page = client.get(dashboard(edition)).content.decode()
    for name in ("pilotage", "affectations", "deliberation"):
        assert reverse(f"jury:{name}", args=[edition.annee]) in page


def test_dashboard_for_staff_who_are_not_jurors_links_to_the_steering_pages(client, staff, edition):
    connecter(client, staff)
    page = client.get(dashboard(edition)).content.decode()
    assert "Vous ne siégez pas dans ce jury." in page
    for name in ("pilotage", "affectations", "deliberation"):
        assert reverse(f"jury:{name}", args=[edition.annee]) in page


def test_dashboard_is_404_for_a_user_who_is_not_a_juror(client, user, edition):
    connecter(client, user)
    assert client.get(dashboard(edition)).status_code == 404


def test_dashboard_needs_an_authenticator(client, jure, edition):
    client.force_login(jure.user)
    assert client.get(dashboard(edition)).url == reverse("jury:mfa_requise")


def test_dashboard_query_count_does_not_grow_with_dossiers(client, jure, criteres, edition):
    def dossier():
        evaluation = EvaluationFactory(jure=jure, candidature__collectivite=EpciFactory())
        Note.objects.create(evaluation=evaluation, critere=criteres[0], score=2)
        return evaluation

    dossier()
    connecter(client, jure.user)
    client.get(dashboard(edition))
    with CaptureQueriesContext(connection) as one:
        assert client.get(dashboard(edition, etat="a_faire")).status_code == 200
    for _ in range(299):
        dossier()
    with CaptureQueriesContext(connection) as many:
        response = client.get(dashboard(edition, etat="a_faire"))
    assert response.context["total"] == 300
    assert len(many) == len(one)
