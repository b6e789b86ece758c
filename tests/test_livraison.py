"""The release named in the keys of the pages kept in the cache (``villes_internet.livraison``)."""

from villes_internet import livraison


def test_the_release_is_the_setting_when_given(settings):
    settings.RELEASE = "3f2a9c1"
    assert livraison.livraison() == "3f2a9c1"


def test_without_it_a_digest_of_what_pages_are_made_of(settings, tmp_path):
    settings.RELEASE = ""
    assert livraison.livraison() == livraison._empreinte()  # read once per process
    settings.BASE_DIR = tmp_path
    gabarit = tmp_path / "templates" / "base.html"
    gabarit.parent.mkdir()
    gabarit.write_text("<title>Villes Internet</title>")
    (tmp_path / "templates" / "notes.md").write_text("pas une page")
    avant = livraison._empreinte.__wrapped__()
    (tmp_path / "templates" / "notes.md").write_text("toujours pas une page")
    assert livraison._empreinte.__wrapped__() == avant
    gabarit.write_text("<title>Villes Internet, le label</title>")
    assert livraison._empreinte.__wrapped__() != avant
