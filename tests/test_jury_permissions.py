"""Who may open which jury page: every jury view × every role.

Anonymous visitors are sent to the login page. Everyone who is not a juror of the edition —
collectivité members included — gets 404, as for a page that does not exist. A juror opens
their own dossiers only: an unassigned or conflicted dossier is a 404. The assignment,
steering and deliberation pages are the president's and staff's. Every juror and staff member
needs a TOTP authenticator before any of it opens.
"""

import pytest
from django.urls import reverse

from atlaas.models import Membership
from jury.models import ConflitDeclare
from label.models import Candidature
from tests.factories import (
    CandidatureFactory,
    CritereFactory,
    EditionFactory,
    EvaluationFactory,
    FicheFactory,
    JureFactory,
    MembershipFactory,
    UserFactory,
)
from tests.jury import activer_mfa

pytestmark = pytest.mark.django_db
ANNEE = 2027

ROLES = ["anonyme", "membre", "jure_affecte", "jure_non_affecte", "jure_en_conflit", "president", "equipe"]
ALL_JURORS = ("jure_affecte", "jure_non_affecte", "jure_en_conflit")

# (method, url name, takes the dossier's pk) → expected status per role (anonymous: 302 to login).
PILOTAGE = {"membre": 404, **dict.fromkeys(ALL_JURORS, 404), "president": 200, "equipe": 200}
MATRIX = {
    ("get", "dashboard", False): {
        "membre": 404,
        **dict.fromkeys(ALL_JURORS, 200),
        "president": 200,
        "equipe": 200,
    },
    ("get", "profil", False): {
        "membre": 404,
        **dict.fromkeys(ALL_JURORS, 200),
        "president": 200,
        "equipe": 404,
    },
    ("get", "suivant", False): {
        "membre": 404,
        **dict.fromkeys(ALL_JURORS, 302),
        "president": 302,
        "equipe": 404,
    },
    ("get", "evaluer", True): {
        "membre": 404,
        "jure_affecte": 200,
        "jure_non_affecte": 404,
        "jure_en_conflit": 404,
        "president": 404,
        "equipe": 404,
    },
    ("post", "autosave", True): {
        "membre": 404,
        "jure_affecte": 200,
        "jure_non_affecte": 404,
        "jure_en_conflit": 404,
        "president": 404,
        "equipe": 404,
    },
    ("get", "affectations", False): PILOTAGE,
    ("get", "affectations_dossier", True): PILOTAGE,
    ("get", "pilotage", False): PILOTAGE,
    ("get", "pilotage_dossier", True): PILOTAGE,
    ("get", "export_csv", False): PILOTAGE,
    ("get", "export_xlsx", False): PILOTAGE,
    ("get", "deliberation", False): PILOTAGE,
    ("get", "decider", True): PILOTAGE,
    ("post", "affectations_lancer", False): {**PILOTAGE, "president": 302, "equipe": 302},
    ("post", "rappels", False): {**PILOTAGE, "president": 302, "equipe": 302},
}


@pytest.fixture
def monde():
    """A submitted dossier of Agen, scored by one juror; another juror not assigned; a third
    assigned earlier who declared a conflict since; the president; staff; a member of Agen."""
    edition = EditionFactory(annee=ANNEE)
    CritereFactory(edition=edition)
    dossier = CandidatureFactory(edition=edition, state="deposee", collectivite__nom="Agen")
    president = JureFactory(edition=edition, president=True)
    affecte = EvaluationFactory(jure__edition=edition, candidature=dossier).jure
    en_conflit = EvaluationFactory(jure__edition=edition, candidature=dossier).jure
    ConflitDeclare.objects.create(jure=en_conflit, collectivite=dossier.collectivite, motif="Ancien élu")
    users = {
        "anonyme": None,
        "membre": MembershipFactory(collectivite=dossier.collectivite, state=Membership.State.ACTIVE).user,
        "jure_affecte": affecte.user,
        "jure_non_affecte": JureFactory(edition=edition).user,
        "jure_en_conflit": en_conflit.user,
        "president": president.user,
        "equipe": UserFactory(is_staff=True, is_superuser=True),
    }
    for user in users.values():
        if user:
            activer_mfa(user)
    return dossier, users


