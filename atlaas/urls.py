from django.urls import path

from .views import api, catalogue, donnees, fiches, membres, moderation, public, publication

app_name = "atlaas"
urlpatterns = [
    path("atlaas/", catalogue.index, name="catalogue"),
    path("atlaas/export.csv", donnees.export_csv, name="catalogue_csv"),
    path("atlaas/flux.atom", donnees.FluxFiches(), name="flux"),
    path("atlaas/fiches/<int:pk>/", publication.fiche, name="fiche_publique"),
    path("atlaas/fiches/<int:pk>/contacts/<int:contact_id>/", publication.contact, name="fiche_contact"),
    path(
        "atlaas/fiches/<int:pk>/fichiers/<int:file_id>/", publication.fichier, name="fiche_publique_fichier"
    ),
    path("api/", api.api_index, name="api"),
    path("api/openapi.json", api.openapi, name="api_openapi"),
    path("api/fiches/", api.api_fiches, name="api_fiches"),
    path("api/fiches/<int:pk>/", api.api_fiche, name="api_fiche"),
    path("api/collectivites/", api.api_collectivites, name="api_collectivites"),
    path("api/collectivites/<str:code>/", api.api_collectivite, name="api_collectivite"),
    path("atlaas/moderation/", moderation.file, name="moderation"),
    path("atlaas/moderation/<int:pk>/", moderation.fiche, name="moderation_fiche"),
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
