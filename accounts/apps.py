from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    default = True
    name = "accounts"
    verbose_name = _("Utilisateurs")


class AdminConfig(admin_apps.AdminConfig):
    """django.contrib.admin with the portal's site (accounts.admin_site), in INSTALLED_APPS."""

    default = False
    default_site = "accounts.admin_site.AdminSite"