@pytest.mark.parametrize("role", ROLES)
def test_every_jury_view_answers_each_role_as_the_matrix_says(client, monde, role):
    dossier, users = monde
    if users[role]:
        client.force_login(users[role])
    got, expected = {}, {}
    for (method, name, with_pk), statuses in MATRIX.items():
        url = reverse(f"jury:{name}", args=[ANNEE, dossier.pk] if with_pk else [ANNEE])
        response = getattr(client, method)(url)
        got[name] = response.status_code
        expected[name] = 302 if role == "anonyme" else statuses[role]
        if role == "anonyme":
            assert response["Location"].startswith(reverse("account_login")), name
    assert got == expected


@pytest.mark.parametrize("role", ROLES)
def test_a_fiche_of_the_dossier_answers_each_role_as_the_dossier_does(client, monde, role):
    dossier, users = monde
    fiche = FicheFactory(collectivite=dossier.collectivite)
    dossier.fiches.add(fiche)
    if users[role]:
        client.force_login(users[role])
    response = client.get(reverse("jury:fiche", args=[ANNEE, dossier.pk, fiche.pk]))
    assert response.status_code == (302 if role == "anonyme" else MATRIX[("get", "evaluer", True)][role])


def test_a_juror_without_mfa_is_sent_to_activate_it_before_any_jury_page(client):
    jure = JureFactory(edition=EditionFactory(annee=ANNEE))
    client.force_login(jure.user)
    for name in ["dashboard", "profil"]:
        response = client.get(reverse(f"jury:{name}", args=[ANNEE]))
        assert response.status_code == 302 and response["Location"] == reverse("jury:mfa_requise"), name


def test_a_juror_of_2026_is_not_a_juror_of_2027(client):
    jure = JureFactory(edition=EditionFactory(annee=2026))
    EditionFactory(annee=ANNEE)
    client.force_login(activer_mfa(jure.user))
    assert client.get(reverse("jury:dashboard", args=[2026])).status_code == 200
    assert client.get(reverse("jury:dashboard", args=[ANNEE])).status_code == 404


def test_a_president_in_conflict_with_a_dossier_cannot_open_its_scores(client, monde):
    dossier, users = monde
    president = users["president"].jures.get()
    ConflitDeclare.objects.create(
        jure=president, departement=dossier.collectivite.departement, motif="J'y vis"
    )
    client.force_login(users["president"])
    for name in ["pilotage_dossier", "decider"]:
        assert client.get(reverse(f"jury:{name}", args=[ANNEE, dossier.pk])).status_code == 404, name


def test_the_admin_login_goes_through_allauth_so_staff_cannot_skip_the_totp_step(client, staff, password):
    activer_mfa(staff)
    response = client.post("/admin/login/", {"username": staff.email, "password": password})
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_login"))
    assert client.get(reverse("jury:pilotage", args=[ANNEE])).status_code == 302  # still anonymous


def test_a_dossier_reopened_by_its_collectivite_leaves_the_jurys_hands(client, monde):
    dossier, users = monde
    Candidature.objects.filter(pk=dossier.pk).update(state=Candidature.State.BROUILLON)
    client.force_login(users["jure_affecte"])
    assert client.get(reverse("jury:evaluer", args=[ANNEE, dossier.pk])).status_code == 404


def test_a_dossier_id_beyond_any_integer_is_a_404(client, monde):
    _dossier, users = monde
    client.force_login(users["jure_affecte"])
    assert client.get(f"/jury/{ANNEE}/dossiers/{'9' * 25}/").status_code == 404


def test_an_autosave_after_the_session_expired_says_so_where_the_status_shows(client, monde):
    dossier, _users = monde
    response = client.post(reverse("jury:autosave", args=[ANNEE, dossier.pk]), headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert "Votre session a expiré" in response.content.decode()
