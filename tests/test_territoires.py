import gzip
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import DatabaseError

from atlaas import territoires
from atlaas.models import Collectivite, Departement, Region
from atlaas.territoires import (
    FORMAT,
    KINDS,
    SHIPPED_FILE,
    TerritoiresError,
    build_compact,
    import_compact,
    read_compact,
    write_compact,
)

# --- helpers ----------------------------------------------------------------------------------------


def tiny_compact():
    """A small valid compact referential: two régions, two départements, five communes, two EPCI.

    The CC des Coteaux has more members in Lot-et-Garonne (47) but more inhabitants in the Gers (32).
    """
    data = {
        "format": FORMAT,
        "version": 1,
        "meta": {"source": "essai", "licence": "MIT", "generated": "2025-01-01", "counts": {}},
        "regions": [["75", "Nouvelle-Aquitaine", "metro"], ["76", "Occitanie", "metro"]],
        "departements": [["32", "Gers", "76", "metro"], ["47", "Lot-et-Garonne", "75", "metro"]],
        "communes": [
            ["32001", "Aignan", "32", "76", "metro", 700, "213200017", "32290"],
            ["47001", "Agen", "47", "75", "metro", 32801, "214700015", "47000"],
            ["47002", "Agmé", "47", "75", "metro", 200, "214700023", "47350"],
            ["47003", "Agnac", "47", "75", "metro", 300, "214700031", "47800"],
            ["47004", "Aiguillon", "47", "75", "metro", 4500, "", "47190"],
        ],
        "epci": [
            ["200000001", "CA Agglomération d'Agen", "CA", 37301, ["47001", "47004"]],
            ["200000002", "CC des Coteaux", "CC", 1200, ["32001", "47002", "47003"]],
        ],
    }
    return recount(data)


def recount(data):
    """Make meta.counts and the EPCI populations agree with the records again after an edit."""
    data["meta"]["counts"] = {kind: len(data[kind]) for kind in KINDS}
    population = {record[0]: record[5] for record in data["communes"]}
    for record in data["epci"]:
        record[3] = sum(population[code] for code in record[4])
    return data


def import_file(path, verbosity=1):
    out = StringIO()
    call_command("import_territoires", str(path), stdout=out, verbosity=verbosity)
    return out.getvalue()


def assert_database_empty():
    assert Region.objects.count() == 0
    assert Departement.objects.count() == 0
    assert Collectivite.objects.count() == 0


# --- the shipped file (full imports are kept to three tests) ----------------------------------------


@pytest.mark.django_db
def test_import_shipped_file_creates_declared_counts_and_agen_in_its_agglomeration():
    meta = read_compact(SHIPPED_FILE)["meta"]

    output = import_file(SHIPPED_FILE)

    assert meta["counts"] == {"regions": 26, "departements": 109, "communes": 34969, "epci": 1255}
    assert Region.objects.count() == meta["counts"]["regions"]
    assert Departement.objects.count() == meta["counts"]["departements"]
    assert Collectivite.objects.communes().actives().count() == meta["counts"]["communes"]
    assert Collectivite.objects.epcis().actives().count() == meta["counts"]["epci"]
    assert "communes : 34 969 créées" in output
    assert "EPCI : 1 255 créés" in output

    agen = Collectivite.objects.get(code="47001")
    assert (agen.nom, agen.nature, agen.slug, agen.siren) == ("Agen", "commune", "agen", "214700015")
    assert (agen.departement.code, agen.region.code, agen.zone) == ("47", "75", "metro")
    assert agen.population == 32801
    agglo = agen.epci
    assert (agglo.code, agglo.siren, agglo.nom) == ("200096956", "200096956", "CA Agglomération d'Agen")
    assert (agglo.nature, agglo.type_epci, agglo.departement.code, agglo.region.code) == (
        "epci",
        "CA",
        "47",
        "75",
    )
    membres = agglo.membres.all()
    assert len(membres) == 44
    assert agen in membres
    assert sum(commune.population for commune in membres) == agglo.population == 102673
    # Every row gets its searched name, « œ » spelt out.
    assert not Collectivite.objects.filter(nom_normalise="").exists()
    assert Collectivite.objects.get(code="54547").nom_normalise == "vandoeuvrelesnancy"


@pytest.mark.django_db
def test_import_shipped_file_twice_reports_nothing_to_change():
    import_file(SHIPPED_FILE)

    output = import_file(SHIPPED_FILE)

    assert "Rien à changer" in output
    assert "34 969 communes" in output
    assert "créé" not in output and "modifié" not in output


# --- behaviour of the import, on a tiny file ---------------------------------------------------------


