"""Settings of the portal: one module, driven by environment variables.

Without any variable the portal runs in *embedded mode*: SQLite, Celery tasks run
eagerly in the web process, e-mails printed on the console, media on the local disk.
``DATABASE_URL`` switches to PostgreSQL and ``REDIS_URL`` to Redis (Celery broker,
cache and sessions). With ``DEBUG=false`` every production value must be given, and a
missing or bad one stops start-up with a message that names it. Django's debug pages (a 404
that lists every URL, a 500 with the traceback) only with ``DEBUG=true``: without it, the
demonstration shows the portal's own error pages, as production does.
"""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.core.exceptions import ImproperlyConfigured, ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent


def env(name, default=None, *, required=False):
    value = os.environ.get(name, "").strip()
    if value:
        return value
    if required:
        raise ImproperlyConfigured(f"La variable d'environnement {name} est obligatoire.")
    return default


def env_bool(name, default):
    value = env(name)
    if value is None:
        return default
    if value.lower() in {"1", "true", "yes", "on", "oui"}:
        return True
    if value.lower() in {"0", "false", "no", "off", "non"}:
        return False
    raise ImproperlyConfigured(f"{name}={value!r} : valeur booléenne attendue (true ou false).")


def env_int(name, default):
    value = env(name)
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ImproperlyConfigured(f"{name}={value!r} : nombre entier attendu.") from None


def env_list(name, default=()):
    value = env(name)
    if value is None:
        return list(default)
    return [item.strip() for item in value.split(",") if item.strip()]


# DEBUG=false is production: every value below without a default must be given. Unset (or
# true), defaults make a development or demonstration instance run without any variable.
PRODUCTION = not env_bool("DEBUG", True)
# Django's debug pages only when asked for: the demonstration (`make run`, no variable) shows the
# portal's own 404 and 500 pages, never the list of every URL or a traceback.
DEBUG = env_bool("DEBUG", False)

if not PRODUCTION:
    SECRET_KEY = env("SECRET_KEY", "insecure-key-for-local-development-only")
else:
    SECRET_KEY = env("SECRET_KEY", required=True)
    if len(SECRET_KEY) < 50 or len(set(SECRET_KEY)) < 5 or SECRET_KEY.startswith("django-insecure"):
        raise ImproperlyConfigured(
            "SECRET_KEY est trop faible : au moins 50 caractères aléatoires sont requis."
        )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", [] if PRODUCTION else ["127.0.0.1", "localhost", "[::1]"])
if not ALLOWED_HOSTS:
    raise ImproperlyConfigured("ALLOWED_HOSTS est obligatoire quand DEBUG=false.")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

# The release running (e.g. the image's commit): named in the keys of the pages kept in the cache,
# so a deploy serves none built by the previous one; empty, a digest of the code is used
# (villes_internet/livraison.py).
RELEASE = env("RELEASE", "")
SITE_URL = env("SITE_URL", None if PRODUCTION else "http://127.0.0.1:8000", required=PRODUCTION).rstrip("/")
if not SITE_URL.startswith(("http://", "https://")):
    raise ImproperlyConfigured(f"SITE_URL={SITE_URL!r} : une adresse http(s):// est attendue.")

INSTALLED_APPS = [
    "accounts.apps.AdminConfig",  # django.contrib.admin, its login through allauth, MFA for staff
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django.forms",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "csp",
    "django_htmx",
    "villes_internet",
    "outbox",
    "accounts",
    "atlaas",
    "label",
    "jury",
    "observatoire",
    "rgpd",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",  # static files, already compressed: answered above gzip
    # The public pages kept for anonymous visitors, served again whole (compressed already).
    "villes_internet.pages.PagesGardees",
    # Pages compressed here, before any middleware that reads or writes the body (Django's docs).
    # BREACH: the CSRF token is masked anew in every response and Django adds 0 to 99 random
    # bytes to each gzip stream (docs/deployment.md, « Compression »).
    "django.middleware.gzip.GZipMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "atlaas.middleware.ErreursApi",  # JSON errors under /api/, whatever refused the request
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
]

