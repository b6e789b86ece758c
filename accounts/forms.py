from allauth.account.forms import LoginForm, ResetPasswordForm, SignupForm
from django.utils.translation import gettext_lazy as _


class EmailLabelMixin:
    """Name the e-mail field the same way on every form of the accounts flow."""

    email_field = "email"

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)
        self.fields[self.email_field].label = _("Adresse e-mail")


class PortalLoginForm(EmailLabelMixin, LoginForm):
    email_field = "login"

    @property
    def limite_atteinte(self):
        """The password was refused after too many failures: the page offers a code by e-mail
        instead (accounts/connexion.py)."""
        return any(error.code == "too_many_login_attempts" for error in self.non_field_errors().as_data())


class PortalSignupForm(EmailLabelMixin, SignupForm):
    pass


class PortalResetPasswordForm(EmailLabelMixin, ResetPasswordForm):
    pass
