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


class PortalSignupForm(EmailLabelMixin, SignupForm):
    pass


class PortalResetPasswordForm(EmailLabelMixin, ResetPasswordForm):
    pass
