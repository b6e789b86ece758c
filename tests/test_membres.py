"""Joining a collectivité: search in the referential, requests, approval, invitations, members."""

import datetime
from types import SimpleNamespace

import factory
import pytest
from django.urls import reverse
from django.utils import timezone

from atlaas.models import Invitation, Membership
from atlaas.search import search_collectivites
from tests.factories import CommuneFactory, DepartementFactory, EpciFactory, MembershipFactory, UserFactory

pytestmark = pytest.mark.django_db

REFERENT = Membership.Role.REFERENT
CONTRIBUTEUR = Membership.Role.CONTRIBUTEUR
PENDING = Membership.State.PENDING
ACTIVE = Membership.State.ACTIVE


def seine_maritime():
    return DepartementFactory(code="76", nom="Seine-Maritime", region__code="28", region__nom="Normandie")


def saint_etienne_du_rouvray(**kwargs):
    return CommuneFactory(
        nom="Saint-Étienne-du-Rouvray",
        slug="saint-etienne-du-rouvray",
        code="76575",
        siren="217605750",
        codes_postaux="76800",
        population=28_000,
        departement=seine_maritime(),
        **kwargs,
    )


def invitation_for(collectivite, email="collegue@mairie.fr", role=CONTRIBUTEUR, by=None, days=14):
    return Invitation.objects.create(
        collectivite=collectivite,
        email=email,
        role=role,
        invited_by=by,
        expires_at=timezone.now() + datetime.timedelta(days=days),
    )


def page_of(response):
    return response.content.decode()


# --- Search -------------------------------------------------------------------------------------


def test_search_ignores_accents_case_hyphens_and_apostrophes():
    sedr = saint_etienne_du_rouvray()
    CommuneFactory(nom="Rouvray", code="21531", population=505)
    lhay = CommuneFactory(nom="L'Haÿ-les-Roses", code="94038", population=31_000)
    assert search_collectivites("saint etienne du rouvray") == [sedr]
    assert search_collectivites("SAINT-ÉTIENNE-DU-ROUVRAY") == [sedr]
    assert search_collectivites("  Saint Étienne   du ROUVRAY ") == [sedr]
    for query in ["l'hay les roses", "L’Haÿ-les-Roses", "l hay les roses", "lhay", "haÿ les"]:
        assert search_collectivites(query) == [lhay], query


def test_search_finds_names_with_a_ligature_typed_with_oe_or_without_accents():
    vandoeuvre = CommuneFactory(nom="Vandœuvre-lès-Nancy", code="54547", population=29_000)
    marcq = CommuneFactory(nom="Marcq-en-Barœul", code="59378", population=39_000)
    for query in ["Vandœuvre-lès-Nancy", "vandoeuvre", "Vandoeuvre les Nancy", "VANDŒUVRE", "vandœuvre-les"]:
        assert search_collectivites(query) == [vandoeuvre], query
    for query in ["Marcq-en-Barœul", "marcq en baroeul", "Marcq-en-Baroeul", "barœul"]:
        assert search_collectivites(query) == [marcq], query


def test_search_reads_st_and_ste_as_saint_and_sainte():
    saint_denis = CommuneFactory(nom="Saint-Denis", code="93066", population=113_000)
    sainte_marie = CommuneFactory(nom="Sainte-Marie", code="97418", population=34_000)
    assert search_collectivites("St Denis") == [saint_denis]
    assert search_collectivites("st-denis") == [saint_denis]
    assert search_collectivites("Ste Marie") == [sainte_marie]


def test_search_by_insee_code_postcode_and_siren():
    sedr = saint_etienne_du_rouvray()
    neighbour = CommuneFactory(nom="Oissel", code="76484", codes_postaux="76350 76800", population=11_000)
    epci = EpciFactory(nom="Métropole Rouen Normandie", code="200023414")
    assert search_collectivites("76575") == [sedr]
    assert search_collectivites("76800") == [sedr, neighbour]  # by population
    assert search_collectivites("217605750") == [sedr]  # a commune's SIREN
    assert search_collectivites("200 023 414") == [epci]  # an EPCI's code is its SIREN


def test_search_ranks_exact_then_prefix_then_population():
    small_exact = CommuneFactory(nom="Saint-Étienne", code="42218", population=170_000)
    sedr = saint_etienne_du_rouvray()
    big_inside = CommuneFactory(nom="Villeneuve-Saint-Étienne", population=900_000)
    assert search_collectivites("saint etienne") == [small_exact, sedr, big_inside]