ROOT_URLCONF = "villes_internet.urls"
WSGI_APPLICATION = "villes_internet.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "jury.context_processors.jury",
            ],
            # Its ``date`` writes « 1er janvier » (atlaas/templatetags/typographie.py).
            "builtins": ["atlaas.templatetags.typographie"],
        },
    },
]
FORM_RENDERER = "django.forms.renderers.TemplatesSetting"

# --- Data -----------------------------------------------------------------------------
# Production runs on PostgreSQL and Redis: both are required there.
DATABASE_URL = env("DATABASE_URL", required=PRODUCTION)
if DATABASE_URL:
    try:
        DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL est invalide : {exc}") from None
    if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured("DATABASE_URL doit désigner une base PostgreSQL (postgres://…).")
    DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": env("SQLITE_PATH", str(BASE_DIR / "db.sqlite3")),
            "OPTIONS": {"transaction_mode": "IMMEDIATE", "init_command": "PRAGMA journal_mode=WAL;"},
        }
    }
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# A streaming replica of the PostgreSQL primary (a hot standby), optional. The Atlaas' searches
# that are not in the cache read it when it has replayed the last publication, the primary
# otherwise or when it does not answer (atlaas/catalogue/lecture.py); everything else reads and
# writes the primary. ``ATLAAS_REPLIQUE`` is the alias the catalogue reads (None: the primary).
# In tests the replica is the primary's test database (Django's TEST MIRROR).
DATABASE_REPLICA_URL = env("DATABASE_REPLICA_URL")
ATLAAS_REPLIQUE = None
if DATABASE_REPLICA_URL:
    if not DATABASE_URL:
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL demande DATABASE_URL : une réplique suit une base PostgreSQL "
            "principale, et le mode embarqué (SQLite) n'en a pas."
        )
    try:
        DATABASES["replica"] = dj_database_url.parse(DATABASE_REPLICA_URL, conn_max_age=60)
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_REPLICA_URL est invalide : {exc}") from None
    if DATABASES["replica"]["ENGINE"] != "django.db.backends.postgresql":
        raise ImproperlyConfigured(
            "DATABASE_REPLICA_URL doit désigner une base PostgreSQL (postgres://…), réplique de DATABASE_URL."
        )
    DATABASES["replica"]["CONN_HEALTH_CHECKS"] = True
    # A replica out of reach is given up in two seconds (the search then reads the primary), unless
    # the address says otherwise (?connect_timeout=…).
    DATABASES["replica"].setdefault("OPTIONS", {}).setdefault("connect_timeout", 2)
    DATABASES["replica"]["TEST"] = {"MIRROR": "default"}
    ATLAAS_REPLIQUE = "replica"

# The Atlaas' own search engine (atlaas/catalogue/moteur/), optional: the folder of its index,
# shared by the web processes (which read it) and the Celery workers (which write it). With it a
# search reads neither PostgreSQL's words nor its facets, whatever the size of the Atlaas, and
# counts every match; without it PostgreSQL answers (docs/deployment.md, « Quand l'Atlaas grandit »).
ATLAAS_MOTEUR = env("ATLAAS_MOTEUR", "")
if ATLAAS_MOTEUR and not DATABASE_URL:
    raise ImproperlyConfigured(
        "ATLAAS_MOTEUR demande DATABASE_URL : le moteur suit la copie des fiches que tient PostgreSQL, "
        "et le mode embarqué (SQLite) n'en a pas."
    )

REDIS_URL = env("REDIS_URL", required=PRODUCTION)
# The cache lives in a Redis database of its own (by default the broker's number + 1), so that
# clearing it never drops queued tasks; sessions are stored in the database behind the cache.
REDIS_CACHE_URL = env("REDIS_CACHE_URL")
for _name, _url in [("REDIS_URL", REDIS_URL), ("REDIS_CACHE_URL", REDIS_CACHE_URL)]:
    if _url and not _url.startswith(("redis://", "rediss://")):
        raise ImproperlyConfigured(f"{_name}={_url!r} : une adresse redis:// est attendue.")
