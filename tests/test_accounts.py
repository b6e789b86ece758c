"""Accounts: sign-up with e-mail verification, login by e-mail, reset, rate limit, MFA."""

import re
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import SECRET_SESSION_KEY, format_hotp_value, hotp_value
from django.urls import reverse

pytestmark = pytest.mark.django_db


def link_in(message):
    return re.search(r"https?://\S+", message.body).group(0)


def test_signup_sends_verification_email_and_login_waits_for_it(
    client, django_capture_on_commit_callbacks, mailoutbox, django_user_model
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {
                "email": "Referent@Mairie-Agen.fr",
                "password1": "Arobase-2026-x!",
                "password2": "Arobase-2026-x!",
            },
        )
    assert response.status_code == 302
    assert response.url == reverse("account_email_verification_sent")
    user = django_user_model.objects.get()
    assert user.email == "referent@mairie-agen.fr"
    assert len(mailoutbox) == 1
    assert mailoutbox[0].to == ["referent@mairie-agen.fr"]
    assert mailoutbox[0].subject == "[Villes Internet] Confirmez votre adresse e-mail"
    assert "testserver" in mailoutbox[0].body  # the site is named in the message

    client.logout()
    response = client.post(reverse("account_login"), {"login": user.email, "password": "Arobase-2026-x!"})
    assert response.url == reverse("account_email_verification_sent")  # not in before verification

    confirm_url = link_in(mailoutbox[0])
    assert client.get(confirm_url).status_code == 200  # a GET only shows a button
    response = client.post(confirm_url)
    assert response.status_code == 302
    assert EmailAddress.objects.get(user=user).verified
    assert client.get(reverse("account_email")).status_code == 200  # logged in on confirmation


def test_signup_bad_input_french_messages_next_to_fields_keep_typed_email(client):
    response = client.post(
        reverse("account_signup"),
        {"email": "agent@mairie-agen.fr", "password1": "Arobase-2026-x!", "password2": "autre-chose-2026"},
    )
    assert response.status_code == 200
    page = response.content.decode()
    assert "Vous devez saisir deux fois le même mot de passe." in page
    assert 'value="agent@mairie-agen.fr"' in page
    assert 'aria-invalid="true"' in page

    response = client.post(reverse("account_signup"), {"email": "pas-une-adresse", "password1": "1234"})
    page = response.content.decode()
    assert "Saisissez une adresse de courriel valide." in page
    assert 'value="pas-une-adresse"' in page
    assert "Ce champ est obligatoire." in page  # password2


def test_signup_existing_email_reveals_nothing_but_warns_the_owner(
    client, user, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("account_signup"),
            {"email": user.email, "password1": "Arobase-2026-x!", "password2": "Arobase-2026-x!"},
        )
    assert response.url == reverse("account_email_verification_sent")
    assert [m.to for m in mailoutbox] == [[user.email]]


def test_login_by_email_and_wrong_password_message(client, user, password):
    response = client.post(reverse("account_login"), {"login": user.email, "password": "mauvais"})
    assert response.status_code == 200
    page = response.content.decode()
    assert "L’adresse e-mail ou le mot de passe sont incorrects." in page
    assert f'value="{user.email}"' in page

    response = client.post(reverse("account_login"), {"login": user.email.upper(), "password": password})
    assert response.status_code == 302
    assert response.url == reverse("home")


def test_login_failures_are_rate_limited(client, user, password):
    for _ in range(5):
        client.post(reverse("account_login"), {"login": user.email, "password": "mauvais"})
    response = client.post(reverse("account_login"), {"login": user.email, "password": password})
    assert "Trop de tentatives de connexion échouées" in response.content.decode()


def test_password_reset_sends_a_link_that_sets_a_new_password(
    client, user, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": user.email})
    assert len(mailoutbox) == 1
    response = client.get(link_in(mailoutbox[0]), follow=True)
    form_url = response.redirect_chain[-1][0]
    response = client.post(form_url, {"password1": "Nouveau-2026-mdp!", "password2": "Nouveau-2026-mdp!"})
    assert response.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Nouveau-2026-mdp!")


def test_mfa_totp_can_be_activated_by_any_user_with_recovery_codes(client, user, password):
    client.force_login(user)
    response = client.get(reverse("mfa_activate_totp"))
    assert response.url.startswith(reverse("account_reauthenticate"))  # password asked again first
    client.post(response.url, {"password": password})
    response = client.get(reverse("mfa_activate_totp"))
    assert response.status_code == 200
    secret = client.session[SECRET_SESSION_KEY]
    assert secret in response.content.decode()

    response = client.post(reverse("mfa_activate_totp"), {"code": "000000"})
    assert "Code incorrect." in response.content.decode()

    code = format_hotp_value(hotp_value(secret, int(time.time()) // 30))
    response = client.post(reverse("mfa_activate_totp"), {"code": code})
    assert response.status_code == 302
    types = set(Authenticator.objects.filter(user=user).values_list("type", flat=True))
    assert types == {Authenticator.Type.TOTP, Authenticator.Type.RECOVERY_CODES}
    assert client.get(reverse("mfa_view_recovery_codes")).status_code in (200, 302)


def test_admin_creates_users_with_lowercase_email(client, staff, django_user_model):
    client.force_login(staff)
    response = client.post(
        reverse("admin:accounts_user_add"),
        {
            "email": "Nouveau.Jure@Univ-Exemple.FR",
            "password1": "Jury-2026-secret!",
            "password2": "Jury-2026-secret!",
        },
    )
    assert response.status_code == 302
    assert django_user_model.objects.filter(email="nouveau.jure@univ-exemple.fr").exists()


def test_password_change_bad_input_french_messages(client, user, password):
    client.force_login(user)
    response = client.post(
        reverse("account_change_password"),
        {"oldpassword": "pas-le-bon", "password1": "Nouveau-2026-mdp!", "password2": "Nouveau-2026-mdp!"},
    )
    page = response.content.decode()
    assert "Merci d&#x27;indiquer votre mot de passe actuel." in page
    assert 'aria-invalid="true"' in page


def test_password_reset_unknown_email_reveals_nothing(client, django_capture_on_commit_callbacks, mailoutbox):
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(reverse("account_reset_password"), {"email": "inconnu@mairie.fr"})
    assert response.url == reverse("account_reset_password_done")
    assert [m.to for m in mailoutbox] == [["inconnu@mairie.fr"]]  # tells them no account exists


def test_password_reset_link_with_mismatched_passwords_keeps_the_form(
    client, user, django_capture_on_commit_callbacks, mailoutbox
):
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("account_reset_password"), {"email": user.email})
    response = client.get(link_in(mailoutbox[0]), follow=True)
    response = client.post(
        response.redirect_chain[-1][0], {"password1": "Nouveau-2026-mdp!", "password2": "Autre-2026-mdp!"}
    )
    assert response.status_code == 200
    assert "Vous devez saisir deux fois le même mot de passe." in response.content.decode()
