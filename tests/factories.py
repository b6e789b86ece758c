import datetime

import factory
from django.utils import timezone
from django.utils.text import slugify

from atlaas import catalogue
from atlaas.francais import normaliser_nom
from atlaas.models import (
    Categorie,
    Collectivite,
    ContactFiche,
    Departement,
    Enjeu,
    FicheAction,
    Membership,
    Region,
    Service,
)
from label.models import Candidature, Edition, Question, Section, TypeCandidature


class RegionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ["code"]

    code = "75"
    nom = "Nouvelle-Aquitaine"


class DepartementFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Departement
        django_get_or_create = ["code"]

    code = "47"
    nom = "Lot-et-Garonne"
    region = factory.SubFactory(RegionFactory)


class CommuneFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Collectivite

    nature = Collectivite.Nature.COMMUNE
    code = factory.Sequence(lambda n: f"47{n + 100:03}")
    nom = factory.Sequence(lambda n: f"Commune {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.nom))
    nom_normalise = factory.LazyAttribute(lambda o: normaliser_nom(o.nom))
    departement = factory.SubFactory(DepartementFactory)
    region = factory.SelfAttribute("departement.region")
    population = 1200


class EpciFactory(CommuneFactory):
    nature = Collectivite.Nature.EPCI
    type_epci = Collectivite.TypeEPCI.CA
    code = factory.Sequence(lambda n: f"200{n:06}")
    nom = factory.Sequence(lambda n: f"Communauté d'agglomération {n}")


class CategorieFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Categorie

    nom = factory.Sequence(lambda n: f"Catégorie {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.nom))


class EnjeuFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Enjeu

    categorie = factory.SubFactory(CategorieFactory)
    nom = factory.Sequence(lambda n: f"Enjeu {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.nom))


class ServiceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Service

    enjeu = factory.SubFactory(EnjeuFactory)
    nom = factory.Sequence(lambda n: f"Service {n}")
    slug = factory.LazyAttribute(lambda o: slugify(o.nom))


class UserFactory(factory.django.DjangoModelFactory):
    """A user with a verified address; password ``Arobase-2026-secret!``."""

    class Meta:
        model = "accounts.User"
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"agent{n}@mairie.fr")
    first_name = "Camille"
    password = factory.PostGenerationMethodCall("set_password", "Arobase-2026-secret!")

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        from allauth.account.models import EmailAddress

        if create:
            obj.save()
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class StaffFactory(UserFactory):
    """A member of the association's team, with a TOTP authenticator (``mfa=False``: none)."""

    is_staff = True

    @factory.post_generation
    def mfa(obj, create, extracted, **kwargs):
        from tests.jury import activer_mfa

        if create and extracted is not False:
            activer_mfa(obj)


class MembershipFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Membership

    user = factory.SubFactory(UserFactory)
    collectivite = factory.SubFactory(CommuneFactory)
    role = Membership.Role.CONTRIBUTEUR
    state = Membership.State.ACTIVE


class FicheFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = FicheAction
        skip_postgeneration_save = True

    collectivite = factory.SubFactory(CommuneFactory)
    titre = factory.Sequence(lambda n: f"Action numérique {n}")
    description = "Ateliers de médiation numérique pour les seniors à la médiathèque."
    date_debut = datetime.date(2025, 3, 1)
    en_cours = True

    @factory.post_generation
    def services(obj, create, extracted, **kwargs):
        if create:
            obj.services.set(extracted if extracted is not None else [ServiceFactory()])

    @factory.post_generation
    def contacts(obj, create, extracted, **kwargs):
        if create and extracted is None:
            ContactFiche.objects.create(
                fiche=obj, nom="Camille Martin", fonction="Chargée de mission", email="c.martin@mairie.fr"
            )

    @factory.post_generation
    def index(obj, create, extracted, **kwargs):
        """A published fiche is in the search index, as after its publication."""
        if create and obj.state == FicheAction.State.PUBLIEE and not obj.revision_of_id:
            catalogue.indexer([obj.pk])


class EditionFactory(factory.django.DjangoModelFactory):
    """An edition open now, closing in 30 days."""

    class Meta:
        model = Edition
        django_get_or_create = ["annee"]

    annee = 2027
    numero = 28
    state = Edition.State.OUVERTE
    ouverture = factory.LazyFunction(lambda: timezone.now() - datetime.timedelta(days=200))
    cloture = factory.LazyFunction(lambda: timezone.now() + datetime.timedelta(days=30))


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    edition = factory.SubFactory(EditionFactory)
    titre = "Gouvernance numérique"


class QuestionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Question

    section = factory.SubFactory(SectionFactory)
    libelle = factory.Sequence(lambda n: f"Question {n}")
    kind = Question.Kind.TEXT
    required = True


class CandidatureFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Candidature

    edition = factory.SubFactory(EditionFactory)
    collectivite = factory.SubFactory(CommuneFactory)
    type = TypeCandidature.VILLE


class JureFactory(factory.django.DjangoModelFactory):
    """An accepted juror of the edition, with an account (add ``mfa`` with tests.jury.activer_mfa)."""

    class Meta:
        model = "jury.Jure"

    edition = factory.SubFactory(EditionFactory)
    user = factory.SubFactory(UserFactory)
    email = factory.SelfAttribute("user.email")
    nom = factory.Sequence(lambda n: f"Juré {n}")
    organisation = "Université de Bordeaux"
    invited_at = factory.LazyFunction(timezone.now)
    accepted_at = factory.LazyFunction(timezone.now)


class CritereFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = "jury.Critere"

    edition = factory.SubFactory(EditionFactory)
    libelle = factory.Sequence(lambda n: f"Critère {n}")
    poids = 1
    echelle = 5
    ordre = factory.Sequence(int)


class EvaluationFactory(factory.django.DjangoModelFactory):
    """A juror assigned to a dossier (the candidature must be déposée for jury pages)."""

    class Meta:
        model = "jury.Evaluation"

    jure = factory.SubFactory(JureFactory)
    candidature = factory.SubFactory(
        CandidatureFactory, edition=factory.SelfAttribute("..jure.edition"), state=Candidature.State.DEPOSEE
    )


def session_jury(edition, critere, *, dossiers=300, jures=20, avis=3, mentions=(), decideur=None):
    """An edition's jury at work, written in bulk (fast enough for a test of 300 dossiers).

    ``dossiers`` submitted dossiers, ``jures`` jurors (made here), each dossier assigned to
    ``avis`` jurors in turn. A juror's score on ``critere`` (scale 100) is the dossier's quality
    plus the juror's severity (from −15 to +15) plus a little noise, all fixed by the indices;
    every tenth dossier has one assignment not yet submitted, every fifth a proposed mention of
    ``mentions``, every third a decision by ``decideur`` (when given). Returns the candidatures.
    """
    from jury.models import Evaluation, Note
    from label.models import Resultat

    departement = DepartementFactory()
    jurys = JureFactory.create_batch(jures, edition=edition)
    communes = Collectivite.objects.bulk_create(
        Collectivite(
            nature=Collectivite.Nature.COMMUNE,
            code=f"8{i:04}",
            nom=f"Bourg {i:03}",
            slug=f"bourg-{i:03}",
            nom_normalise=f"bourg{i:03}",
            departement=departement,
            region=departement.region,
            population=1000 + 37 * i,
        )
        for i in range(dossiers)
    )
    candidatures = Candidature.objects.bulk_create(
        Candidature(
            edition=edition,
            collectivite=c,
            type=TypeCandidature.VILLAGE if i % 4 == 0 else TypeCandidature.VILLE,
            state=Candidature.State.DEPOSEE,
        )
        for i, c in enumerate(communes)
    )
    soumise, a_faire = Evaluation.State.SOUMISE, Evaluation.State.A_FAIRE
    evaluations = Evaluation.objects.bulk_create(
        Evaluation(
            jure=jurys[(i * avis + k) % jures],
            candidature=c,
            state=a_faire if i % 10 == 0 and k == avis - 1 else soumise,
            niveau_propose=1 + (i + k) % 5,
        )
        for i, c in enumerate(candidatures)
        for k in range(avis)
    )
    rang = {jure.pk: j for j, jure in enumerate(jurys)}
    Note.objects.bulk_create(
        Note(
            evaluation=e,
            critere=critere,
            score=max(0, min(100, 20 + (i // avis * 53) % 60 + (rang[e.jure_id] * 7) % 31 - 15 + i % 5)),
        )
        for i, e in enumerate(evaluations)
        if e.state == soumise
    )
    if mentions:
        Evaluation.mentions_proposees.through.objects.bulk_create(
            Evaluation.mentions_proposees.through(evaluation=e, mention=mentions[i % len(mentions)])
            for i, e in enumerate(evaluations)
            if i % 5 == 0
        )
    if decideur is not None:
        Resultat.objects.bulk_create(
            Resultat(candidature=c, niveau=1 + i % 5, decided_by=decideur)
            for i, c in enumerate(candidatures)
            if i % 3 == 0
        )
    return candidatures