# Redis not answering is a cache miss, logged once a minute (villes_internet/cache.py): pages are
# built from the database, sessions read from it; a cache call waits half a second at most.
REDIS_CACHE_OPTIONS = {
    "IGNORE_EXCEPTIONS": True,
    "SOCKET_CONNECT_TIMEOUT": 0.5,
    "SOCKET_TIMEOUT": 0.5,
    # Counters and claims, kept in the process' memory while Redis does not answer (a miss would
    # lift a limit or lock everyone out): allauth's rate limits and their locks, the Atlaas'
    # contact reveals and filtered exports, the catalogue's warm-up claim, the count of failed
    # logins per address.
    "LOCAL_FALLBACK_PREFIXES": [
        "allauth:rl:",
        "atlaas:contacts:",
        "atlaas:exports:",
        "atlaas:preparer",
        "accounts:echecs:",
    ],
}
DJANGO_REDIS_LOG_IGNORED_EXCEPTIONS = True
DJANGO_REDIS_LOGGER = "villes_internet.cache"
if REDIS_URL:
    if not REDIS_CACHE_URL:
        _base, _slash, _db = REDIS_URL.rpartition("/")
        REDIS_CACHE_URL = f"{_base}/{int(_db) + 1}" if _base.count("/") == 2 and _db.isdigit() else REDIS_URL
    CACHES = {
        "default": {
            "BACKEND": "villes_internet.cache.RedisCache",
            "LOCATION": REDIS_CACHE_URL,
            "KEY_PREFIX": env("CACHE_KEY_PREFIX", "vi"),
            "OPTIONS": REDIS_CACHE_OPTIONS,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Sessions are rows in the database, read through the cache (Redis in full mode); without Redis,
# from the database.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

# --- Celery ---------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL
CELERY_TASK_ALWAYS_EAGER = env_bool("CELERY_TASK_ALWAYS_EAGER", not REDIS_URL)
if not CELERY_TASK_ALWAYS_EAGER and not REDIS_URL:
    raise ImproperlyConfigured("REDIS_URL est obligatoire quand CELERY_TASK_ALWAYS_EAGER=false.")
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_IGNORE_RESULT = True
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# Broker down, ``.delay()`` raises within two seconds (two tries of a second; at once when the
# connection is refused) instead of hanging: the outbox's hand-over after commit gives up and
# the beat hands the row again (bench/redis_panne.py measures it).
# A message a worker took and did not acknowledge (it acknowledges when the task ends) goes back
# to the queue after ``visibility_timeout``: that of a worker killed outright (SIGKILL, machine
# lost; a pool process killed gives its task back at once). Above the longest task plus the
# longest countdown (retries: 16 s at most; a lot of documents: the palmarès PDF of 1,000
# laureates, 9 s), else a task still running would be run twice. Neither documents nor outbox
# rows wait for it: the beat hands them again (label/documents.py, outbox/envois.py).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 1,
    "visibility_timeout": 10 * 60,
}
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_TIMEZONE = "Europe/Paris"
CELERY_BEAT_SCHEDULE = {
    # What is owed and not done (broker away at commit, worker killed, SMTP failing) is handed
    # again to the workers.
    "envois-en-attente": {
        "task": "outbox.tasks.relancer",
        "schedule": 60,
        "options": {"expires": 50},
    },
    # Members of draft candidatures are reminded 30, 7 and 1 day before closing, once each.
    "rappels-avant-cloture": {
        "task": "label.tasks.send_closing_reminders",
        "schedule": crontab(minute=5),
        "options": {"expires": 50 * 60},
    },
    # Jurors with unfinished evaluations are reminded 7 and 2 days before the jury meeting, once each.
    "rappels-jury": {
        "task": "jury.tasks.rappeler_jures",
        "schedule": crontab(minute=15),
        "options": {"expires": 50 * 60},
    },
    # The palmarès is published at the planned moment (the ceremony); files left waiting by a
    # stopped worker or a broker outage are queued again.
    "publication-palmares": {
        "task": "label.tasks.publier_editions",
        "schedule": crontab(minute="*/5"),
        "options": {"expires": 4 * 60},
    },
    # Documents a killed worker left « en cours » or « en attente » are queued again within a
    # minute of their lease (label/documents.py: BAIL, RENVOI_APRES).
    "documents-en-attente": {
        "task": "label.tasks.generer_documents",
        "schedule": crontab(),  # every minute
        "options": {"expires": 50},
    },
    # Temporary files a killed process left in the media folder are removed (atlaas/storage.py).
    "fichiers-partiels": {
        "task": "atlaas.tasks.balayer_fichiers_partiels",
        "schedule": crontab(minute=35),
        "options": {"expires": 50 * 60},
    },
    # Personal data kept no longer than /donnees-personnelles/ says: inactive accounts warned,
    # then deleted; expired archives, sessions, invitations and failed e-mails purged.
    "conservation-donnees": {
        "task": "rgpd.tasks.conserver",
        "schedule": crontab(minute=45, hour=3),
        "options": {"expires": 12 * 3600},
    },
    # The Atlaas' full CSV export, written again when the catalogue changed (one query otherwise):
    # the changes a run after a publication did not see, the first file of a new database.
    "export-atlaas": {
        "task": "atlaas.tasks.exporter_catalogue",
        "schedule": crontab(),  # every minute
        "options": {"expires": 50},
    },
    # The Atlaas' search engine, when there is one, reads the fiches changed that a run after
    # their change did not (atlaas/catalogue/moteur/); one query otherwise.
    "moteur-atlaas": {
        "task": "atlaas.tasks.suivre_moteur",
        "schedule": crontab(),  # every minute
        "options": {"expires": 50},
    },
    # The Atlaas' spelling suggestions: their words are rebuilt before the cached ones expire.
    "vocabulaire-atlaas": {
        "task": "atlaas.tasks.construire_vocabulaire",
        "schedule": crontab(minute=35, hour="*/3"),
        "options": {"expires": 2 * 3600},
    },
}

# --- Accounts -------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ACCOUNT_FORMS = {
    "login": "accounts.forms.PortalLoginForm",
    "signup": "accounts.forms.PortalSignupForm",
    "reset_password": "accounts.forms.PortalResetPasswordForm",
}
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGOUT_REDIRECT_URL = "home"
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Villes Internet] "
ACCOUNT_PREVENT_ENUMERATION = True
# allauth's limits, stored in the cache (in each process' memory while Redis does not answer).
# Failed logins (accounts/connexion.py): 10 a minute per IP, 5 in 5 minutes per address *and* IP
# (the key of "login_failed" is the pair), 100 an hour per address from all IPs; beyond, the
# password is refused and a code by e-mail lets the owner in.
ACCOUNT_RATE_LIMITS = {
    "login_failed": env("RATE_LIMIT_LOGIN_FAILED", "10/m/ip,5/5m/key"),
    "login_failed_address": env("RATE_LIMIT_LOGIN_FAILED_ADDRESS", "100/h/key"),
}
ACCOUNT_LOGIN_BY_CODE_ENABLED = True
ACCOUNT_LOGIN_BY_CODE_TIMEOUT = 10 * 60  # the e-mail goes through the outbox: leave it time to arrive
# Behind a reverse proxy, rate limits per IP need the client's address from X-Forwarded-For.
ALLAUTH_TRUSTED_PROXY_COUNT = env_int("TRUSTED_PROXY_COUNT", 0)
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Villes Internet"

