from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import RedirectView, TemplateView

from rgpd import views as rgpd_views

from . import views

urlpatterns = [
    path("", views.home, name="home"),
    path("sante/", views.health, name="health"),
    path(".well-known/security.txt", views.security_txt, name="security_txt"),
    path("accessibilite/", TemplateView.as_view(template_name="accessibilite.html"), name="accessibilite"),
    path("plan-du-site/", TemplateView.as_view(template_name="plan_du_site.html"), name="plan_du_site"),
    path("mentions-legales/", rgpd_views.mentions_legales, name="mentions_legales"),
    path("donnees-personnelles/", rgpd_views.donnees_personnelles, name="donnees_personnelles"),
    path("favicon.ico", RedirectView.as_view(url=settings.STATIC_URL + "img/arobase.svg", permanent=True)),
    path("i18n/setlang/", views.changer_langue, name="set_language"),
    path("", include("rgpd.urls")),  # « Mes données », beside allauth's pages under /accounts/
    path("accounts/", include("allauth.urls")),
    path("admin/", admin.site.urls),
    # The label's URLs first (no path is in both): the palmarès is the busiest page on the
    # ceremony day, and each pattern tried before it costs every one of its requests.
    path("", include("label.urls")),
    path("", include("atlaas.urls")),
    path("", include("jury.urls")),
    path("", include("observatoire.urls")),
]
