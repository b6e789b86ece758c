"""The member's space lists their collectivités, candidatures and what to do next."""

import pytest
from django.core.cache import cache
from django.urls import reverse

from atlaas.models import FicheAction, Membership
from jury.context_processors import cle_jure
from tests.factories import CandidatureFactory, EditionFactory, FicheFactory, MembershipFactory

pytestmark = pytest.mark.django_db


def test_espace_asks_to_log_in(client):
    response = client.get(reverse("label:espace"))
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_login"))


def test_espace_without_collectivite_points_to_joining(client, user):
    client.force_login(user)
    page = client.get(reverse("label:espace")).content.decode()
    assert "Rejoindre votre collectivité" in page


def test_espace_shows_collectivites_candidatures_and_todo(client, django_assert_num_queries):
    edition = EditionFactory()
    membership = MembershipFactory(role=Membership.Role.REFERENT)
    commune = membership.collectivite
    FicheFactory(collectivite=commune, state=FicheAction.State.A_CORRIGER)
    FicheFactory(collectivite=commune, state=FicheAction.State.PUBLIEE)
    MembershipFactory(collectivite=commune, state=Membership.State.PENDING)
    CandidatureFactory(edition=edition, collectivite=commune)
    other = MembershipFactory(user=membership.user, state=Membership.State.PENDING)
    client.force_login(membership.user)

    # including the navigation's juror flag (then cached for 5 minutes)
    with django_assert_num_queries(6):
        page = client.get(reverse("label:espace")).content.decode()

    assert commune.nom in page
    assert "Candidature 2027\u00a0: Brouillon." in page
    assert "1 fiche à corriger" in page
    assert "1 demande d'adhésion à examiner" in page
    assert "Fiches actions\u00a0: 2 (publiées\u00a0: 1, en modération\u00a0: 0)" in page
    assert other.collectivite.nom in page  # pending request listed apart


def test_espace_query_count_does_not_grow_with_collectivites(client, user, django_assert_num_queries):
    EditionFactory()
    first = MembershipFactory(user=user)
    CandidatureFactory(collectivite=first.collectivite)
    client.force_login(user)
    with django_assert_num_queries(6):
        client.get(reverse("label:espace"))
    for _ in range(5):
        membership = MembershipFactory(user=user)
        FicheFactory.create_batch(3, collectivite=membership.collectivite)
        CandidatureFactory(collectivite=membership.collectivite)
    cache.delete(cle_jure(user.pk))  # the navigation's juror flag, cached by the first page
    with django_assert_num_queries(6):
        client.get(reverse("label:espace"))
