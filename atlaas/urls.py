from django.urls import path

from . import views

app_name = "atlaas"
urlpatterns = [
    path("collectivites/<str:code>/", views.collectivite, name="collectivite"),
]