@pytest.mark.django_db
def test_import_derives_epci_departement_from_population_share():
    summary = import_compact(tiny_compact())

    coteaux = Collectivite.objects.get(code="200000002")
    assert coteaux.departement.code == "32"  # 700 inhabitants in the Gers, 500 in Lot-et-Garonne
    assert coteaux.region.code == "76"
    assert coteaux.population == 1200
    assert coteaux.slug == "cc-des-coteaux"
    assert sorted(coteaux.membres.values_list("code", flat=True)) == ["32001", "47002", "47003"]
    assert Collectivite.objects.get(code="47004").siren == ""
    assert (summary.communes.created, summary.epci.created) == (5, 2)


@pytest.mark.django_db
def test_import_updates_only_changed_rows():
    data = tiny_compact()
    import_compact(data)
    data["communes"][2][1] = "Agmé-sur-Garonne"
    data["communes"][2][5] = 250

    summary = import_compact(recount(data))

    agme = Collectivite.objects.get(code="47002")
    assert (agme.nom, agme.slug, agme.population) == ("Agmé-sur-Garonne", "agme-sur-garonne", 250)
    assert agme.nom_normalise == "agmesurgaronne"  # a renamed commune is found by its new name
    assert Collectivite.objects.get(code="200000002").population == 1250
    assert (summary.communes.updated, summary.communes.unchanged, summary.communes.created) == (1, 4, 0)
    assert (summary.epci.updated, summary.epci.unchanged) == (1, 1)
    assert "communes : 1 modifiée, 4 inchangées" in str(summary)


@pytest.mark.django_db
def test_import_deactivates_commune_removed_from_file(tmp_path):
    data = tiny_compact()
    import_compact(data)
    del data["communes"][2]  # Agmé merges into Agnac
    data["epci"][1][4] = ["32001", "47003"]
    write_compact(recount(data), tmp_path / "territoires.json.gz")

    output = import_file(tmp_path / "territoires.json.gz")

    agme = Collectivite.objects.get(code="47002")
    assert agme.active is False
    assert agme.epci is None  # no longer counted among the members of its former EPCI
    assert Collectivite.objects.communes().actives().count() == 4
    assert "1 désactivée" in output
    coteaux = Collectivite.objects.get(code="200000002")
    assert sum(coteaux.membres.values_list("population", flat=True)) == coteaux.population


@pytest.mark.django_db
def test_import_reactivates_collectivite_back_in_file():
    data = tiny_compact()
    import_compact(data)
    Collectivite.objects.filter(code="200000001").update(active=False)

    summary = import_compact(data)

    assert Collectivite.objects.get(code="200000001").active is True
    assert summary.epci.updated == 1


@pytest.mark.django_db
def test_import_moves_commune_to_its_new_epci():
    data = tiny_compact()
    import_compact(data)
    data["epci"][0][4] = ["47001", "47003", "47004"]
    data["epci"][1][4] = ["32001", "47002"]

    import_compact(recount(data))

    assert Collectivite.objects.get(code="47003").epci.code == "200000001"


# --- bad input: the command refuses it and imports nothing ------------------------------------------


def _truncated_gzip(path):
    write_compact(tiny_compact(), path)
    content = path.read_bytes()
    path.write_bytes(content[: len(content) // 2])


def _foreign_json(path):
    path.write_bytes(gzip.compress(json.dumps({"type": "FeatureCollection", "features": []}).encode()))


def _bad_population(path):
    data = tiny_compact()
    data["communes"][2][5] = "deux cents"
    write_compact(data, path)


def _unknown_departement(path):
    data = tiny_compact()
    data["communes"][1][2] = "99"
    write_compact(data, path)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (_truncated_gzip, "fichier gzip tronqué ou corrompu"),
        (_foreign_json, "ce n'est pas un fichier de territoires (clé « format » absente"),
        (_bad_population, "communes, enregistrement 3 (code 47002) : population manquante ou invalide"),
        (_unknown_departement, "communes, enregistrement 2 (code 47001) : département 99 inconnu"),
    ],
)
def test_import_command_refuses_bad_file_and_imports_nothing(tmp_path, spoil, message):
    path = tmp_path / "territoires.json.gz"
    spoil(path)

    with pytest.raises(CommandError) as error:
        import_file(path)

    assert message in str(error.value)
    assert "Rien n'a été importé" in str(error.value)
    assert_database_empty()


def _set(kind, index, column, value):
    def spoil(data):
        data[kind][index][column] = value

    return spoil


