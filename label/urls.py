from django.urls import path

from .views import candidatures, depot, espace  # noqa: F401  (filled in as the views land)

app_name = "label"
urlpatterns = [
    path("espace/", espace.dashboard, name="espace"),
]
