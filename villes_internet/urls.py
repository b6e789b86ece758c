from allauth.account.decorators import secure_admin_login
from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.generic import RedirectView, TemplateView

from . import views

admin.site.site_header = _("Villes Internet — administration")
admin.site.site_title = _("Villes Internet")
admin.site.index_title = _("Administration du portail")
# One login for the whole site, allauth's: its rate limits and its TOTP step apply to staff too.
admin.site.login = secure_admin_login(admin.site.login)

urlpatterns = [
    path("", views.home, name="home"),
    path("sante/", views.health, name="health"),
    path(".well-known/security.txt", views.security_txt, name="security_txt"),
    path("accessibilite/", TemplateView.as_view(template_name="accessibilite.html"), name="accessibilite"),
    path("plan-du-site/", TemplateView.as_view(template_name="plan_du_site.html"), name="plan_du_site"),
    path("favicon.ico", RedirectView.as_view(url=settings.STATIC_URL + "img/arobase.svg", permanent=True)),
    path("i18n/setlang/", views.changer_langue, name="set_language"),
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    # The label's URLs first (no path is in both): the palmarès is the busiest page on the
    # ceremony day, and each pattern tried before it costs every one of its requests.
    path("", include("label.urls")),
    path("", include("atlaas.urls")),
    path("", include("jury.urls")),
]
