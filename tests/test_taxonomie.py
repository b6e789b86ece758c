"""The referential of services is data: loaded from a JSON tree, never overwriting staff edits."""

import json

import pytest
from django.core.management import CommandError, call_command

from atlaas.models import Categorie, Enjeu, Service

pytestmark = pytest.mark.django_db


def test_taxonomie_shipped_tree_has_4_categories_16_enjeux_and_todays_themes():
    call_command("import_taxonomie")
    assert Categorie.objects.count() == 4
    assert Enjeu.objects.count() == 16
    assert Service.objects.filter(
        nom="Cybersécurité", enjeu__categorie__nom="Démocratie et services publics"
    ).exists()
    assert Service.objects.get(nom="Sobriété numérique").enjeu.nom == "Transition écologique"
    assert not Enjeu.objects.filter(services=None).exists()


def test_taxonomie_import_again_keeps_staff_edits(capsys):
    call_command("import_taxonomie")
    Service.objects.filter(nom="Cybersécurité").update(nom="Cybersécurité et résilience")
    capsys.readouterr()
    call_command("import_taxonomie")
    assert "rien à changer" in capsys.readouterr().out
    assert Service.objects.filter(nom="Cybersécurité et résilience").exists()


def test_taxonomie_foreign_file_is_refused(tmp_path):
    bad = tmp_path / "autre.json"
    bad.write_text(json.dumps({"categories": []}))
    with pytest.raises(CommandError, match="pas un fichier de taxonomie"):
        call_command("import_taxonomie", str(bad))
    assert not Categorie.objects.exists()
