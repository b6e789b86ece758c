from django.urls import path

from . import views

app_name = "observatoire"
urlpatterns = [
    path("observatoire/", views.observatoire, name="observatoire"),
    path("observatoire/chiffres/", views.chiffres, name="chiffres"),
    path("observatoire/donnees.csv", views.donnees_csv, name="csv"),
    path("observatoire/donnees.json", views.donnees_json, name="json"),
]