def test_search_leaves_out_inactive_collectivites_and_short_queries():
    CommuneFactory(nom="Agen", active=False)
    CommuneFactory(nom="Boé")
    assert search_collectivites("agen") == []
    assert search_collectivites("b") == []
    assert search_collectivites("") == []


@pytest.mark.parametrize("count", [1, 20])
def test_search_runs_one_query_whatever_the_number_of_results(count, django_assert_num_queries):
    CommuneFactory.create_batch(count, nom=factory.Sequence(lambda n: f"Rouvray-{n}"))
    with django_assert_num_queries(1):
        results = search_collectivites("rouvray", limit=20)
        labels = [str(collectivite) for collectivite in results]  # shows the département
    assert len(labels) == count
    assert labels[0].endswith("(47)")


# --- Joining ------------------------------------------------------------------------------------


def test_join_page_finds_the_collectivite_and_sends_a_pending_request(client):
    sedr = saint_etienne_du_rouvray()
    user = UserFactory()
    client.force_login(user)
    url = reverse("atlaas:rejoindre")

    results = page_of(client.get(url, {"q": "saint etienne du rouvray"}))
    assert "Saint-Étienne-du-Rouvray (76)" in results
    assert f"{url}?code=76575" in results

    form = page_of(client.get(url, {"code": "76575"}))
    assert "Demander à rejoindre Saint-Étienne-du-Rouvray (76)" in form
    response = client.post(
        url,
        {"collectivite": "76575", "role": REFERENT, "fonction": "DSI", "message": "Bonjour"},
        follow=True,
    )
    membership = Membership.objects.get(user=user, collectivite=sedr)
    assert (membership.state, membership.role, membership.fonction) == (PENDING, REFERENT, "DSI")
    assert "Votre demande pour Saint-Étienne-du-Rouvray (76) est envoyée." in page_of(response)


def test_join_page_finds_a_name_with_a_ligature_typed_with_oe(client):
    meurthe = DepartementFactory(code="54", nom="Meurthe-et-Moselle", region__code="44")
    CommuneFactory(nom="Vandœuvre-lès-Nancy", code="54547", departement=meurthe)
    client.force_login(UserFactory())
    url = reverse("atlaas:rejoindre")
    for query in ["Vandoeuvre", "vandoeuvre les nancy", "Vandœuvre-lès-Nancy"]:
        results = page_of(client.get(url, {"q": query}))
        assert "Vandœuvre-lès-Nancy (54)" in results and f"{url}?code=54547" in results, query


def test_first_referent_request_tells_the_team(
    client, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.STAFF_EMAILS = ["equipe@villes-internet.net"]
    saint_etienne_du_rouvray()
    client.force_login(UserFactory())
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("atlaas:rejoindre"), {"collectivite": "76575", "role": REFERENT})
    [message] = mailoutbox
    assert message.to == ["equipe@villes-internet.net"]
    assert message.subject == (
        "[Villes Internet] Premier référent à approuver\u00a0: Saint-Étienne-du-Rouvray (76)"
    )
    assert "/admin/atlaas/membership/?state__exact=pending" in message.body


def test_join_twice_gives_a_clear_message_and_one_row(client):
    sedr = saint_etienne_du_rouvray()
    user = UserFactory()
    client.force_login(user)
    data = {"collectivite": sedr.code, "role": CONTRIBUTEUR}
    client.post(reverse("atlaas:rejoindre"), data)
    response = client.post(reverse("atlaas:rejoindre"), data, follow=True)
    assert response.status_code == 200
    assert "votre demande est en attente" in page_of(response)
    assert Membership.objects.filter(user=user).count() == 1
    assert "Votre demande pour cette collectivité est en attente." in page_of(
        client.get(reverse("atlaas:rejoindre"), {"code": sedr.code})
    )


def test_join_bad_input_keeps_what_was_typed(client):
    sedr = saint_etienne_du_rouvray()
    client.force_login(UserFactory())
    response = client.post(
        reverse("atlaas:rejoindre"),
        {"collectivite": sedr.code, "role": "maire", "fonction": "Élue au numérique"},
    )
    page = page_of(response)
    assert response.status_code == 200
    assert 'aria-invalid="true"' in page
    assert 'value="Élue au numérique"' in page
    assert not Membership.objects.exists()
    unknown = client.post(reverse("atlaas:rejoindre"), {"collectivite": "99999", "role": CONTRIBUTEUR})
    assert "n&#x27;est pas dans le référentiel" in page_of(unknown)


