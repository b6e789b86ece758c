import factory
from django.utils.text import slugify

from atlaas.models import Categorie, Collectivite, Departement, Enjeu, Region, Service


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
