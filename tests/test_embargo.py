"""Nothing of an edition's results is public before its publication.

A generated list of every public URL and file that shows results, checked in each state of the
edition: deliberation closed but not published (nothing shows), then published (everything
shows). The laureate is Nérac, decided 5@ with the « Arobase verte » mention and TEN: a word of
it anywhere before the ceremony would be a leak.
"""

import datetime

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone

from atlaas.models import FicheAction, Membership
from label import publication
from label.models import Document, Edition, Mention, Resultat
from tests.factories import (
    CandidatureFactory,
    CommuneFactory,
    EditionFactory,
    FicheFactory,
    MembershipFactory,
)

pytestmark = pytest.mark.django_db
ANNEE = 2027
# Pages about Nérac may name it, never its 2027 result; pages of results must not name it at all.
RESULTAT = ["Arobase verte", "@@@@@", "5 arobases", "5@", "excellence numérique"]
NOM = ["Nérac"]


@pytest.fixture
def laureat():
    edition = EditionFactory(
        annee=ANNEE, state=Edition.State.CLOSE, cloture=timezone.now() - datetime.timedelta(days=60)
    )
    nerac = CommuneFactory(nom="Nérac", code="47195", population=7000)
    candidature = CandidatureFactory(edition=edition, collectivite=nerac, state="deposee")
    resultat = Resultat.objects.create(candidature=candidature, niveau=5, ten=True)
    resultat.mentions.add(Mention.objects.create(edition=edition, nom="Arobase verte"))
    Edition.objects.filter(pk=edition.pk).update(resultats_clos_at=timezone.now())
    FicheFactory(collectivite=nerac, titre="Tiers-lieu numérique", state=FicheAction.State.PUBLIEE)
    membre = MembershipFactory(collectivite=nerac, state=Membership.State.ACTIVE, role="referent").user
    return edition, candidature, membre


def public_urls(candidature):
    """(url, what it must not show before the publication)."""
    code = candidature.collectivite.code
    return [
        (reverse("label:palmares_index"), NOM + RESULTAT),
        (reverse("label:palmares", args=[ANNEE]), NOM + RESULTAT),
        (reverse("label:palmares_csv", args=[ANNEE]), NOM),
        (reverse("label:palmares_json", args=[ANNEE]), NOM),
        (reverse("label:palmares_pdf", args=[ANNEE]), NOM),
        (reverse("label:badge", args=[code, ANNEE]), RESULTAT),
        (reverse("atlaas:collectivite", args=[code]), RESULTAT),
        (reverse("atlaas:api_collectivite", args=[code]), [*RESULTAT, '"niveau": 5']),
        (reverse("atlaas:api_collectivites") + "?niveau=5", NOM),
        (reverse("atlaas:catalogue") + "?niveau=5", NOM),
        (reverse("atlaas:api_fiches") + "?niveau=5", NOM),
        (reverse("home"), [*NOM, "Arobase verte"]),
        (reverse("plan_du_site"), [*NOM, "Arobase verte"]),
    ]


def member_urls(candidature):
    return [
        (reverse("label:espace"), RESULTAT),
        (reverse("label:certificat", args=[candidature.pk]), RESULTAT),
        (reverse("label:badge_code", args=[candidature.pk]), RESULTAT),
        (reverse("label:retour", args=[candidature.pk]), RESULTAT),
        (reverse("label:retour_pdf", args=[candidature.pk]), RESULTAT),
    ]


def body(response):
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode("utf-8", "replace")
    return response.content.decode("utf-8", "replace")


def leaks(client, urls):
    found = []
    for url, secrets in urls:
        response = client.get(url)
        assert response.status_code < 500, url
        text = body(response) if response.status_code == 200 else ""
        found += [f"{url} : {secret}" for secret in secrets if secret in text]
    return found


def test_before_publication_no_public_url_file_or_email_shows_the_results(client, laureat):
    _edition, candidature, membre = laureat
    assert leaks(client, public_urls(candidature)) == []
    assert not Document.objects.exists()  # no certificate, no palmarès file exists yet
    client.force_login(membre)
    assert leaks(client, member_urls(candidature)) == []
    for url, _secrets in member_urls(candidature)[1:]:
        assert client.get(url).status_code == 404, url
    assert mail.outbox == []


def test_after_publication_the_results_show_everywhere_they_belong(
    client, laureat, django_capture_on_commit_callbacks
):
    edition, candidature, membre = laureat
    with django_capture_on_commit_callbacks(execute=True):
        publication.publier(edition)
    palmares = body(client.get(reverse("label:palmares", args=[ANNEE])))
    assert "Nérac" in palmares and "Arobase verte" in palmares
    assert "Nérac" in body(client.get(reverse("label:palmares_csv", args=[ANNEE])))
    assert "Arobase verte" in body(client.get(reverse("atlaas:collectivite", args=["47195"])))
    assert "Tiers-lieu numérique" in body(client.get(reverse("atlaas:catalogue") + "?niveau=5"))
    assert client.get(reverse("label:badge", args=["47195", ANNEE])).status_code == 200
    certificat = Document.objects.get(kind=Document.Kind.CERTIFICAT)
    assert client.get(reverse("label:certificat_verification", args=[certificat.uuid])).status_code == 200
    client.force_login(membre)
    assert client.get(reverse("label:certificat", args=[candidature.pk])).status_code == 200
    assert client.get(reverse("label:retour", args=[candidature.pk])).status_code == 200
    assert [m.to for m in mail.outbox if "label" in m.subject.lower()] == [[membre.email]]
