"""The demo: deterministic, idempotent, with one login per role."""

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command

from tests.factories import CommuneFactory, ServiceFactory
from villes_internet import demo

pytestmark = pytest.mark.django_db


def test_demo_prints_one_login_per_role_and_runs_twice_without_duplicates(capsys, settings):
    settings.DEBUG = True  # the demo only runs on a development or demonstration instance
    CommuneFactory()  # a referential is there already: the demo does not import it again
    ServiceFactory()
    call_command("demo", "--small")
    out = capsys.readouterr().out
    assert f"equipe@{demo.DEMO_DOMAIN}" in out
    assert f"membre001@{demo.DEMO_DOMAIN}" in out
    assert demo.DEMO_PASSWORD in out
    users = get_user_model().objects.count()

    call_command("demo", "--small")
    assert get_user_model().objects.count() == users
    call_command("demo", "--if-empty")
    assert "rien à faire" in capsys.readouterr().out


def test_demo_is_deterministic_for_a_seed():
    CommuneFactory()
    ServiceFactory()
    demo.build(seed=7, small=True)
    first = list(get_user_model().objects.order_by("email").values_list("email", "first_name", "last_name"))
    get_user_model().objects.all().delete()
    demo.build(seed=7, small=True)
    again = list(get_user_model().objects.order_by("email").values_list("email", "first_name", "last_name"))
    assert first == again


def test_demo_staff_can_log_in(client):
    CommuneFactory()
    ServiceFactory()
    demo.build(small=True)
    assert client.login(email=f"equipe@{demo.DEMO_DOMAIN}", password=demo.DEMO_PASSWORD)
    assert client.get("/admin/").status_code == 200


def test_demo_refuses_to_run_in_production(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DEBUG=false"):
        call_command("demo", "--small")
    assert not get_user_model().objects.exists()
