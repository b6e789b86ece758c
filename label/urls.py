from django.urls import path  # noqa: F401

from .views import candidatures, depot, espace  # noqa: F401  (filled in as the views land)

app_name = "label"
urlpatterns = []
