"""Helpers of the jury and staff tests: a TOTP authenticator, the current code, a signed-in juror."""

from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP, format_hotp_value, hotp_value, yield_hotp_counters_from_time

SECRET = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


def activer_mfa(user, secret=SECRET):
    """Give the user a TOTP authenticator, as after activating it on /accounts/2fa/ (kept if
    they have one: the ``staff`` fixture comes with it)."""
    if not Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).exists():
        TOTP.activate(user, secret)
    return user


def code_totp(secret=SECRET):
    return format_hotp_value(hotp_value(secret, next(yield_hotp_counters_from_time())))


def connecter(client, user):
    """Sign the user in with MFA activated (the TOTP step itself is tested in the browser)."""
    activer_mfa(user)
    client.force_login(user)
    return client
