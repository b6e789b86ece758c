from django.urls import path

from .views import affectations, compte, deliberation, evaluation, pilotage, tableau

app_name = "jury"
urlpatterns = [
    path("jury/", tableau.accueil, name="accueil"),
    path("jury/double-authentification/", compte.mfa_requise, name="mfa_requise"),
    path("jury/invitation/<uuid:token>/", compte.invitation, name="invitation"),
    path("jury/<int:annee>/", tableau.dashboard, name="dashboard"),
    path("jury/<int:annee>/profil/", compte.profil, name="profil"),
    path("jury/<int:annee>/conflits/<int:pk>/supprimer/", compte.conflit_supprimer, name="conflit_supprimer"),
    path("jury/<int:annee>/suivant/", evaluation.suivant, name="suivant"),
    path("jury/<int:annee>/dossiers/<int:pk>/", evaluation.evaluer, name="evaluer"),
    path("jury/<int:annee>/dossiers/<int:pk>/autosave/", evaluation.autosave, name="autosave"),
    path("jury/<int:annee>/dossiers/<int:pk>/soumettre/", evaluation.soumettre, name="soumettre"),
    path("jury/<int:annee>/dossiers/<int:pk>/rouvrir/", evaluation.rouvrir, name="rouvrir"),
    path("jury/<int:annee>/dossiers/<int:pk>/pieces/<int:piece_id>/", evaluation.piece, name="piece"),
    path("jury/<int:annee>/dossiers/<int:pk>/fiches/<int:fiche_id>/", evaluation.fiche, name="fiche"),
    path("jury/<int:annee>/affectations/", affectations.affectations, name="affectations"),
    path("jury/<int:annee>/affectations/lancer/", affectations.lancer, name="affectations_lancer"),
    path("jury/<int:annee>/affectations/<int:pk>/", affectations.dossier, name="affectations_dossier"),
    path("jury/<int:annee>/pilotage/", pilotage.pilotage, name="pilotage"),
    path("jury/<int:annee>/pilotage/dossiers/<int:pk>/", pilotage.dossier, name="pilotage_dossier"),
    path("jury/<int:annee>/pilotage/export.csv", pilotage.export_csv, name="export_csv"),
    path("jury/<int:annee>/pilotage/export.xlsx", pilotage.export_xlsx, name="export_xlsx"),
    path("jury/<int:annee>/pilotage/rappels/", pilotage.rappels, name="rappels"),
    path("jury/<int:annee>/deliberation/", deliberation.deliberation, name="deliberation"),
    path("jury/<int:annee>/deliberation/ouvrir/", deliberation.ouvrir, name="deliberation_ouvrir"),
    path("jury/<int:annee>/deliberation/clore/", deliberation.clore, name="deliberation_clore"),
    path("jury/<int:annee>/deliberation/<int:pk>/", deliberation.decider, name="decider"),
]