def test_join_search_too_short_says_so_next_to_the_field(client):
    client.force_login(UserFactory())
    page = page_of(client.get(reverse("atlaas:rejoindre"), {"q": "a"}))
    assert 'aria-invalid="true"' in page
    assert "au moins 2 caractères" in page


def test_join_unknown_or_inactive_collectivite_is_a_404(client):
    gone = CommuneFactory(active=False)
    client.force_login(UserFactory())
    assert client.get(reverse("atlaas:rejoindre"), {"code": gone.code}).status_code == 404
    assert client.get(reverse("atlaas:rejoindre"), {"code": "00000"}).status_code == 404


def test_user_may_belong_to_several_collectivites(client):
    user = UserFactory()
    MembershipFactory(user=user)
    epci = EpciFactory()
    client.force_login(user)
    client.post(reverse("atlaas:rejoindre"), {"collectivite": epci.code, "role": CONTRIBUTEUR})
    assert user.memberships.count() == 2


def test_first_referent_waits_for_staff_who_approve_in_the_admin(
    client, staff, mailoutbox, django_capture_on_commit_callbacks
):
    sedr = saint_etienne_du_rouvray()
    user = UserFactory(email="dsi@saint-etienne-du-rouvray.fr")
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("atlaas:rejoindre"), {"collectivite": sedr.code, "role": REFERENT})
    assert mailoutbox == []  # no référent yet: the request waits in the admin
    membership = Membership.objects.get(user=user)

    client.force_login(staff)
    changelist = reverse("admin:atlaas_membership_changelist")
    assert "dsi@saint-etienne-du-rouvray.fr" in page_of(client.get(changelist, {"state__exact": "pending"}))
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            changelist, {"action": "approve", "_selected_action": [membership.pk]}, follow=True
        )
    assert "1 demande approuvée." in page_of(response)
    membership.refresh_from_db()
    assert (membership.state, membership.approved_by) == (ACTIVE, staff)
    assert membership.approved_at is not None
    [mail] = mailoutbox
    assert mail.to == ["dsi@saint-etienne-du-rouvray.fr"]
    assert mail.subject == "[Villes Internet] Vous avez rejoint Saint-Étienne-du-Rouvray (76)"
    assert "vous êtes désormais Référent de Saint-Étienne-du-Rouvray (76)" in mail.body
    assert "http://testserver" not in mail.body
    assert "/espace/collectivites/76575/membres/" in mail.body


def test_admin_pages_of_memberships_and_invitations_open(client, staff):
    membership = MembershipFactory()
    invitation = invitation_for(membership.collectivite, by=membership.user)
    client.force_login(staff)
    for url in [
        reverse("admin:atlaas_membership_changelist") + "?q=mairie",
        reverse("admin:atlaas_membership_change", args=[membership.pk]),
        reverse("admin:atlaas_invitation_changelist") + "?q=collegue",
        reverse("admin:atlaas_invitation_change", args=[invitation.pk]),
    ]:
        assert client.get(url).status_code == 200, url


def test_staff_invite_a_first_referent_from_the_admin(
    client, staff, mailoutbox, django_capture_on_commit_callbacks
):
    sedr = saint_etienne_du_rouvray()
    client.force_login(staff)
    add = reverse("admin:atlaas_invitation_add")
    assert "expires_at" in page_of(client.get(add))
    expires = timezone.localtime() + datetime.timedelta(days=14)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            add,
            {
                "collectivite": sedr.pk,
                "email": "maire@saint-etienne-du-rouvray.fr",
                "role": REFERENT,
                "expires_at_0": expires.strftime("%d/%m/%Y"),
                "expires_at_1": expires.strftime("%H:%M:%S"),
            },
        )
    assert response.status_code == 302, response.context["adminform"].form.errors
    invitation = Invitation.objects.get()
    assert invitation.invited_by == staff
    [mail] = mailoutbox
    assert mail.to == ["maire@saint-etienne-du-rouvray.fr"]
    assert f"/invitations/{invitation.token}/" in mail.body


