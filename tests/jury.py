"""Helpers of the jury and staff tests: a TOTP authenticator, the current code, a signed-in juror."""

import time

from allauth.mfa import app_settings
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value, yield_hotp_counters_from_time

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def activer_mfa(user, secret=SECRET):
    """Give the user a TOTP authenticator, as after activating it on /accounts/2fa/ (kept if
    they have one: the ``staff`` fixture comes with it)."""
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, secret)
    return user


# Seconds a browser test may take to type and send a code: one generated closer than this to
# the end of its window is refused once the server reads it (no tolerance: TOTP_TOLERANCE 0).
MARGE = 5


def code_totp(secret=SECRET):
    """The current code, never one about to expire: near the end of its window, that of the next."""
    reste = app_settings.TOTP_PERIOD - time.time() % app_settings.TOTP_PERIOD
    if reste < MARGE:
        time.sleep(reste)
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def connecter(client, user):
    """Sign the user in with MFA activated (the TOTP step itself is tested in the browser)."""
    activer_mfa(user)
    client.force_login(user)
    return client
