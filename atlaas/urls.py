from django.urls import path

from .views import fiches, membres, public  # noqa: F401  (filled in as the views land)

app_name = "atlaas"
urlpatterns = [
    path("collectivites/<str:code>/", public.collectivite, name="collectivite"),
]