def test_later_requests_notify_referents_who_approve(client, mailoutbox, django_capture_on_commit_callbacks):
    referent = MembershipFactory(role=REFERENT, user__email="referente@mairie.fr")
    code = referent.collectivite.code
    user = UserFactory(email="agent@mairie.fr")
    client.force_login(user)
    with django_capture_on_commit_callbacks(execute=True):
        client.post(
            reverse("atlaas:rejoindre"),
            {"collectivite": code, "role": CONTRIBUTEUR, "message": "Je suis à la médiathèque."},
        )
    [notice] = mailoutbox
    assert notice.to == ["referente@mairie.fr"]
    assert "agent@mairie.fr" in notice.body
    assert "Je suis à la médiathèque." in notice.body
    assert f"/espace/collectivites/{code}/membres/" in notice.body

    membership = Membership.objects.get(user=user)
    client.force_login(referent.user)
    assert "Je suis à la médiathèque." in page_of(client.get(reverse("atlaas:membres", args=[code])))
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("atlaas:membres_approuver", args=[code, membership.pk]))
    membership.refresh_from_db()
    assert (membership.state, membership.approved_by) == (ACTIVE, referent.user)
    assert mailoutbox[1].to == ["agent@mairie.fr"]


def test_referent_refuses_a_request(client, mailoutbox, django_capture_on_commit_callbacks):
    referent = MembershipFactory(role=REFERENT)
    pending = MembershipFactory(collectivite=referent.collectivite, state=PENDING, user__email="x@mairie.fr")
    client.force_login(referent.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("atlaas:membres_refuser", args=[referent.collectivite.code, pending.pk]), follow=True
        )
    assert not Membership.objects.filter(pk=pending.pk).exists()
    assert "est refusée" in page_of(response)
    [mail] = mailoutbox
    assert mail.to == ["x@mairie.fr"]
    assert "n'a pas été acceptée" in mail.body


# --- Members page -------------------------------------------------------------------------------


