"""Who may open the filing pages of a candidature: a permission matrix over every role.

Non-members (another collectivité's members, staff, who work in the admin) get 404, never
a hint that the dossier exists; anonymous visitors are sent to the login page; a contributeur
may submit but only a référent may reopen, withdraw or renew (403 with the reason).
Juror accounts come with the jury: they are non-members here and get the same 404.
"""

import pytest
from django.urls import reverse

from atlaas.models import Membership
from label.models import Candidature
from tests.factories import CandidatureFactory, MembershipFactory, QuestionFactory

pytestmark = pytest.mark.django_db

VIEWS = [
    ("get", "espace"),
    ("get", "verification"),
    ("post", "deposer"),
    ("get", "rouvrir"),
    ("post", "rouvrir"),
    ("get", "retirer"),
    ("post", "retirer"),
    ("get", "historique"),
    ("get", "reprise"),
    ("get", "reprendre"),
    ("post", "reprendre"),
]
OUTSIDER = {**dict.fromkeys(VIEWS, 404), ("get", "espace"): 200}
# The renewal summary only exists for a renewed dossier (this one is not): 404 for everyone.
CONTRIBUTEUR = {
    **dict.fromkeys(VIEWS, 200),
    ("get", "reprise"): 404,
    ("post", "deposer"): 302,
    ("get", "rouvrir"): 403,
    ("post", "rouvrir"): 403,
    ("get", "retirer"): 403,
    ("post", "retirer"): 403,
    ("get", "reprendre"): 403,
    ("post", "reprendre"): 403,
}
REFERENT = {
    **dict.fromkeys(VIEWS, 200),
    ("get", "reprise"): 404,
    ("post", "deposer"): 302,
    ("post", "rouvrir"): 302,
    ("post", "retirer"): 302,
    ("post", "reprendre"): 302,
}
EXPECTED = {
    "anonymous": dict.fromkeys(VIEWS, 302),
    "membre_b": OUTSIDER,
    "staff": OUTSIDER,
    "membre_a": CONTRIBUTEUR,
    "referent_a": REFERENT,
}


@pytest.mark.parametrize("who", list(EXPECTED))
@pytest.mark.parametrize(("method", "name"), VIEWS)
def test_filing_pages_permission_matrix(client, staff, who, method, name):
    candidature = CandidatureFactory(collectivite__nom="Agen")
    QuestionFactory(section__edition=candidature.edition, required=False)
    referent = MembershipFactory(collectivite=candidature.collectivite, role=Membership.Role.REFERENT)
    member = MembershipFactory(collectivite=candidature.collectivite)
    outsider = MembershipFactory(role=Membership.Role.REFERENT)
    users = {"membre_a": member.user, "referent_a": referent.user, "membre_b": outsider.user, "staff": staff}
    if who in users:
        client.force_login(users[who])
    if name == "espace":
        path = reverse("label:espace")
    elif name == "reprendre":
        path = reverse("label:reprendre", args=[candidature.collectivite.code])
    else:
        path = reverse(f"label:{name}", args=[candidature.pk])

    response = getattr(client, method)(path)

    assert response.status_code == EXPECTED[who][(method, name)]
    if who == "anonymous":
        assert response.url.startswith(reverse("account_login"))
    if who in ("membre_b", "staff"):
        assert "Agen" not in response.content.decode()
        candidature.refresh_from_db()
        assert candidature.state == Candidature.State.BROUILLON
