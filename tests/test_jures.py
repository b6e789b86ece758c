"""Jurors of an edition: the invitation e-mail, accepting it with the invited address, the
required TOTP, the profile, declared and detected conflicts of interest, the jury's admin."""

import itertools
import re

import pytest
from allauth.account.models import EmailAddress
from django.core.cache import cache
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from atlaas.models import Collectivite
from jury import invitations
from jury.affectation import MOTIF_CONFLIT
from jury.context_processors import cle_jure
from jury.models import AffectationJournal, ConflitDeclare, Critere, Evaluation, Jure, Jury, Note
from label.models import Candidature
from tests.factories import (
    CandidatureFactory,
    CategorieFactory,
    CommuneFactory,
    CritereFactory,
    DepartementFactory,
    EditionFactory,
    EpciFactory,
    EvaluationFactory,
    JureFactory,
    MembershipFactory,
    UserFactory,
)
from tests.jury import activer_mfa, code_totp, connecter

pytestmark = pytest.mark.django_db
PASSWORD = "Arobase-2026-secret!"


def invite(email="prof@univ-bordeaux.fr", **kwargs):
    """A juror invited by staff, not bound to an account yet."""
    return JureFactory(
        user=None, email=email, nom="Dominique Prof", invited_at=None, accepted_at=None, **kwargs
    )


def invitation_url(jure):
    return reverse("jury:invitation", args=[jure.token])


def link_in(message):
    return re.search(r"https?://\S+", message.body).group(0)


def deposee(collectivite, edition=None):
    return CandidatureFactory(
        edition=edition or EditionFactory(), collectivite=collectivite, state=Candidature.State.DEPOSEE
    )


# --- The invitation -------------------------------------------------------------------------------


def test_invitation_email_is_french_text_and_html_with_the_link(
    mailoutbox, django_capture_on_commit_callbacks
):
    jure = invite()
    with django_capture_on_commit_callbacks(execute=True):
        invitations.inviter(jure, "https://label.villes-internet.net/")
    [mail] = mailoutbox
    url = "https://label.villes-internet.net" + invitation_url(jure)
    assert mail.to == ["prof@univ-bordeaux.fr"]
    assert mail.subject == "[Villes Internet] Invitation au jury du label 2027"
    assert "Bonjour Dominique Prof," in mail.body
    assert (
        "siéger au jury du label «\u00a0Territoires, Villes et Villages Internet\u00a0» 2027 (28e édition)"
        in mail.body
    )
    assert "double authentification" in mail.body
    assert link_in(mail) == url
    [(html, mime)] = mail.alternatives
    assert mime == "text/html" and f'href="{url}"' in html
    jure.refresh_from_db()
    assert jure.invited_at is not None


def test_invitation_email_to_the_president_says_so(mailoutbox, django_capture_on_commit_callbacks):
    jure = invite(president=True)
    with django_capture_on_commit_callbacks(execute=True):
        invitations.inviter(jure)
    assert "vous invite à présider le jury" in mailoutbox[0].body


def test_invitation_is_not_sent_to_who_already_accepted(mailoutbox, django_capture_on_commit_callbacks):
    jure = JureFactory()
    with django_capture_on_commit_callbacks(execute=True), pytest.raises(invitations.InvitationError):
        invitations.inviter(jure)
    assert mailoutbox == []


def test_invitation_unknown_token_is_a_404(client):
    response = client.get(reverse("jury:invitation", args=["00000000-0000-0000-0000-000000000000"]))
    assert response.status_code == 404


def test_invitation_page_for_anonymous_explains_and_links_back(client):
    jure = invite(president=True)
    response = client.get(invitation_url(jure))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Invitation au jury du label 2027" in page
    assert "Présidence du jury" in page and "prof@univ-bordeaux.fr" in page
    next_ = "next=%2Fjury%2Finvitation%2F" + str(jure.token)
    assert f"/accounts/login/?{next_}" in page
    assert "/accounts/signup/?email=prof%40univ-bordeaux.fr&amp;" + next_ in page
    assert client.post(invitation_url(jure)).url.startswith(
        reverse("account_login")
    )  # never accepted anonymously


