"""Failed logins: an attacker is slowed, the owner is never locked out, and is told.

allauth counted failures per address alone (``5/5m/key``): anyone typing five wrong passwords
for a juror's address kept that juror out, right password included. What is done instead
(settings.ACCOUNT_RATE_LIMITS, hooks in accounts/adapter.py):

- **Per address and IP.** The key of allauth's ``login_failed`` limit is the pair (address,
  client IP), so five failures in five minutes close the password for that address *from that
  IP* only; the owner, elsewhere, logs in as usual. Each IP also has ten failures a minute for
  all addresses together. Once refused, an attempt is answered without checking the password.
- **Per address from all IPs** (``login_failed_address``, 100 an hour): bounds what many IPs
  together can try on one address. Past it the password is refused from everywhere, which is
  why the third part exists.
- **A code by e-mail** (allauth's login by code): whenever the password is refused for too many
  failures, the login page offers « Recevoir un code par e-mail », so the owner, who reads their
  mailbox, always has a way in. The second factor (TOTP) is still asked after the code.
- **A notice to the owner** at the ``AVIS_APRES``-th failure for their address within the hour
  (whichever IPs), once per hour: ``signaler_echec``.

Why both and not one: pairs alone leave a botnet unbounded on one address and still lock out an
owner who shares the attacker's IP (same office, same carrier NAT); the code alone would make
the owner fetch an e-mail at every attack and keep a per-address lock as a lever. No artificial
delay is added: a sleeping request would hold a gunicorn worker, a cheaper lever than a lockout.
"""

import hashlib
import time

from allauth.account.utils import filter_users_by_email
from django.conf import settings
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation

from outbox import envois
from villes_internet.cache import compter

AVIS_APRES = 5  # failures for one address within the period before its owner is told
PERIODE = 3600  # seconds: one count, and at most one notice, per address and period


def signaler_echec(email, now=None):
    """Count a wrong password typed for ``email`` in the current period; at the ``AVIS_APRES``-th,
    owe its owner (if the address is an account's) a notice, once per period. Returns the count.

    The count lives in the cache (in this process' memory while Redis does not answer, see
    LOCAL_FALLBACK_PREFIXES); the outbox key keeps to one notice even when several processes
    count apart."""
    email = email.strip().lower()
    periode = int((now or time.time()) // PERIODE)
    key = f"accounts:echecs:{hashlib.sha256(email.encode()).hexdigest()}:{periode}"
    echecs = compter(key, PERIODE)
    if echecs == AVIS_APRES:
        users = filter_users_by_email(email, is_active=True, prefer_verified=True)
        if users:
            _avertir(users[0], email, echecs, periode)
    return echecs


def _avertir(user, email, echecs, periode):
    context = {
        "email": email,
        "echecs": echecs,
        "site_url": settings.SITE_URL,
        "login_url": settings.SITE_URL + reverse("account_login"),
        "password_url": settings.SITE_URL + reverse("account_change_password"),
    }
    with translation.override(settings.LANGUAGE_CODE):
        subject = " ".join(render_to_string("accounts/emails/echecs_connexion_subject.txt", context).split())
        body = render_to_string("accounts/emails/echecs_connexion.txt", context)
    envois.courriel(
        email,
        settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + subject,
        body,
        key=f"connexion:echecs:{user.pk}:{periode}",
    )
