from django.urls import path

from .views import fiches, membres, public

app_name = "atlaas"
urlpatterns = [
    path("collectivites/<str:code>/", public.collectivite, name="collectivite"),
    path("espace/rejoindre/", membres.rejoindre, name="rejoindre"),
    path("espace/collectivites/<str:code>/membres/", membres.membres, name="membres"),
    path(
        "espace/collectivites/<str:code>/membres/<int:pk>/approuver/",
        membres.approuver,
        name="membres_approuver",
    ),
    path(
        "espace/collectivites/<str:code>/membres/<int:pk>/refuser/", membres.refuser, name="membres_refuser"
    ),
    path("espace/collectivites/<str:code>/membres/<int:pk>/role/", membres.changer_role, name="membres_role"),
    path(
        "espace/collectivites/<str:code>/membres/<int:pk>/retirer/", membres.retirer, name="membres_retirer"
    ),
    path(
        "espace/collectivites/<str:code>/invitations/<int:pk>/annuler/",
        membres.annuler_invitation,
        name="invitation_annuler",
    ),
    path("invitations/<uuid:token>/", membres.invitation, name="invitation"),
    path("espace/collectivites/<str:code>/fiches/", fiches.liste, name="fiches"),
    path("espace/collectivites/<str:code>/fiches/nouvelle/", fiches.nouvelle, name="fiche_nouvelle"),
    path("espace/collectivites/<str:code>/fiches/<int:pk>/", fiches.detail, name="fiche"),
    path("espace/collectivites/<str:code>/fiches/<int:pk>/modifier/", fiches.modifier, name="fiche_modifier"),
    path(
        "espace/collectivites/<str:code>/fiches/<int:pk>/soumettre/", fiches.soumettre, name="fiche_soumettre"
    ),
    path("espace/collectivites/<str:code>/fiches/<int:pk>/retirer/", fiches.retirer, name="fiche_retirer"),
    path(
        "espace/collectivites/<str:code>/fiches/<int:pk>/fichiers/",
        fiches.fichier_ajouter,
        name="fiche_fichier_ajouter",
    ),
    path(
        "espace/collectivites/<str:code>/fiches/<int:pk>/fichiers/<int:file_id>/",
        fiches.fichier,
        name="fiche_fichier",
    ),
    path(
        "espace/collectivites/<str:code>/fiches/<int:pk>/fichiers/<int:file_id>/supprimer/",
        fiches.fichier_supprimer,
        name="fiche_fichier_supprimer",
    ),
]