@pytest.mark.parametrize(
    ("spoil", "message"),
    [
        (lambda data: data.update(format="autre/chose"), "format « autre/chose » inconnu"),
        (lambda data: data.update(version=2), "version 2 non prise en charge"),
        (
            lambda data: data["communes"].pop(),
            "communes : 5 enregistrements annoncés dans meta.counts, 4 présents",
        ),
        (
            lambda data: data["communes"][0].pop(),
            "communes, enregistrement 1 (code 32001) : 8 colonnes attendues",
        ),
        (
            _set("communes", 0, 5, True),
            "communes, enregistrement 1 (code 32001) : population manquante ou invalide",
        ),
        (
            _set("communes", 0, 5, -3),
            "communes, enregistrement 1 (code 32001) : population manquante ou invalide",
        ),
        (_set("communes", 3, 0, "47002"), "communes, enregistrement 4 (code 47002) : code en double"),
        (_set("communes", 1, 1, ""), "communes, enregistrement 2 (code 47001) : nom manquant ou invalide"),
        (
            _set("communes", 1, 1, "A" * 151),
            "communes, enregistrement 2 (code 47001) : nom manquant ou invalide",
        ),
        (
            _set("communes", 1, 4, "mars"),
            "communes, enregistrement 2 (code 47001) : zone manquante ou invalide",
        ),
        (_set("communes", 1, 6, "12"), "communes, enregistrement 2 (code 47001) : SIREN invalide"),
        (_set("communes", 1, 3, "76"), "région 76 différente de celle du département 47 (75)"),
        (_set("departements", 0, 2, "11"), "departements, enregistrement 1 (code 32) : région 11 inconnue"),
        (_set("epci", 0, 2, "SIVOM"), "epci, enregistrement 1 (code 200000001) : type manquant ou invalide"),
        (_set("epci", 0, 4, ["47001", "47999"]), "le membre 47999 n'est pas une commune du fichier"),
        (
            _set("epci", 1, 4, ["32001", "47001", "47002"]),
            "epci, enregistrement 2 (code 200000002) : la commune 47001 est déjà membre de l'EPCI 200000001",
        ),
        (_set("epci", 0, 4, []), "liste des communes membres manquante, vide ou invalide"),
        (_set("epci", 1, 3, 1300), "population 1300 différente de la somme de ses communes membres (1200)"),
    ],
)
def test_read_compact_names_the_faulty_record(tmp_path, spoil, message):
    data = tiny_compact()
    spoil(data)
    path = tmp_path / "territoires.json.gz"
    write_compact(data, path)

    with pytest.raises(TerritoiresError) as error:
        read_compact(path)

    assert message in str(error.value)


def test_read_compact_refuses_plain_json_and_missing_file(tmp_path):
    plain = tmp_path / "territoires.json"
    plain.write_text(json.dumps(tiny_compact()))

    with pytest.raises(TerritoiresError, match="pas un fichier gzip valide"):
        read_compact(plain)
    with pytest.raises(TerritoiresError, match="fichier introuvable"):
        read_compact(tmp_path / "absent.json.gz")


def test_read_compact_refuses_gzip_of_non_json(tmp_path):
    path = tmp_path / "territoires.json.gz"
    path.write_bytes(gzip.compress(b"code;nom\n47001;Agen\n"))

    with pytest.raises(TerritoiresError, match="pas du JSON valide"):
        read_compact(path)


# --- rebuilding from the upstream package ------------------------------------------------------------


def write_upstream(directory):
    """A tiny copy of the upstream package: data/*.json plus package.json."""
    data_dir = directory / "package" / "data"
    data_dir.mkdir(parents=True)
    (directory / "package" / "package.json").write_text(
        json.dumps({"name": "@etalab/decoupage-administratif", "version": "6.0.0"})
    )
    files = {
        "regions.json": [
            {"code": "75", "nom": "Nouvelle-Aquitaine", "zone": "metro", "chefLieu": "33063"},
            {"code": "04", "nom": "La Réunion", "zone": "drom", "chefLieu": "97411"},
        ],
        "departements.json": [
            {"code": "974", "nom": "La Réunion", "region": "04", "zone": "drom"},
            {"code": "47", "nom": "Lot-et-Garonne", "region": "75", "zone": "metro"},
        ],
        "communes.json": [
            {
                "code": "47001",
                "nom": "Agen",
                "type": "commune-actuelle",
                "departement": "47",
                "region": "75",
                "zone": "metro",
                "population": 32801,
                "siren": "214700015",
                "codesPostaux": ["47000"],
            },
            {
                "code": "47002",
                "nom": "Agmé",
                "type": "commune-actuelle",
                "departement": "47",
                "region": "75",
                "zone": "metro",
                "population": 200,
                "siren": "214700023",
                "codesPostaux": ["47350"],
            },
            {
                "code": "47999",
                "nom": "Ancienne commune",
                "type": "commune-deleguee",
                "departement": "47",
                "region": "75",
                "zone": "metro",
                "population": 50,
            },
            {
                "code": "97411",
                "nom": "Saint-Denis",
                "type": "commune-actuelle",
                "departement": "974",
                "region": "04",
                "zone": "drom",
                "siren": "219740115",
                "codesPostaux": ["97400", "97490"],
            },
        ],
        "epci.json": [
            {
                "code": "200096956",
                "nom": "CA Agglomération d'Agen",
                "type": "CA",
                "populationMunicipale": 32393,
                "membres": [{"code": "47002", "nom": "Agmé"}, {"code": "47001", "nom": "Agen"}],
            },
        ],
    }
    for name, records in files.items():
        (data_dir / name).write_text(json.dumps(records, ensure_ascii=False), encoding="utf-8")
    return data_dir


