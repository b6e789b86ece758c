from django.urls import path

from . import views

app_name = "rgpd"
urlpatterns = [
    path("accounts/mes-donnees/", views.mes_donnees, name="mes_donnees"),
    path("accounts/mes-donnees/archive/", views.demander_archive, name="demander_archive"),
    path("accounts/mes-donnees/archives/<uuid:uuid>/", views.telecharger_archive, name="archive"),
    path("accounts/mes-donnees/supprimer/", views.supprimer, name="supprimer"),
    path("accounts/mes-donnees/referents/<str:code>/", views.confier_referent, name="confier_referent"),
]
