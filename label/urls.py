from django.urls import path

from .views import candidatures, certificats, depot, espace, palmares, retours

app_name = "label"
urlpatterns = [
    path("espace/collectivites/<str:code>/candidature/", candidatures.demarrer, name="candidature_start"),
    path("espace/candidatures/<int:pk>/", candidatures.candidature, name="candidature"),
    path("espace/candidatures/<int:pk>/questionnaire/", candidatures.questionnaire, name="questionnaire"),
    path("espace/candidatures/<int:pk>/autosave/", candidatures.autosave, name="autosave"),
    path("espace/candidatures/<int:pk>/fiches/", candidatures.fiches, name="fiches_candidature"),
    path("espace/candidatures/<int:pk>/pieces/", candidatures.pieces, name="pieces"),
    path("espace/candidatures/<int:pk>/pieces/<int:piece_id>/", candidatures.piece, name="piece"),
    path(
        "espace/candidatures/<int:pk>/pieces/<int:piece_id>/supprimer/",
        candidatures.piece_supprimer,
        name="piece_supprimer",
    ),
    path("espace/candidatures/<int:pk>/mosaique/", candidatures.mosaique, name="mosaique"),
    path("espace/", espace.dashboard, name="espace"),
    path("espace/candidatures/<int:pk>/verification/", depot.verification, name="verification"),
    path("espace/candidatures/<int:pk>/deposer/", depot.deposer, name="deposer"),
    path(
        "espace/candidatures/<int:pk>/accuse-reception.pdf", depot.accuse_reception, name="accuse_reception"
    ),
    path("espace/candidatures/<int:pk>/rouvrir/", depot.rouvrir, name="rouvrir"),
    path("espace/candidatures/<int:pk>/retirer/", depot.retirer, name="retirer"),
    path("espace/candidatures/<int:pk>/historique/", depot.historique, name="historique"),
    path("espace/candidatures/<int:pk>/reprise/", depot.reprise, name="reprise"),
    path("espace/collectivites/<str:code>/candidature/reprendre/", depot.reprendre, name="reprendre"),
    # Results, public once the edition is published.
    path("palmares/", palmares.index, name="palmares_index"),
    path("palmares/<int:annee>/", palmares.palmares, name="palmares"),
    path("palmares/<int:annee>/departements/", palmares.departements, name="palmares_departements"),
    path("palmares/<int:annee>.csv", palmares.fichier, {"kind": "palmares_csv"}, name="palmares_csv"),
    path("palmares/<int:annee>.json", palmares.fichier, {"kind": "palmares_json"}, name="palmares_json"),
    path("palmares/<int:annee>.pdf", palmares.fichier, {"kind": "palmares_pdf"}, name="palmares_pdf"),
    path("certificats/<str:uuid>/", certificats.verification, name="certificat_verification"),
    path("collectivites/<str:code>/badge-<int:annee>.svg", certificats.badge, name="badge"),
    path("espace/candidatures/<int:pk>/certificat.pdf", certificats.certificat, name="certificat"),
    path("espace/candidatures/<int:pk>/badge/", certificats.badge_code, name="badge_code"),
    path("espace/candidatures/<int:pk>/retour/", retours.retour, name="retour"),
    path("espace/candidatures/<int:pk>/retour.pdf", retours.retour_pdf, name="retour_pdf"),
]