def test_build_compact_keeps_current_communes_and_sums_epci_population(tmp_path):
    data = build_compact(write_upstream(tmp_path))

    assert data["meta"]["source"] == "Etalab, @etalab/decoupage-administratif 6.0.0 (npm)"
    assert data["meta"]["counts"] == {"regions": 2, "departements": 2, "communes": 3, "epci": 1}
    assert data["regions"] == [["04", "La Réunion", "drom"], ["75", "Nouvelle-Aquitaine", "metro"]]
    assert data["departements"][1] == ["974", "La Réunion", "04", "drom"]
    assert data["communes"] == [
        ["47001", "Agen", "47", "75", "metro", 32801, "214700015", "47000"],
        ["47002", "Agmé", "47", "75", "metro", 200, "214700023", "47350"],
        ["97411", "Saint-Denis", "974", "04", "drom", 0, "219740115", "97400 97490"],
    ]
    assert data["epci"] == [["200096956", "CA Agglomération d'Agen", "CA", 33001, ["47001", "47002"]]]


def test_build_compact_refuses_epci_member_that_is_not_a_current_commune(tmp_path):
    data_dir = write_upstream(tmp_path)
    epci = json.loads((data_dir / "epci.json").read_text())
    epci[0]["membres"].append({"code": "47999"})
    (data_dir / "epci.json").write_text(json.dumps(epci))

    with pytest.raises(TerritoiresError, match="membres absents des communes actuelles : 47999"):
        build_compact(data_dir)


@pytest.mark.django_db
def test_rebuild_command_writes_a_file_that_imports(tmp_path):
    output = tmp_path / "out" / "territoires.json.gz"
    out = StringIO()

    call_command("import_territoires", rebuild_from=write_upstream(tmp_path), output=output, stdout=out)

    assert f"Écrit {output}" in out.getvalue()
    assert "3 communes, 1 EPCI" in out.getvalue()
    assert_database_empty()
    import_file(output)
    assert Collectivite.objects.get(code="47002").epci.code == "200096956"
    assert Collectivite.objects.get(code="97411").zone == "drom"


def test_rebuild_command_refuses_missing_upstream_directory(tmp_path):
    with pytest.raises(CommandError, match=r"regions\.json : fichier introuvable"):
        call_command("import_territoires", rebuild_from=tmp_path / "absent", output=tmp_path / "t.json.gz")
    assert not (tmp_path / "t.json.gz").exists()


def test_tiny_compact_is_valid(tmp_path):
    path = tmp_path / "territoires.json.gz"
    write_compact(tiny_compact(), path)

    assert read_compact(path) == tiny_compact()


@pytest.mark.django_db
def test_import_failing_midway_leaves_the_referential_as_it_was(monkeypatch):
    data = tiny_compact()
    import_compact(data)
    data["regions"][0][1] = "Région renommée"
    data["communes"][0][1] = "Commune renommée"
    real_sync = territoires._sync

    def sync_failing_on_communes(model, wanted, counts, queryset=None, deactivate=False):
        if model is Collectivite and "32001" in wanted:
            raise DatabaseError("disque plein")
        return real_sync(model, wanted, counts, queryset, deactivate)

    monkeypatch.setattr(territoires, "_sync", sync_failing_on_communes)
    with pytest.raises(DatabaseError):
        import_compact(data)

    assert not Region.objects.filter(nom="Région renommée").exists()  # written first, rolled back
    assert not Collectivite.objects.filter(nom="Commune renommée").exists()


@pytest.mark.django_db
def test_import_bad_file_leaves_an_existing_referential_untouched(tmp_path):
    import_compact(tiny_compact())
    before = list(Collectivite.objects.order_by("code").values_list("code", "nom", "population", "active"))
    bad = tmp_path / "territoires.json.gz"
    bad.write_bytes(gzip.compress(b'{"format": "villes-internet/territoires", "version": 1, "communes": ['))

    with pytest.raises(CommandError):
        call_command("import_territoires", str(bad))

    assert (
        list(Collectivite.objects.order_by("code").values_list("code", "nom", "population", "active"))
        == before
    )
