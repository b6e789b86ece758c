"""Publishing the palmarès: one step, only after the deliberation closed, only once; the label
history, the collectivités' level and the rows of the files to generate are written with it."""

import datetime

import pytest
from django.utils import timezone

from label import publication
from label.models import Document, Edition, Labellisation, Mention, Resultat
from label.workflow import TransitionError
from tests.factories import CandidatureFactory, EditionFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def edition():
    edition = EditionFactory(
        annee=2027, state=Edition.State.CLOSE, cloture=timezone.now() - datetime.timedelta(days=60)
    )
    verte = Mention.objects.create(edition=edition, nom="Arobase verte")
    for nom, niveau in [("Agen", 4), ("Nérac", 5)]:
        resultat = Resultat.objects.create(
            candidature=CandidatureFactory(edition=edition, state="deposee", collectivite__nom=nom),
            niveau=niveau,
            ten=niveau == 5,
        )
        if niveau == 5:
            resultat.mentions.add(verte)
    return edition


def test_publier_refuses_an_edition_whose_deliberation_is_not_closed(edition):
    with pytest.raises(TransitionError, match="n'est pas close"):
        publication.publier(edition)
    assert not Labellisation.objects.exists() and not Document.objects.exists()


def test_publier_writes_history_levels_and_documents_once(edition):
    Edition.objects.filter(pk=edition.pk).update(resultats_clos_at=timezone.now())
    publication.publier(edition)
    nerac = Labellisation.objects.get(collectivite__nom="Nérac")
    assert (nerac.annee, nerac.niveau, nerac.ten, nerac.mentions) == (2027, 5, True, "Arobase verte")
    assert Labellisation.objects.get(collectivite__nom="Agen").collectivite.niveau == 4
    assert Document.objects.filter(kind=Document.Kind.CERTIFICAT).count() == 2
    assert Document.objects.filter(candidature__isnull=True).count() == 3
    with pytest.raises(TransitionError, match="déjà publié"):
        publication.publier(edition)
    assert Document.objects.count() == 5


def test_the_planned_publication_happens_once_its_moment_has_come(edition):
    now = timezone.now()
    Edition.objects.filter(pk=edition.pk).update(
        resultats_clos_at=now, publication_at=now + datetime.timedelta(hours=1)
    )
    assert publication.publier_prevues(now=now) == []
    assert [e.annee for e in publication.publier_prevues(now=now + datetime.timedelta(hours=2))] == [2027]
    assert publication.publier_prevues(now=now + datetime.timedelta(hours=3)) == []