def test_invitation_signup_confirm_accept_then_totp_then_profile(
    client, mailoutbox, django_capture_on_commit_callbacks
):
    jure = invite()
    url = invitation_url(jure)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("account_signup") + f"?next={url}",
            {"email": jure.email, "password1": PASSWORD, "password2": PASSWORD, "next": url},
        )
    [confirmation] = mailoutbox
    response = client.post(link_in(confirmation))
    assert response.url == url  # logged in on confirmation, back on the invitation

    response = client.post(url)
    assert response.url == reverse("jury:mfa_requise")
    jure.refresh_from_db()
    assert jure.user.email == "prof@univ-bordeaux.fr" and jure.accepted_at is not None
    assert client.get(reverse("jury:profil", args=[2027])).url == reverse("jury:mfa_requise")

    activer_mfa(jure.user)
    assert client.get(reverse("jury:mfa_requise")).url == reverse("jury:accueil")
    assert client.get(reverse("jury:profil", args=[2027])).status_code == 200
    page = client.get(url).content.decode()
    assert "Invitation acceptée" in page


def test_invitation_login_then_accept_goes_to_the_profile_when_totp_is_active(client):
    user = activer_mfa(UserFactory(email="prof@univ-bordeaux.fr"))
    jure = invite()
    url = invitation_url(jure)
    response = client.post(
        reverse("account_login") + f"?next={url}", {"login": user.email, "password": PASSWORD}
    )
    assert response.url == reverse("mfa_authenticate")
    assert client.post(response.url, {"code": code_totp()}).url == url
    assert f'action="{url}"' in client.get(url).content.decode()  # the accept button

    response = client.post(url, follow=True)
    assert response.redirect_chain[-1][0] == reverse("jury:profil", args=[2027])
    assert "Bienvenue au jury du Label 2027." in response.content.decode()


def test_invitation_with_another_address_is_refused(client):
    jure = invite()
    other = UserFactory(email="autre@gmail.com")
    client.force_login(other)
    page = client.get(invitation_url(jure)).content.decode()
    assert "Vous êtes connecté avec autre@gmail.com" in page
    assert "Accepter l&#x27;invitation" not in page

    response = client.post(invitation_url(jure))
    assert response.status_code == 200
    assert "connectez-vous avec l&#x27;adresse invitée" in response.content.decode()
    jure.refresh_from_db()
    assert jure.user is None and jure.accepted_at is None

    # « Me connecter avec l'adresse invitée »: signed out, then the login page leads back here.
    login_url = reverse("account_login") + "?next=" + invitation_url(jure).replace("/", "%2F")
    assert f'name="next" value="{login_url}"' in page
    assert client.post(reverse("account_logout"), {"next": login_url}).url == login_url


def test_invitation_needs_the_invited_address_verified_any_case(client):
    jure = invite(email="Prof@Univ-Bordeaux.fr")
    user = UserFactory(email="perso@gmail.com")
    address = EmailAddress.objects.create(user=user, email="prof@univ-bordeaux.fr", verified=False)
    client.force_login(user)
    client.post(invitation_url(jure))
    assert Jure.objects.get(pk=jure.pk).user is None  # not verified yet

    address.verified = True
    address.save()
    assert client.post(invitation_url(jure)).url == reverse("jury:mfa_requise")
    assert Jure.objects.get(pk=jure.pk).user == user


def test_invitation_used_by_another_account_is_refused(client):
    jure = invite()
    first = UserFactory(email="prof@univ-bordeaux.fr")
    invitations.accepter(jure, first)
    second = UserFactory(email="collegue@univ-bordeaux.fr")
    with pytest.raises(invitations.InvitationError, match="déjà été acceptée avec un autre compte"):
        invitations.accepter(jure, second)
    client.force_login(second)
    response = client.post(invitation_url(jure))
    assert response.status_code == 410
    assert "Invitation déjà utilisée" in response.content.decode()
    assert Jure.objects.get(pk=jure.pk).user == first


def test_invitation_accepted_twice_gives_a_message(client):
    jure = invite()
    user = UserFactory(email=jure.email)
    client.force_login(user)
    client.post(invitation_url(jure))
    response = client.post(invitation_url(jure), follow=True)
    assert response.status_code == 200
    assert "Vous avez déjà accepté cette invitation." in response.content.decode()


def test_invitation_refused_to_an_account_already_on_that_jury(client):
    user = UserFactory(email="prof@univ-bordeaux.fr")
    EmailAddress.objects.create(user=user, email="prof@cnrs.fr", verified=True)
    JureFactory(user=user, email="prof@univ-bordeaux.fr")
    second_seat = invite(email="prof@cnrs.fr")
    client.force_login(user)
    response = client.post(invitation_url(second_seat))
    assert "Votre compte siège déjà au jury du Label 2027." in response.content.decode()
    assert Jure.objects.get(pk=second_seat.pk).user is None


