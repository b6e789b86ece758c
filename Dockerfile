# Image of the portal: the same image runs web (gunicorn), worker and beat (Celery)
# and the one-shot migrations; the command decides which part it is.
FROM python:3.11-slim-bookworm

ENV DEBUG=false \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_ROOT_USER_ACTION=ignore

# WeasyPrint needs Pango, HarfBuzz (font subsetting) and at least one font; the backups
# (manage.py sauvegarder / restaurer) need pg_dump and pg_restore: bookworm's client is
# PostgreSQL 15, the version of the compose database (pg_dump refuses a newer server).
RUN apt-get update \
    && apt-get install -y --no-install-recommends \
        libpango-1.0-0 \
        libpangoft2-1.0-0 \
        libharfbuzz-subset0 \
        fonts-dejavu-core \
        postgresql-client \
    && rm -rf /var/lib/apt/lists/*

# A writable home lets fontconfig keep its cache (WeasyPrint).
RUN groupadd --system --gid 1000 app \
    && useradd --system --uid 1000 --gid app --create-home --home-dir /home/app \
        --shell /usr/sbin/nologin app

WORKDIR /app

COPY requirements/base.txt requirements/base.txt
RUN pip install --no-cache-dir -r requirements/base.txt

# The code stays owned by root: the app user can only write media and var.
COPY . .

# Static files are collected into the image (whitenoise serves them with hashed names).
# The values below only let the settings load for this step; they are not kept in the image.
RUN DEBUG=false \
    SECRET_KEY=build-only-key-for-collectstatic-never-used-at-runtime-0123456789 \
    ALLOWED_HOSTS=localhost \
    SITE_URL=https://localhost \
    DATABASE_URL=postgres://build@localhost/build \
    REDIS_URL=redis://localhost:6379/0 \
    EMAIL_HOST=localhost \
    EDITEUR=build \
    HEBERGEUR=build \
    python manage.py collectstatic --noinput \
    && mkdir -p /app/media /app/var /app/var/moteur \
    && chown app:app /app/media /app/var /app/var/moteur

USER app

EXPOSE 8000

# gthread workers: each process answers WEB_THREADS requests at once and keeps connections
# alive; 1.3 to 3 times the throughput of sync workers on the public pages (bench/charge.py).
CMD ["sh", "-c", "exec gunicorn villes_internet.wsgi:application --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-3} --worker-class gthread --threads ${WEB_THREADS:-4} --access-logfile -"]