def test_referent_invites_a_colleague_by_email(
    client, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.SITE_URL = "https://label.villes-internet.net"
    referent = MembershipFactory(role=REFERENT, user__first_name="Camille", user__last_name="Martin")
    code = referent.collectivite.code
    client.force_login(referent.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("atlaas:membres", args=[code]),
            {"email": "Collegue@Mairie.fr", "role": REFERENT},
            follow=True,
        )
    invitation = Invitation.objects.get()
    assert (invitation.email, invitation.role, invitation.invited_by) == (
        "collegue@mairie.fr",
        REFERENT,
        referent.user,
    )
    assert invitation.expires_at - timezone.now() > datetime.timedelta(days=13, hours=23)
    assert "Invitation envoyée à collegue@mairie.fr" in page_of(response)
    assert "collegue@mairie.fr (Référent), valable jusqu" in page_of(response)
    [mail] = mailoutbox
    assert mail.to == ["collegue@mairie.fr"]
    assert f"https://label.villes-internet.net/invitations/{invitation.token}/" in mail.body
    assert "Camille Martin vous invite à rejoindre" in mail.body


@pytest.mark.parametrize(
    ("email", "error"),
    [
        ("pas-une-adresse", "Saisissez une adresse de courriel valide."),
        ("membre@mairie.fr", "Cette personne est déjà membre de la collectivité."),
        ("invitee@mairie.fr", "Une invitation est déjà en attente pour cette adresse"),
    ],
)
def test_invitation_bad_input_is_shown_next_to_the_field(client, email, error):
    referent = MembershipFactory(role=REFERENT)
    MembershipFactory(collectivite=referent.collectivite, user__email="membre@mairie.fr")
    invitation_for(referent.collectivite, email="invitee@mairie.fr")
    client.force_login(referent.user)
    response = client.post(reverse("atlaas:membres", args=[referent.collectivite.code]), {"email": email})
    page = page_of(response)
    assert response.status_code == 200
    assert error in page
    assert f'value="{email}"' in page
    assert 'aria-invalid="true"' in page
    assert Invitation.objects.count() == 1


def test_referent_changes_a_role_and_removes_a_member(client):
    referent = MembershipFactory(role=REFERENT)
    code = referent.collectivite.code
    colleague = MembershipFactory(collectivite=referent.collectivite)
    other = MembershipFactory(collectivite=referent.collectivite)
    client.force_login(referent.user)
    client.post(reverse("atlaas:membres_role", args=[code, colleague.pk]), {"role": REFERENT})
    colleague.refresh_from_db()
    assert colleague.role == REFERENT
    response = client.post(reverse("atlaas:membres_retirer", args=[code, other.pk]), follow=True)
    assert "ne fait plus partie des membres" in page_of(response)
    assert not Membership.objects.filter(pk=other.pk).exists()
    # now two référents: the first one may step down
    client.post(reverse("atlaas:membres_role", args=[code, referent.pk]), {"role": CONTRIBUTEUR})
    referent.refresh_from_db()
    assert referent.role == CONTRIBUTEUR


def test_last_referent_cannot_step_down_to_contributeur(client):
    referent = MembershipFactory(role=REFERENT)
    code = referent.collectivite.code
    MembershipFactory(collectivite=referent.collectivite, role=REFERENT, state=PENDING)  # does not count
    client.force_login(referent.user)
    response = client.post(
        reverse("atlaas:membres_role", args=[code, referent.pk]), {"role": CONTRIBUTEUR}, follow=True
    )
    assert response.status_code == 200
    assert "La collectivité doit garder au moins un référent." in page_of(response)
    referent.refresh_from_db()
    assert (referent.role, referent.state) == (REFERENT, ACTIVE)
    assert "seul référent" in page_of(client.get(reverse("atlaas:membres", args=[code])))


def test_last_referent_may_leave_and_the_team_is_told(
    client, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.STAFF_EMAILS = ["equipe@villes-internet.net"]
    referent = MembershipFactory(role=REFERENT, collectivite__nom="Boé")
    code = referent.collectivite.code
    colleague = MembershipFactory(collectivite=referent.collectivite)
    client.force_login(referent.user)
    page = page_of(client.get(reverse("atlaas:membres", args=[code])))
    assert "nommez-en un autre avant de partir" in page
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("atlaas:membres_retirer", args=[code, referent.pk]))
    assert response.url == reverse("atlaas:rejoindre")
    assert list(Membership.objects.filter(collectivite=referent.collectivite)) == [colleague]
    [message] = mailoutbox
    assert message.to == ["equipe@villes-internet.net"]
    assert "Boé" in message.subject
    assert referent.user.email not in message.body  # the person who left is not named


def test_contributeur_sees_the_members_read_only_and_may_leave(client):
    referent = MembershipFactory(role=REFERENT, user__email="ref@mairie.fr")
    code = referent.collectivite.code
    me = MembershipFactory(collectivite=referent.collectivite, fonction="Chargée de communication")
    MembershipFactory(collectivite=referent.collectivite, state=PENDING, user__email="attente@mairie.fr")
    invitation_for(referent.collectivite, email="invitee@mairie.fr")
    client.force_login(me.user)
    page = page_of(client.get(reverse("atlaas:membres", args=[code])))
    assert "ref@mairie.fr" in page
    assert "Chargée de communication" in page
    assert "attente@mairie.fr" in page
    assert "invitee@mairie.fr" in page
    for action in ["Changer le rôle", "Approuver", "Envoyer l&#x27;invitation", "Annuler"]:
        assert action not in page
    response = client.post(reverse("atlaas:membres_retirer", args=[code, me.pk]))
    assert response.url == reverse("atlaas:rejoindre")
    assert not Membership.objects.filter(pk=me.pk).exists()


def test_referent_cancels_an_invitation(client):
    referent = MembershipFactory(role=REFERENT)
    invitation = invitation_for(referent.collectivite)
    client.force_login(referent.user)
    client.post(reverse("atlaas:invitation_annuler", args=[referent.collectivite.code, invitation.pk]))
    assert not Invitation.objects.exists()


def test_members_page_shows_neither_expired_nor_accepted_invitations(client):
    referent = MembershipFactory(role=REFERENT)
    invitation_for(referent.collectivite, email="expiree@mairie.fr", days=-1)
    used = invitation_for(referent.collectivite, email="utilisee@mairie.fr")
    Invitation.objects.filter(pk=used.pk).update(accepted_at=timezone.now())
    client.force_login(referent.user)
    page = page_of(client.get(reverse("atlaas:membres", args=[referent.collectivite.code])))
    assert "expiree@mairie.fr" not in page
    assert "utilisee@mairie.fr" not in page
    assert "Aucune invitation en attente." in page


@pytest.mark.parametrize("members", [1, 30])
def test_members_page_query_count_does_not_grow_with_members(client, members, django_assert_num_queries):
    referent = MembershipFactory(role=REFERENT)
    MembershipFactory.create_batch(members - 1, collectivite=referent.collectivite)
    MembershipFactory.create_batch(members, collectivite=referent.collectivite, state=PENDING)
    for n in range(members):
        invitation_for(referent.collectivite, email=f"invitee{n}@mairie.fr", by=referent.user)
    client.force_login(referent.user)
    # user, juror flag, my membership with its département, rows, invitations
    with django_assert_num_queries(5):
        response = client.get(reverse("atlaas:membres", args=[referent.collectivite.code]))
    assert page_of(response).count("Changer le rôle") == members - 1  # not for the only référent


# --- Invitations --------------------------------------------------------------------------------


def test_invitation_accepted_by_a_signed_in_user(client):
    referent = MembershipFactory(role=REFERENT, user__first_name="Camille", user__last_name="Martin")
    invitation = invitation_for(referent.collectivite, email="agent@mairie.fr", by=referent.user)
    user = UserFactory(email="agent@mairie.fr")
    client.force_login(user)
    url = reverse("atlaas:invitation", args=[invitation.token])
    page = page_of(client.get(url))
    assert str(referent.collectivite) in page
    assert "Camille Martin" in page
    assert "vous êtes connecté avec" not in page
    response = client.post(url)
    assert response.url == reverse("atlaas:membres", args=[referent.collectivite.code])
    membership = Membership.objects.get(user=user)
    assert (membership.state, membership.role, membership.approved_by) == (
        ACTIVE,
        CONTRIBUTEUR,
        referent.user,
    )
    invitation.refresh_from_db()
    assert invitation.accepted_by == user
    assert invitation.accepted_at is not None


def test_invitation_for_another_address_can_still_be_accepted(client):
    invitation = invitation_for(CommuneFactory(), email="prenom.nom@mairie.fr")
    user = UserFactory(email="perso@exemple.fr")
    client.force_login(user)
    url = reverse("atlaas:invitation", args=[invitation.token])
    page = page_of(client.get(url))
    assert "envoyée à prenom.nom@mairie.fr\u202f; vous êtes connecté avec perso@exemple.fr" in page
    client.post(url)
    assert Membership.objects.get(user=user).is_active


def test_invitation_upgrades_a_pending_request(client):
    pending = MembershipFactory(state=PENDING, role=CONTRIBUTEUR)
    invitation = invitation_for(pending.collectivite, email=pending.user.email, role=REFERENT)
    client.force_login(pending.user)
    client.post(reverse("atlaas:invitation", args=[invitation.token]))
    pending.refresh_from_db()
    assert (pending.state, pending.role) == (ACTIVE, REFERENT)
    assert Membership.objects.count() == 1


def test_invitation_for_an_anonymous_visitor_asks_to_log_in_and_come_back(client):
    invitation = invitation_for(CommuneFactory())
    url = reverse("atlaas:invitation", args=[invitation.token])
    page = page_of(client.get(url))
    assert f"{reverse('account_login')}?next={url}" in page
    assert f"{reverse('account_signup')}?next={url}" in page
    response = client.post(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))
    assert not Membership.objects.exists()