# --- E-mail ---------------------------------------------------------------------------
EMAIL_BACKEND = env(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_FILE_PATH = env("EMAIL_FILE_PATH", str(BASE_DIR / "var" / "mails"))
EMAIL_HOST = env(
    "EMAIL_HOST", "localhost", required=EMAIL_BACKEND.endswith("smtp.EmailBackend") and PRODUCTION
)
EMAIL_PORT = env_int("EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = env("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_TIMEOUT = env_int("EMAIL_TIMEOUT", 10)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", "Villes Internet <label@villes-internet.net>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL
ADMINS = [("Équipe technique", a) for a in env_list("ADMINS")]
# The association's team: told of join requests that no référent can approve yet.
STAFF_EMAILS = env_list("STAFF_EMAILS")

# --- Internationalisation -------------------------------------------------------------
LANGUAGE_CODE = "fr"
LANGUAGES = [("fr", _("Français")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Paris"
USE_I18N = True
USE_TZ = True

# --- Static and media files -----------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = Path(env("STATIC_ROOT", str(BASE_DIR / "staticfiles")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(env("MEDIA_ROOT", str(BASE_DIR / "media")))
# Where `manage.py sauvegarder` writes the backups of the database and the media (docs/deployment.md).
SAUVEGARDES_DIR = Path(env("SAUVEGARDES_DIR", str(BASE_DIR / "sauvegardes")))
UPLOAD_MAX_FILE_BYTES = env_int("UPLOAD_MAX_FILE_BYTES", 10 * 1024 * 1024)
UPLOAD_MAX_DOSSIER_BYTES = env_int("UPLOAD_MAX_DOSSIER_BYTES", 50 * 1024 * 1024)
# Uploaded images are decoded and re-encoded (atlaas/uploads.py): refused above this many pixels,
# read from their header before any pixel is decoded. PDFs are refused above this many pages.
UPLOAD_MAX_IMAGE_PIXELS = env_int("UPLOAD_MAX_IMAGE_PIXELS", 40_000_000)
UPLOAD_MAX_PDF_PAGES = env_int("UPLOAD_MAX_PDF_PAGES", 200)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
STORAGES = {
    # Files appear whole or not at all (atlaas/storage.py).
    "default": {"BACKEND": "atlaas.storage.AtomicFileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "whitenoise.storage.CompressedManifestStaticFilesStorage"
            if PRODUCTION
            else "django.contrib.staticfiles.storage.StaticFilesStorage"
        )
    },
}
# Outside production, WhiteNoise serves the static files from the apps' folders as they change
# (its defaults follow DEBUG, off in the demonstration): no collectstatic to run.
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = not PRODUCTION

# --- The label ------------------------------------------------------------------------
# A commune of fewer inhabitants is a village (DOMAIN.md §1). Each edition of the label keeps
# its own threshold (Edition.seuil_village, this value by default); the Atlaas's type filter
# and its API, which know no edition, use this one and say so.
SEUIL_VILLAGE = env_int("SEUIL_VILLAGE", 3000)
if SEUIL_VILLAGE < 1:
    raise ImproperlyConfigured(f"SEUIL_VILLAGE={SEUIL_VILLAGE} : un nombre d'habitants positif est attendu.")

# --- Legal notices and personal data ----------------------------------------------------
# Shown on /mentions-legales/ and /donnees-personnelles/. The law (LCEN, art. 6) wants the
# publisher and the host named there: in production both are required, as one line each
# (name, address, telephone; for the publisher, also the director of publication).
EDITEUR = env(
    "EDITEUR",
    "Association Villes Internet (adresse et directeur de la publication à renseigner : EDITEUR)"
    if not PRODUCTION
    else None,
    required=PRODUCTION,
)
HEBERGEUR = env(
    "HEBERGEUR",
    "Hébergement local de démonstration (nom, adresse et téléphone à renseigner : HEBERGEUR)"
    if not PRODUCTION
    else None,
    required=PRODUCTION,
)
# Where a person writes to exercise their rights (access, rectification, erasure…).
CONTACT_DONNEES = env("CONTACT_DONNEES", "label@villes-internet.net")
try:
    validate_email(CONTACT_DONNEES)
except ValidationError:
    raise ImproperlyConfigured(
        f"CONTACT_DONNEES={CONTACT_DONNEES!r} : une adresse e-mail est attendue."
    ) from None

# --- Security -------------------------------------------------------------------------
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    }
}
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
SESSION_COOKIE_HTTPONLY = True
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 31536000)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", True)
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
# Where to report a vulnerability (/.well-known/security.txt, RFC 9116): an e-mail address or an
# https:// page.
SECURITY_CONTACT = env("SECURITY_CONTACT", "label@villes-internet.net")
if "@" in SECURITY_CONTACT and not SECURITY_CONTACT.startswith(("mailto:", "https://")):
    SECURITY_CONTACT = f"mailto:{SECURITY_CONTACT}"
if not SECURITY_CONTACT.startswith(("mailto:", "https://")):
    raise ImproperlyConfigured(
        f"SECURITY_CONTACT={SECURITY_CONTACT!r} : une adresse e-mail ou une page https:// est attendue."
    )

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"once_a_minute": {"()": "villes_internet.cache.OncePerPeriod", "seconds": 60}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", "INFO")},
    "loggers": {
        # Redis not answering: logged once a minute per process, not at each cache call.
        "villes_internet.cache": {"filters": ["once_a_minute"]},
        "django.db.backends": {"level": "INFO"},
        # WeasyPrint logs each step of every render at INFO: seven lines per certificate.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
