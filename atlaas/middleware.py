from django.urls import reverse
from django.utils.translation import gettext as _

from atlaas.views import api


class ErreursApi:
    """Every error under /api/ answers in JSON, ``{"erreur": "…"}`` with its status, as the
    OpenAPI document says: the addresses no view answers (``/api/fiches/abc/``), the requests
    Django refuses before any view (an unknown host, 400), a view that fails (500). Django's
    handlers, and their HTML pages, stay for the rest of the portal; with DEBUG, the traceback of
    a 500 is still in the server's log."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code < 400 or not request.path.startswith(reverse("atlaas:api")):
            return response
        if response.get("Content-Type", "").startswith("application/json"):
            return response  # the API's own answer
        nouvelle = api.erreur(self.message(response.status_code), response.status_code)
        nouvelle["Access-Control-Allow-Origin"] = "*"
        return nouvelle

    @staticmethod
    def message(status):
        if status == 404:
            return _("Cette adresse n'existe pas dans l'API : /api/ donne la liste de ses adresses.")
        if status >= 500:
            return _("Erreur du serveur : réessayez dans quelques instants.")
        if status == 403:
            return _("Accès refusé.")
        return _("Requête invalide.")