def test_expired_invitation_is_refused_with_a_clear_page(client):
    invitation = invitation_for(CommuneFactory(), days=-1)
    client.force_login(UserFactory())
    url = reverse("atlaas:invitation", args=[invitation.token])
    response = client.post(url)
    assert response.status_code == 410
    assert "Invitation expirée" in page_of(response)
    assert not Membership.objects.exists()


def test_used_invitation_is_refused_with_a_clear_page(client):
    invitation = invitation_for(CommuneFactory())
    first, second = UserFactory(), UserFactory()
    url = reverse("atlaas:invitation", args=[invitation.token])
    client.force_login(first)
    client.post(url)
    page = page_of(client.get(url))
    assert "Vous avez déjà accepté cette invitation" in page
    client.force_login(second)
    response = client.post(url)
    assert response.status_code == 410
    assert "Invitation déjà utilisée" in page_of(response)
    assert not second.memberships.exists()


def test_unknown_invitation_is_a_404(client):
    assert client.get("/invitations/0b7c7a5e-0000-4000-8000-000000000000/").status_code == 404
    assert client.get("/invitations/pas-un-jeton/").status_code == 404


# --- Permissions --------------------------------------------------------------------------------


@pytest.fixture
def world(staff):
    a, b = CommuneFactory(), CommuneFactory()
    referent_a = MembershipFactory(collectivite=a, role=REFERENT)
    member_a = MembershipFactory(collectivite=a)
    colleague_a = MembershipFactory(collectivite=a)
    pending_a = MembershipFactory(collectivite=a, state=PENDING)
    member_b = MembershipFactory(collectivite=b, role=REFERENT)
    return SimpleNamespace(
        a=a,
        users={
            "anonymous": None,
            "member_a": member_a.user,
            "referent_a": referent_a.user,
            "member_b": member_b.user,
            "staff": staff,
        },
        colleague_a=colleague_a,
        pending_a=pending_a,
        invitation_a=invitation_for(a, by=referent_a.user),
    )


