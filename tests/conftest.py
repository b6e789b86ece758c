import os
import shutil

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from playwright.sync_api import expect

from atlaas.catalogue import lecture
from outbox import envois
from villes_internet.celery import app as celery_app

# Playwright drives the browser from a thread of its own; Django's live server tests need this.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

# On PostgreSQL, a second alias as a streaming replica would be (DATABASE_REPLICA_URL): here the
# test database itself, through a second connection (Django's TEST MIRROR). The catalogue reads
# it only in the tests that ask for it (settings.ATLAAS_REPLIQUE, tests/test_catalogue_replique.py),
# which declare both databases.
_default = django_settings.DATABASES["default"]
if _default["ENGINE"] == "django.db.backends.postgresql" and "replica" not in django_settings.DATABASES:
    django_settings.DATABASES["replica"] = {**_default, "TEST": {"MIRROR": "default"}}

CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"


@pytest.fixture(autouse=True)
def _isolated(request, settings, tmp_path):
    """Each test starts with an empty cache (rate limits) and runs Celery tasks eagerly,
    except the tests marked ``worker`` that go through a real worker process."""
    cache.clear()
    envois._broker_absent_until = 0.0  # a broker refused by a previous test is not this one's
    lecture._absente_jusqu_a = 0.0  # nor a replica that did not answer
    settings.ATLAAS_REPLIQUE = None  # searches read the primary unless a test says otherwise
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # fast, tests only
    eager = "worker" not in request.keywords
    previous = celery_app.conf.task_always_eager
    celery_app.conf.task_always_eager = eager
    yield
    celery_app.conf.task_always_eager = previous


@pytest.fixture(scope="session")
def browser_type_launch_args(browser_type_launch_args):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("CI"):
            pytest.fail("Chromium est absent en CI : les tests du navigateur doivent tourner.")
        pytest.skip("Chromium est absent : `make test` l'installe (apt-get install chromium) en root.")
    return {
        **browser_type_launch_args,
        "executable_path": CHROMIUM,
        "args": [
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--disable-quic",
            "--no-first-run",
            "--disable-background-networking",
            "--disable-component-update",
            "--disable-sync",
        ],
    }


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args):
    return {**browser_context_args, "locale": "fr-FR"}


@pytest.fixture
def page(page):
    """Fail in seconds, not in half a minute, when something is not on the page; and fail
    if the browser blocked anything under the Content Security Policy (inline code)."""
    page.set_default_timeout(8_000)
    expect.set_options(timeout=8_000)
    blocked = []

    def on_console(message):
        # Code evaluated by the test itself (axe-core) has no URL: only the portal's own count.
        if "Content Security Policy" in message.text and message.location.get("url"):
            blocked.append(f"{page.url} : {message.text}")

    page.on("console", on_console)
    yield page
    assert not blocked, "Bloqué par la CSP :\n" + "\n".join(blocked)


@pytest.fixture
def password():
    return "Arobase-2026-secret!"


@pytest.fixture
def user(django_user_model, password):
    """A member whose e-mail address is verified, so that allauth lets them in."""
    from allauth.account.models import EmailAddress

    user = django_user_model.objects.create_user("agent@mairie-agen.fr", password, first_name="Camille")
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def staff_sans_mfa(django_user_model, password):
    """A superuser who has not activated the second factor: sent to activate it first."""
    from allauth.account.models import EmailAddress

    user = django_user_model.objects.create_superuser("equipe@villes-internet.net", password)
    EmailAddress.objects.create(user=user, email=user.email, verified=True, primary=True)
    return user


@pytest.fixture
def staff(staff_sans_mfa):
    """A superuser with a TOTP authenticator (tests.jury.SECRET), as the admin requires."""
    from tests.jury import activer_mfa

    return activer_mfa(staff_sans_mfa)


@pytest.fixture
def admin_user(admin_user):
    """pytest-django's ``admin_client`` signs this superuser in: with a TOTP authenticator."""
    from tests.jury import activer_mfa

    return activer_mfa(admin_user)


@pytest.fixture
def taxonomie():
    """Two services in two enjeux of two catégories, with the slugs the Atlaas' links use."""
    from tests.factories import CategorieFactory, EnjeuFactory, ServiceFactory

    democratie = CategorieFactory(nom="Démocratie et services publics", slug="democratie", ordre=1)
    vivre = CategorieFactory(nom="Vivre ensemble", slug="vivre-ensemble", ordre=2)
    services_publics = EnjeuFactory(categorie=democratie, nom="Services publics", slug="services-publics")
    mediation = EnjeuFactory(categorie=vivre, nom="Médiation", slug="mediation")
    return {
        "demarches": ServiceFactory(
            enjeu=services_publics, nom="Dématérialisation des démarches", slug="demarches"
        ),
        "inclusion": ServiceFactory(enjeu=mediation, nom="Inclusion numérique", slug="inclusion"),
    }