def test_accepting_shows_the_jury_link_at_once(client):
    jure = invite()
    user = activer_mfa(UserFactory(email=jure.email))
    client.force_login(user)
    assert 'href="/jury/"' not in client.get("/").content.decode()  # cached: not a juror
    assert cache.get(cle_jure(user.pk)) is False
    client.post(invitation_url(jure))
    assert 'href="/jury/"' in client.get("/").content.decode()


def test_mfa_page_explains_and_links_to_allauth(client):
    assert client.get(reverse("jury:mfa_requise")).url.startswith(reverse("account_login"))
    client.force_login(JureFactory().user)
    page = client.get(reverse("jury:mfa_requise")).content.decode()
    assert "confidentiels" in page
    assert f'href="{reverse("mfa_activate_totp")}"' in page


# --- Editions, profile --------------------------------------------------------------------------


def test_juror_of_2026_is_not_a_juror_of_2027(client):
    jure = JureFactory(edition=EditionFactory(annee=2026, numero=27))
    EditionFactory(annee=2027)
    connecter(client, jure.user)
    assert client.get(reverse("jury:profil", args=[2026])).status_code == 200
    assert client.get(reverse("jury:profil", args=[2027])).status_code == 404


def test_staff_who_are_not_jurors_have_no_profile(client, staff):
    EditionFactory()
    connecter(client, staff)
    assert client.get(reverse("jury:profil", args=[2027])).status_code == 404


def test_profile_saves_organisation_expertise_and_home_departement(client, taxonomie):
    jure = JureFactory()
    gironde = DepartementFactory(code="33", nom="Gironde")
    mediation = taxonomie["inclusion"].enjeu
    connecter(client, jure.user)
    page = client.get(reverse("jury:profil", args=[2027])).content.decode()
    assert "<legend>Démocratie et services publics</legend>" in page
    assert "<legend>Vivre ensemble</legend>" in page
    response = client.post(
        reverse("jury:profil", args=[2027]),
        {
            "formulaire": "profil",
            "organisation": "Sciences Po",
            "expertises": [mediation.pk],
            "departement": gironde.pk,
        },
    )
    assert response.url == reverse("jury:profil", args=[2027])
    jure.refresh_from_db()
    assert jure.organisation == "Sciences Po"
    assert list(jure.expertises.all()) == [mediation]
    assert jure.departement == gironde