WHO = ["anonymous", "member_a", "referent_a", "member_b", "staff"]
MATRIX = {
    # view: (method, url, data), expected status for each of WHO
    "rejoindre": (302, 200, 200, 200, 200),
    "membres": (302, 200, 200, 404, 404),
    "inviter": (302, 404, 302, 404, 404),
    "approuver": (302, 404, 302, 404, 404),
    "refuser": (302, 404, 302, 404, 404),
    "role": (302, 404, 302, 404, 404),
    "retirer": (302, 404, 302, 404, 404),
    "annuler_invitation": (302, 404, 302, 404, 404),
    "invitation": (200, 200, 200, 200, 200),
    "accepter_invitation": (302, 302, 302, 302, 302),
}


def request_for(view, world):
    code = world.a.code
    return {
        "rejoindre": ("get", reverse("atlaas:rejoindre"), {"q": "commune"}),
        "membres": ("get", reverse("atlaas:membres", args=[code]), {}),
        "inviter": (
            "post",
            reverse("atlaas:membres", args=[code]),
            {"email": "n@mairie.fr", "role": CONTRIBUTEUR},
        ),
        "approuver": ("post", reverse("atlaas:membres_approuver", args=[code, world.pending_a.pk]), {}),
        "refuser": ("post", reverse("atlaas:membres_refuser", args=[code, world.pending_a.pk]), {}),
        "role": (
            "post",
            reverse("atlaas:membres_role", args=[code, world.colleague_a.pk]),
            {"role": REFERENT},
        ),
        "retirer": ("post", reverse("atlaas:membres_retirer", args=[code, world.colleague_a.pk]), {}),
        "annuler_invitation": (
            "post",
            reverse("atlaas:invitation_annuler", args=[code, world.invitation_a.pk]),
            {},
        ),
        "invitation": ("get", reverse("atlaas:invitation", args=[world.invitation_a.token]), {}),
        "accepter_invitation": ("post", reverse("atlaas:invitation", args=[world.invitation_a.token]), {}),
    }[view]


@pytest.mark.parametrize("view", MATRIX)
@pytest.mark.parametrize("who", WHO)
def test_permission_matrix(client, world, view, who):
    user = world.users[who]
    if user is not None:
        client.force_login(user)
    method, url, data = request_for(view, world)
    response = getattr(client, method)(url, data)
    expected = MATRIX[view][WHO.index(who)]
    assert response.status_code == expected, f"{who} {view}: {response.status_code}"
    if who == "anonymous" and expected == 302:
        assert response.url.startswith(reverse("account_login"))


def test_referent_of_b_cannot_reach_a_request_of_a_through_b(client, world):
    """An object of A addressed through B's pages is a 404, not an action on A."""
    client.force_login(world.users["member_b"])
    b = world.users["member_b"].memberships.get().collectivite.code
    for url in [
        reverse("atlaas:membres_approuver", args=[b, world.pending_a.pk]),
        reverse("atlaas:membres_refuser", args=[b, world.pending_a.pk]),
        reverse("atlaas:membres_role", args=[b, world.colleague_a.pk]),
        reverse("atlaas:membres_retirer", args=[b, world.colleague_a.pk]),
        reverse("atlaas:invitation_annuler", args=[b, world.invitation_a.pk]),
    ]:
        assert client.post(url, {"role": REFERENT}).status_code == 404, url
    world.pending_a.refresh_from_db()
    assert world.pending_a.state == PENDING
    assert Membership.objects.filter(pk=world.colleague_a.pk, role=CONTRIBUTEUR).exists()
    assert Invitation.objects.filter(pk=world.invitation_a.pk).exists()


def test_actions_refuse_get(client, world):
    client.force_login(world.users["referent_a"])
    url = reverse("atlaas:membres_approuver", args=[world.a.code, world.pending_a.pk])
    assert client.get(url).status_code == 405
