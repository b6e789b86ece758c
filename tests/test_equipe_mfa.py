"""The second factor for staff: the admin and every staff page send a staff account without a
TOTP authenticator to activate one, then back; the admin's login page is allauth's."""

import time

import pytest
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.contrib.messages import get_messages
from django.urls import reverse

from accounts.rules import SUITE
from atlaas.models import FicheAction
from tests.factories import EditionFactory, FicheFactory
from tests.jury import activer_mfa, code_totp

pytestmark = pytest.mark.django_db

ACTIVATION = reverse("mfa_activate_totp")
ADMIN = reverse("admin:index")


# Staff pages: (URL name, takes the fiche's pk). The jury's pages have their own explanation.
STAFF_PAGES = [
    ("admin:index", False),
    ("admin:accounts_user_changelist", False),
    ("admin:label_edition_add", False),
    ("admin:atlaas_ficheaction_change", True),
    ("admin:atlaas_membership_changelist", False),
    ("admin:jury_evaluation_changelist", False),
    ("atlaas:moderation", False),
    ("atlaas:moderation_fiche", True),
]


@pytest.fixture
def fiche():
    return FicheFactory(state=FicheAction.State.SOUMISE)


def url(name, with_pk, fiche):
    return reverse(name, args=[fiche.pk] if with_pk else [])


@pytest.mark.parametrize("name, with_pk", STAFF_PAGES)
def test_staff_without_totp_are_sent_to_activate_it_from_each_staff_page(
    client, staff_sans_mfa, fiche, name, with_pk
):
    asked = url(name, with_pk, fiche) + "?page=1"
    client.force_login(staff_sans_mfa)
    response = client.get(asked)
    assert response.status_code == 302 and response.url == ACTIVATION
    assert client.session[SUITE] == asked
    [message] = get_messages(response.wsgi_request)
    assert "doit être protégé par la double authentification" in str(message)


@pytest.mark.parametrize("name, with_pk", STAFF_PAGES)
def test_staff_with_totp_open_each_staff_page(client, staff, fiche, name, with_pk):
    client.force_login(staff)
    assert client.get(url(name, with_pk, fiche)).status_code == 200


def test_staff_post_without_totp_changes_nothing_and_keeps_no_way_back(client, staff_sans_mfa, fiche):
    client.force_login(staff_sans_mfa)
    url = reverse("atlaas:moderation_fiche", args=[fiche.pk])
    assert client.post(url, {"action": "publier"}).url == ACTIVATION
    assert SUITE not in client.session
    fiche.refresh_from_db()
    assert fiche.state == FicheAction.State.SOUMISE


def test_staff_come_back_to_the_page_asked_for_after_activating_totp(client, staff_sans_mfa, password):
    asked = reverse("admin:accounts_user_changelist") + "?q=agen"
    client.force_login(staff_sans_mfa)
    response = client.get(asked, follow=True)  # the password is asked again before activating
    assert response.redirect_chain[-1][0].startswith(reverse("account_reauthenticate"))
    assert "doit être protégé par la double authentification" in response.content.decode()
    client.post(response.redirect_chain[-1][0], {"password": password})
    client.get(ACTIVATION)
    secret = client.session[SECRET_SESSION_KEY]
    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = client.post(ACTIVATION, {"code": code}, follow=True)

    assert response.redirect_chain[-1][0] == reverse("mfa_view_recovery_codes")
    page = response.content.decode()
    assert "Conservez les codes de récupération" in page
    assert f'href="{asked}">Revenir à la page demandée</a>' in page
    assert client.get(asked).status_code == 200
    assert SUITE not in client.session  # the way back is spent
    assert "Revenir à la page demandée" not in client.get(reverse("mfa_view_recovery_codes")).content.decode()


def test_staff_with_totp_log_in_with_its_code_then_open_the_admin(client, staff, password):
    response = client.post(
        reverse("account_login") + f"?next={ADMIN}", {"login": staff.email, "password": password}
    )
    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session  # not signed in before the code
    assert client.post(response.url, {"code": code_totp()}).url == ADMIN
    assert client.get(ADMIN).status_code == 200


def test_members_and_public_pages_are_unaffected(client, user, staff_sans_mfa):
    client.force_login(user)
    assert client.get(reverse("label:espace")).status_code == 200
    assert client.get(reverse("atlaas:moderation")).status_code == 404  # no page for them, as before
    assert client.get(ADMIN, follow=True).status_code == 403
    client.force_login(staff_sans_mfa)
    assert client.get("/").status_code == 200
    assert client.get(reverse("label:espace")).status_code == 200


def test_jury_pages_keep_the_jurys_own_explanation_for_staff_without_totp(client, staff_sans_mfa):
    EditionFactory(annee=2027)
    client.force_login(staff_sans_mfa)
    assert client.get(reverse("jury:pilotage", args=[2027])).url == reverse("jury:mfa_requise")
    activer_mfa(staff_sans_mfa)
    assert client.get(reverse("jury:pilotage", args=[2027])).status_code == 200


# --- /admin/login/ --------------------------------------------------------------------------------


def test_admin_login_sends_the_anonymous_to_allauths_login_and_never_signs_in(client, staff, password):
    response = client.get(reverse("admin:login") + "?next=/admin/accounts/user/")
    assert response.url == reverse("account_login") + "?next=/admin/accounts/user/"
    response = client.post(reverse("admin:login"), {"username": staff.email, "password": password})
    assert response.url == reverse("account_login") + "?next=/admin/"
    assert "_auth_user_id" not in client.session
    assert client.get(ADMIN).url.startswith(reverse("admin:login"))


def test_admin_login_sends_the_signed_in_on_and_never_switches_accounts(client, staff, user, password):
    client.force_login(user)
    assert client.get(reverse("admin:login")).status_code == 403
    response = client.post(reverse("admin:login"), {"username": staff.email, "password": password})
    assert response.status_code == 403
    assert client.session["_auth_user_id"] == str(user.pk)

    client.force_login(staff)
    assert client.get(reverse("admin:login") + "?next=/admin/accounts/user/").url == "/admin/accounts/user/"
    assert client.get(reverse("admin:login") + "?next=https://ailleurs.example/").url == ADMIN


def test_admin_login_of_staff_without_totp_leads_to_the_activation(client, staff_sans_mfa):
    client.force_login(staff_sans_mfa)
    response = client.get(reverse("admin:login"), follow=True)
    assert [url for url, _status in response.redirect_chain][:2] == [ADMIN, ACTIVATION]