def test_profile_bad_input_is_shown_next_to_the_field(client):
    jure = JureFactory()
    connecter(client, jure.user)
    response = client.post(
        reverse("jury:profil", args=[2027]),
        {"formulaire": "profil", "organisation": "x" * 201, "departement": "999"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "pas enregistré\u00a0: corrigez" in page
    assert 'aria-invalid="true"' in page
    assert Jure.objects.get(pk=jure.pk).organisation == "Université de Bordeaux"


# --- Declared and detected conflicts --------------------------------------------------------------


def declare(client, **data):
    data = {"formulaire": "conflit", **{f"conflit-{k}": v for k, v in data.items()}}
    return client.post(reverse("jury:profil", args=[2027]), data)


def test_declare_a_conflict_with_a_collectivite_by_code_or_name(client):
    jure = JureFactory()
    agen = CommuneFactory(code="47001", nom="Agen", slug="agen")
    epci = EpciFactory(code="200035459", nom="CA du Grand Villeneuvois", slug="ca-du-grand-villeneuvois")
    connecter(client, jure.user)
    assert declare(client, collectivite="47001", motif="Adjoint au maire").status_code == 302
    assert declare(client, collectivite="CA du Grand Villeneuvois", motif="Prestataire").status_code == 302
    assert [(c.collectivite, c.motif) for c in jure.conflits.all()] == [
        (agen, "Adjoint au maire"),
        (epci, "Prestataire"),
    ]
    page = client.get(reverse("jury:profil", args=[2027])).content.decode()
    assert "Agen (47)" in page and "Adjoint au maire" in page


def test_declare_a_conflict_with_a_departement(client):
    jure = JureFactory()
    gironde = DepartementFactory(code="33", nom="Gironde")
    connecter(client, jure.user)
    response = declare(client, departement=gironde.pk, motif="Conseiller départemental")
    assert response.status_code == 302
    [conflit] = jure.conflits.all()
    assert conflit.departement == gironde and conflit.collectivite is None


@pytest.mark.parametrize(
    ("data", "error"),
    [
        ({"motif": "Élu"}, "Indiquez une collectivité ou un département."),
        ({"collectivite": "47001"}, "Indiquez le motif du conflit d&#x27;intérêts."),
        ({"collectivite": "99999", "motif": "Élu"}, "Aucune collectivité du référentiel ne correspond."),
        ({"collectivite": "Saint-Denis", "motif": "Élu"}, "Plusieurs collectivités portent ce nom"),
        ({"collectivite": "Age", "motif": "Élu"}, "de la vôtre\u00a0: Agen (47)\u00a0: 47001"),
        ({"collectivite": "47001", "departement": "dep", "motif": "Élu"}, "pas les deux"),
    ],
)
def test_declare_a_conflict_bad_input_is_explained(client, data, error):
    jure = JureFactory()
    CommuneFactory(code="47001", nom="Agen", slug="agen")
    CommuneFactory(code="93066", nom="Saint-Denis", slug="saint-denis")
    CommuneFactory(code="97411", nom="Saint-Denis", slug="saint-denis")
    if data.get("departement") == "dep":
        data["departement"] = DepartementFactory(code="33", nom="Gironde").pk
    data.setdefault("collectivite", "")
    connecter(client, jure.user)
    response = declare(client, **data)
    assert response.status_code == 200
    page = response.content.decode()
    assert error in page
    assert "pas déclaré\u00a0: corrigez" in page
    assert not jure.conflits.exists()


def test_declare_the_same_conflict_twice_is_refused(client):
    jure = JureFactory()
    CommuneFactory(code="47001", nom="Agen", slug="agen")
    connecter(client, jure.user)
    declare(client, collectivite="47001", motif="Élu")
    response = declare(client, collectivite="47001", motif="Élu")
    assert "Vous avez déjà déclaré un conflit avec Agen (47)." in response.content.decode()
    assert jure.conflits.count() == 1


def test_declaring_a_conflict_withdraws_the_dossiers_concerned_even_submitted_and_says_which(client):
    jure = JureFactory()
    lot = DepartementFactory(code="47", nom="Lot-et-Garonne")
    agen = EvaluationFactory(
        jure=jure,
        candidature__collectivite=CommuneFactory(code="47001", nom="Agen", slug="agen", departement=lot),
        state=Evaluation.State.SOUMISE,
    )
    agen.notes.create(critere=CritereFactory(edition=jure.edition), score=5)
    gironde = DepartementFactory(code="33", nom="Gironde")
    bordeaux = EvaluationFactory(jure=jure, candidature__collectivite=CommuneFactory(departement=gironde))
    connecter(client, jure.user)
    response = declare(client, collectivite="Agen", motif="Élu")
    response = client.get(response.url)
    page = response.content.decode()
    assert "Conflit d&#x27;intérêts déclaré\u00a0: Agen (47)." in page
    assert (
        "Ce dossier vous est retiré, avec votre évaluation s&#x27;il y en avait une\u00a0: Agen (47). "
        "La présidence du jury le confiera à un autre juré." in page
    )
    assert "Agen (47) — déclaré\u00a0: Élu" in page  # now among the detected conflicts
    assert list(Evaluation.objects.all()) == [bordeaux]  # the submitted one too, with its scores
    assert not Note.objects.exists()
    retrait = AffectationJournal.objects.get()
    assert (retrait.jure, retrait.candidature, retrait.action, retrait.motif, retrait.by) == (
        jure,
        agen.candidature,
        AffectationJournal.Action.RETRAIT,
        MOTIF_CONFLIT,
        jure.user,
    )
    conflit = ConflitDeclare.objects.get()
    assert conflit.declare_par == jure.user


def test_declaring_a_conflict_during_the_deliberation_still_withdraws_the_dossier(client):
    evaluation = EvaluationFactory(candidature__collectivite=CommuneFactory(code="47001", nom="Agen"))
    Jury.objects.create(edition=evaluation.jure.edition, phase=Jury.Phase.DELIBERATION)
    connecter(client, evaluation.jure.user)
    response = declare(client, collectivite="47001", motif="Élu")
    assert response.status_code == 302
    assert not Evaluation.objects.exists()
    assert AffectationJournal.objects.get().motif == MOTIF_CONFLIT


def test_declaring_a_conflict_with_no_assigned_dossier_concerned_withdraws_nothing(client):
    evaluation = EvaluationFactory(candidature__collectivite=CommuneFactory(code="47001", nom="Agen"))
    CommuneFactory(code="47100", nom="Nérac", slug="nerac")
    connecter(client, evaluation.jure.user)
    response = client.post(
        reverse("jury:profil", args=[2027]),
        {"formulaire": "conflit", "conflit-collectivite": "47100", "conflit-motif": "Élu"},
        follow=True,
    )
    assert "vous est retiré" not in response.content.decode()
    assert Evaluation.objects.get() == evaluation
    assert not AffectationJournal.objects.exists()


def test_changing_the_home_departement_withdraws_the_dossiers_of_that_departement(client):
    gironde = DepartementFactory(code="33", nom="Gironde")
    jure = JureFactory()
    bordeaux = EvaluationFactory(
        jure=jure,
        candidature__collectivite=CommuneFactory(code="33063", nom="Bordeaux", departement=gironde),
        state=Evaluation.State.SOUMISE,
    )
    agen = EvaluationFactory(jure=jure, candidature__collectivite=CommuneFactory(nom="Agen"))
    connecter(client, jure.user)
    response = client.post(
        reverse("jury:profil", args=[2027]),
        {"formulaire": "profil", "organisation": "Sciences Po", "departement": gironde.pk},
        follow=True,
    )
    page = response.content.decode()
    assert "Votre profil est enregistré." in page
    assert "Ce dossier vous est retiré" in page and "Bordeaux (33)" in page
    assert list(Evaluation.objects.all()) == [agen]
    retrait = AffectationJournal.objects.get()
    assert (retrait.candidature, retrait.motif) == (bordeaux.candidature, MOTIF_CONFLIT)


def test_profile_lists_the_conflicts_found_among_submitted_dossiers(client):
    gironde = DepartementFactory(code="33", nom="Gironde", region__code="75")
    jure = JureFactory(departement=gironde)
    bordeaux = deposee(CommuneFactory(code="33063", nom="Bordeaux", slug="bordeaux", departement=gironde))
    agen = CommuneFactory(code="47001", nom="Agen", slug="agen")
    deposee(agen)
    MembershipFactory(user=jure.user, collectivite=agen)
    CandidatureFactory(collectivite=CommuneFactory(code="33281", departement=gironde))  # a draft: not listed
    deposee(CommuneFactory(code="47100", nom="Elsewhere"))  # no conflict
    connecter(client, jure.user)
    page = client.get(reverse("jury:profil", args=[2027])).content.decode()
    assert f"{bordeaux.collectivite} — département de résidence" in page
    assert "Agen (47) — membre de la collectivité ou d&#x27;une collectivité liée" in page
    assert "Elsewhere" not in page and "33281" not in page


def test_profile_page_queries_do_not_grow_with_conflicts(client, django_assert_max_num_queries):
    gironde = DepartementFactory(code="33", nom="Gironde")
    jure = JureFactory(departement=gironde)
    connecter(client, jure.user)
    CategorieFactory()

    numbers = itertools.count(1)

    def add(n):
        for i in itertools.islice(numbers, n):
            commune = CommuneFactory(departement=gironde)
            deposee(commune)
            ConflitDeclare.objects.create(jure=jure, collectivite=commune, motif="Élu")
            ConflitDeclare.objects.create(
                jure=jure, departement=DepartementFactory(code=f"D{i}"), motif="Élue"
            )

    add(1)
    with CaptureQueriesContext(connection) as one:
        assert client.get(reverse("jury:profil", args=[2027])).status_code == 200
    add(6)
    with django_assert_max_num_queries(len(one)):
        page = client.get(reverse("jury:profil", args=[2027])).content.decode()
    assert page.count("— département de résidence") == 7


def test_remove_a_declared_conflict(client):
    jure = JureFactory()
    conflit = ConflitDeclare.objects.create(
        jure=jure, departement=DepartementFactory(), motif="Élu", declare_par=jure.user
    )
    connecter(client, jure.user)
    url = reverse("jury:conflit_supprimer", args=[2027, conflit.pk])
    assert url in client.get(reverse("jury:profil", args=[2027])).content.decode()
    assert client.get(url).status_code == 405
    assert client.post(url).url == reverse("jury:profil", args=[2027])
    assert not ConflitDeclare.objects.exists()
    response = client.post(url, follow=True)  # a double submit
    assert "Ce conflit d&#x27;intérêts était déjà retiré." in response.content.decode()


@pytest.mark.parametrize("par_l_equipe", [True, False])
def test_a_conflict_recorded_by_the_team_cannot_be_removed_by_the_juror(client, staff, par_l_equipe):
    """Recorded in the admin (or before who recorded it was kept): only the team removes it."""
    jure = JureFactory()
    conflit = ConflitDeclare.objects.create(
        jure=jure,
        departement=DepartementFactory(code="33", nom="Gironde"),
        motif="Signalé par la préfecture",
        declare_par=staff if par_l_equipe else None,
    )
    connecter(client, jure.user)
    url = reverse("jury:conflit_supprimer", args=[2027, conflit.pk])
    page = client.get(reverse("jury:profil", args=[2027])).content.decode()
    assert "Signalé par la préfecture" in page
    assert "Conflit enregistré par l'équipe\u00a0: seule l'équipe peut le retirer." in page
    assert url not in page
    response = client.post(url, follow=True)
    assert response.redirect_chain == [(reverse("jury:profil", args=[2027]), 302)]
    assert "Ce conflit d&#x27;intérêts a été enregistré par l&#x27;équipe" in response.content.decode()
    assert ConflitDeclare.objects.filter(pk=conflit.pk).exists()


def test_another_jurors_conflict_is_a_404(client):
    autre = JureFactory()
    other = ConflitDeclare.objects.create(
        jure=autre, departement=DepartementFactory(), motif="Élu", declare_par=autre.user
    )
    jure = JureFactory()
    connecter(client, jure.user)
    assert client.post(reverse("jury:conflit_supprimer", args=[2027, other.pk])).status_code == 404
    assert ConflitDeclare.objects.filter(pk=other.pk).exists()


# --- The jury's admin ---------------------------------------------------------------------------


def test_admin_invite_action_sends_and_counts(client, staff, mailoutbox, django_capture_on_commit_callbacks):
    waiting = [invite(email="a@univ.fr"), invite(email="b@univ.fr")]
    accepted = JureFactory()
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:jury_jure_changelist"),
            {"action": "envoyer_invitation", "_selected_action": [j.pk for j in [*waiting, accepted]]},
            follow=True,
        )
    page = response.content.decode()
    assert "2 invitations envoyées." in page
    assert "1 juré a déjà accepté\u00a0: pas de nouvel envoi." in page
    assert sorted(m.to[0] for m in mailoutbox) == ["a@univ.fr", "b@univ.fr"]
    assert "http://testserver/jury/invitation/" in mailoutbox[0].body


def jure_form(edition, **data):
    return {
        "edition": edition.pk,
        "nom": "Claude Expert",
        "email": "claude@univ.fr",
        "organisation": "",
        "conflits-TOTAL_FORMS": "0",
        "conflits-INITIAL_FORMS": "0",
        **data,
    }


def test_admin_second_president_is_a_clean_error(client, staff):
    first = JureFactory(president=True, nom="Prof. Geo")
    client.force_login(staff)
    response = client.post(reverse("admin:jury_jure_add"), jure_form(first.edition, president="on"))
    assert response.status_code == 200
    assert "Prof. Geo préside déjà le jury de cette édition" in response.content.decode()
    response = client.post(reverse("admin:jury_jure_add"), jure_form(first.edition, email="Claude@Univ.fr"))
    assert response.status_code == 302
    assert Jure.objects.get(nom="Claude Expert").email == "claude@univ.fr"


def test_admin_same_address_twice_in_an_edition_is_a_clean_error(client, staff):
    first = invite(email="claude@univ.fr")
    client.force_login(staff)
    response = client.post(reverse("admin:jury_jure_add"), jure_form(first.edition, email="CLAUDE@univ.fr"))
    assert "Cette adresse est déjà invitée au jury de cette édition." in response.content.decode()


def test_admin_conflict_inline_needs_one_target(client, staff):
    jure = JureFactory()
    client.force_login(staff)
    data = {
        **jure_form(jure.edition, email=jure.email, nom=jure.nom),
        "conflits-TOTAL_FORMS": "1",
        "conflits-0-motif": "Élu",
    }
    response = client.post(reverse("admin:jury_jure_change", args=[jure.pk]), data)
    assert response.status_code == 200
    page = response.content.decode()
    assert "Indiquez une collectivité ou un département." in page
    assert "contrainte" not in page


def test_admin_conflict_inline_is_recorded_as_the_teams_and_withdraws_the_dossier(client, staff):
    lot = DepartementFactory(code="47", nom="Lot-et-Garonne")
    evaluation = EvaluationFactory(
        candidature__collectivite=CommuneFactory(nom="Agen", departement=lot), state=Evaluation.State.SOUMISE
    )
    jure = evaluation.jure
    client.force_login(staff)
    data = {
        **jure_form(jure.edition, email=jure.email, nom=jure.nom),
        "conflits-TOTAL_FORMS": "1",
        "conflits-0-departement": lot.pk,
        "conflits-0-motif": "Signalé par la préfecture",
    }
    response = client.post(reverse("admin:jury_jure_change", args=[jure.pk]), data, follow=True)
    assert response.status_code == 200
    assert f"{jure.nom} est retiré(e) d&#x27;un dossier pour conflit d&#x27;intérêts\u00a0: Agen (47)." in (
        response.content.decode()
    )
    conflit = ConflitDeclare.objects.get()
    assert (conflit.jure, conflit.departement, conflit.declare_par) == (jure, lot, staff)
    assert not Evaluation.objects.exists()
    assert AffectationJournal.objects.get().by == staff


def test_admin_default_grid_action(client, staff):
    CategorieFactory(nom="Vivre ensemble", ordre=1)
    jury = Jury.objects.create(edition=EditionFactory())
    client.force_login(staff)
    url = reverse("admin:jury_jury_changelist")
    response = client.post(url, {"action": "grille_par_defaut", "_selected_action": [jury.pk]}, follow=True)
    assert "Label 2027\u00a0: grille par défaut créée (2 critères)." in response.content.decode()
    assert list(Critere.objects.values_list("libelle", flat=True)) == [
        "Vivre ensemble",
        "Cohérence et ambition de la politique numérique",
    ]
    response = client.post(url, {"action": "grille_par_defaut", "_selected_action": [jury.pk]}, follow=True)
    assert "Label 2027 a déjà une grille (2 critères)\u00a0: elle est gardée." in response.content.decode()
    assert Critere.objects.count() == 2


def test_admin_pages_open_and_audit_rows_are_read_only(client, staff):
    evaluation = EvaluationFactory()
    jury = Jury.objects.create(edition=evaluation.jure.edition)
    ConflitDeclare.objects.create(jure=evaluation.jure, collectivite=Collectivite.objects.get(), motif="Élu")
    critere = Critere.objects.create(edition=jury.edition, libelle="Vivre ensemble")
    client.force_login(activer_mfa(staff))
    for name, args in [
        ("jury_jury_changelist", []),
        ("jury_jury_change", [jury.pk]),
        ("jury_jury_add", []),
        ("jury_jure_changelist", []),
        ("jury_jure_change", [evaluation.jure.pk]),
        ("jury_jure_add", []),
        ("jury_critere_changelist", []),
        ("jury_critere_change", [critere.pk]),
        ("jury_evaluation_changelist", []),
        ("jury_evaluation_change", [evaluation.pk]),
        ("jury_affectationjournal_changelist", []),
        ("jury_rappeljure_changelist", []),
    ]:
        assert client.get(reverse(f"admin:{name}", args=args)).status_code == 200, name
    assert client.get(reverse("admin:jury_evaluation_add")).status_code == 403
    response = client.post(
        reverse("admin:jury_evaluation_change", args=[evaluation.pk]), {"state": "soumise"}
    )
    assert response.status_code == 403


def test_admin_scores_and_journal_are_for_staff_with_a_totp_only(client, staff_sans_mfa):
    evaluation = EvaluationFactory(note_jury="Très convaincant")
    evaluation.notes.create(critere=CritereFactory(edition=evaluation.jure.edition), score=4)
    AffectationJournal.objects.create(
        jure=evaluation.jure, candidature=evaluation.candidature, action="ajout", motif="Renfort"
    )
    urls = [
        reverse("admin:jury_evaluation_changelist"),
        reverse("admin:jury_evaluation_change", args=[evaluation.pk]),
        reverse("admin:jury_evaluation_history", args=[evaluation.pk]),
        reverse("admin:jury_affectationjournal_changelist"),
    ]
    client.force_login(staff_sans_mfa)
    for url in urls:
        assert client.get(url).url == reverse("mfa_activate_totp"), url

    activer_mfa(staff_sans_mfa)
    for url in urls:
        assert client.get(url).status_code == 200, url
    index = client.get(reverse("admin:index")).content.decode()
    assert reverse("admin:jury_evaluation_changelist") in index
    assert "Très convaincant" in client.get(urls[1]).content.decode()


def test_admin_grid_order_is_edited_in_the_changelist_not_weights_or_scales(client, staff):
    critere = Critere.objects.create(edition=EditionFactory(), libelle="Vivre ensemble")
    client.force_login(staff)
    response = client.post(
        reverse("admin:jury_critere_changelist"),
        {
            "form-TOTAL_FORMS": "1",
            "form-INITIAL_FORMS": "1",
            "form-0-id": critere.pk,
            "form-0-ordre": "3",
            "form-0-poids": "2",
            "form-0-echelle": "10",
            "_save": "Enregistrer",
        },
    )
    assert response.status_code == 302
    critere.refresh_from_db()
    assert (critere.ordre, critere.poids, critere.echelle) == (3, 1, 5)


def critere_form(critere, **data):
    return {
        "edition": critere.edition_id,
        "libelle": critere.libelle,
        "aide": "",
        "categorie": "",
        "poids": critere.poids,
        "echelle": critere.echelle,
        "ordre": critere.ordre,
        **data,
    }


def test_admin_grid_is_open_until_a_juror_scores(client, staff):
    critere = CritereFactory(poids=1, echelle=5)
    client.force_login(staff)
    url = reverse("admin:jury_critere_change", args=[critere.pk])
    assert reverse("admin:jury_critere_delete", args=[critere.pk]) in client.get(url).content.decode()
    assert client.post(url, critere_form(critere, poids="3", echelle="10")).status_code == 302
    critere.refresh_from_db()
    assert (critere.poids, critere.echelle) == (3, 10)
    added = client.post(reverse("admin:jury_critere_add"), critere_form(critere, libelle="Nouveau"))
    assert added.status_code == 302
    delete = client.post(reverse("admin:jury_critere_delete", args=[critere.pk]), {"post": "yes"})
    assert delete.status_code == 302
    assert list(Critere.objects.values_list("libelle", flat=True)) == ["Nouveau"]


def test_admin_grid_is_frozen_once_a_juror_scored(client, staff):
    evaluation = EvaluationFactory()
    edition = evaluation.jure.edition
    critere = CritereFactory(edition=edition, poids=2, echelle=10)
    other = CritereFactory(edition=edition)
    evaluation.notes.create(critere=critere, score=None)  # a draft's empty score is enough
    libre = CritereFactory(edition=EditionFactory(annee=2026, numero=27), libelle="Critère 2026")
    client.force_login(staff)

    # Weights and scales are read-only; the rest stays editable.
    url = reverse("admin:jury_critere_change", args=[critere.pk])
    page = client.get(url).content.decode()
    assert 'name="poids"' not in page and 'name="echelle"' not in page and 'name="libelle"' in page
    assert reverse("admin:jury_critere_delete", args=[critere.pk]) not in page
    data = critere_form(critere, libelle="Renommé", poids="1", echelle="5", edition=libre.edition_id)
    assert client.post(url, data).status_code == 302
    critere.refresh_from_db()
    assert (critere.libelle, critere.poids, critere.echelle, critere.edition) == ("Renommé", 2, 10, edition)

    # No new criterion in that edition, whether added or moved from another edition.
    response = client.post(reverse("admin:jury_critere_add"), critere_form(critere, libelle="Nouveau"))
    assert response.status_code == 200
    assert "Des jurés ont déjà noté des dossiers du Label 2027 avec sa grille" in response.content.decode()
    response = client.post(
        reverse("admin:jury_critere_change", args=[libre.pk]), critere_form(libre, edition=edition.pk)
    )
    assert "ne peut plus recevoir de nouveau critère" in response.content.decode()
    assert list(Critere.objects.filter(edition=edition)) == [critere, other]

    # No deletion, one by one or in bulk.
    assert (
        client.post(reverse("admin:jury_critere_delete", args=[other.pk]), {"post": "yes"}).status_code == 403
    )
    bulk = {"action": "delete_selected", "_selected_action": [other.pk, libre.pk]}
    page = client.post(reverse("admin:jury_critere_changelist"), bulk).content.decode()
    assert "Impossible de supprimer" in page
    response = client.post(reverse("admin:jury_critere_changelist"), {**bulk, "post": "yes"})
    assert response.status_code == 403
    assert Critere.objects.count() == 3
    assert Note.objects.count() == 1


@pytest.mark.parametrize(
    "name", ["jury_jure_changelist", "jury_evaluation_changelist", "jury_critere_changelist"]
)
def test_admin_lists_queries_do_not_grow_with_rows(client, staff, name):
    client.force_login(activer_mfa(staff))
    url = reverse(f"admin:{name}")

    def add():
        evaluation = EvaluationFactory()
        Critere.objects.create(
            edition=evaluation.jure.edition, libelle="Critère", categorie=CategorieFactory()
        )

    add()
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    for _ in range(5):
        add()
    with CaptureQueriesContext(connection) as six:
        assert client.get(url).status_code == 200
    assert len(six) == len(one)


def test_admin_edits_the_jury_settings_but_not_its_phase(client, staff):
    jury = Jury.objects.create(edition=EditionFactory())
    client.force_login(staff)
    response = client.post(
        reverse("admin:jury_jury_change", args=[jury.pk]),
        {"jures_par_dossier": "3", "ecart_max": "20", "phase": Jury.Phase.CLOSE},
    )
    assert response.status_code == 302
    jury.refresh_from_db()
    assert (jury.jures_par_dossier, jury.ecart_max, jury.notes_visibles_apres_soumission) == (3, 20, False)
    assert jury.phase == Jury.Phase.EVALUATION
