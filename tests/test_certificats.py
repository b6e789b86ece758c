"""Certificates and badges of the laureates: generated once per laureate at publication, checked
on a public page through their QR code, downloaded by the collectivité's members only."""

import datetime
import errno
import io
import os

import pytest
import zxingcpp
from django.conf import settings as conf
from django.core.cache import cache
from django.db import connection
from django.db.models import F
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from atlaas.storage import AtomicFileSystemStorage
from jury.context_processors import cle_jure
from label import certificats, documents, pdf, publication, tasks
from label.certificats import badge_svg, code_integration, url_verification
from label.models import Document, Edition, Labellisation, Mention, Resultat
from tests.factories import (
    CandidatureFactory,
    CommuneFactory,
    DepartementFactory,
    EditionFactory,
    MembershipFactory,
    RegionFactory,
)
from tests.pdfs import accessibilite, erreurs_weasyprint, pdf_text, pixels, polices, sous_ensembles

pytestmark = pytest.mark.django_db

CERTIFICAT = Document.Kind.CERTIFICAT


def qr_codes(data):
    """The texts of the QR codes of a PDF's first page, rasterized at 150 dpi."""
    image = Image.open(io.BytesIO(pixels(data, resolution=150)))
    return [code.text for code in zxingcpp.read_barcodes(image)]


def fichiers_certificats(annee=2027):
    dossier = conf.MEDIA_ROOT / "documents" / str(annee) / "certificat"
    return sorted(p.name for p in dossier.iterdir()) if dossier.exists() else []


@pytest.fixture
def edition():
    return EditionFactory(
        annee=2027,
        numero=28,
        state=Edition.State.CLOSE,
        cloture=timezone.now() - datetime.timedelta(days=60),
        ceremonie_date=datetime.date(2027, 1, 28),
        ceremonie_lieu="Agen",
        president_association="Hélène Martin",
        president_jury="Émile Durand",
    )


@pytest.fixture
def laureat(edition):
    """Saint-Étienne-de-Tinée (06), 4@ with a mention and the TEN; a member of it."""
    alpes = DepartementFactory(
        code="06", nom="Alpes-Maritimes", region=RegionFactory(code="93", nom="Provence-Alpes-Côte d'Azur")
    )
    commune = CommuneFactory(nom="Saint-Étienne-de-Tinée", code="06120", departement=alpes, population=1400)
    resultat = Resultat.objects.create(
        candidature=CandidatureFactory(
            edition=edition, collectivite=commune, state="deposee", type="village"
        ),
        niveau=4,
        ten=True,
    )
    resultat.mentions.add(Mention.objects.create(edition=edition, nom="Arobase verte"))
    MembershipFactory(collectivite=commune)
    return resultat


def ajouter_laureats(edition, n, niveau=3):
    for _ in range(n):
        Resultat.objects.create(
            candidature=CandidatureFactory(edition=edition, state="deposee"), niveau=niveau
        )


@pytest.fixture
def publier(django_capture_on_commit_callbacks):
    """Close the deliberation and publish; the generation runs (eagerly) after commit."""

    def publier(edition):
        Edition.objects.filter(pk=edition.pk).update(resultats_clos_at=timezone.now())
        with django_capture_on_commit_callbacks(execute=True):
            publication.publier(edition)
        edition.refresh_from_db()
        return edition

    return publier


def certificat_de(resultat):
    return Document.objects.get(kind=CERTIFICAT, candidature=resultat.candidature)


def membre_de(resultat):
    return resultat.candidature.collectivite.memberships.get().user


# --- The PDF --------------------------------------------------------------------------------


def test_certificat_states_name_departement_level_year_and_distinctions(edition, laureat, publier):
    publier(edition)
    document = certificat_de(laureat)
    assert document.state == Document.State.PRET and document.tentatives == 1
    text = pdf_text(document.fichier.read())
    assert "Certificat du label 2027" in text
    assert "Saint-Étienne-de-Tinée" in text
    assert "Village · Alpes-Maritimes (06)" in text
    assert "@@@@ 4 arobases" in text
    assert "Territoire d'excellence numérique" in text
    assert "Mention : Arobase verte" in text
    assert "Millésime 2027, 28e édition du label." in text
    assert "Remis le 28 janvier 2027 à Agen." in text
    assert "Hélène Martin, président(e) de l'association Villes Internet" in text
    assert "Émile Durand, président(e) du jury" in text
    assert str(document.uuid) in text  # the verification address, printed under the QR code


def test_certificat_leaves_out_missing_presidents_and_ceremony(edition, laureat, publier):
    Edition.objects.filter(pk=edition.pk).update(president_jury="", ceremonie_date=None)
    publier(edition)
    text = pdf_text(certificat_de(laureat).fichier.read())
    assert "Hélène Martin" in text
    assert "président(e) du jury" not in text
    assert "Remis le" not in text


def test_certificat_is_tagged_titled_in_french_and_archivable(edition, laureat, publier, caplog):
    publier(edition)
    data = certificat_de(laureat).fichier.read()
    pdf = accessibilite(data)
    assert pdf["titre"] == (
        "Certificat du label Territoires, Villes et Villages Internet 2027 — Saint-Étienne-de-Tinée"
    )
    assert pdf["balise"] == "yes" and pdf["marque"] is True and pdf["titre_affiche"] is True
    assert pdf["langue"] == "fr"
    # PDF/A-2u for archiving, PDF/UA-1 for screen readers, both declared in the XMP metadata.
    assert pdf["xmp"] == {"pdfaid:part": "2", "pdfaid:conformance": "U", "pdfuaid:part": "1"}
    types = [type_ for type_, _alt in pdf["structure"]]
    assert types[:2] == ["/Document", "/Div"] and types.count("/H1") == 1
    assert types.index("/H1") < types.index("/Figure")
    assert [alt for type_, alt in pdf["structure"] if type_ == "/Figure"] == ["Code QR de vérification"]
    assert polices(data) and all(embarquee for _nom, embarquee in polices(data))
    assert not erreurs_weasyprint(caplog)


def test_certificat_text_comes_in_reading_order(edition, laureat, publier):
    """Plain and laid-out text both read the certificate top to bottom: its title, the
    collectivité, the level, the date, the signatures, then the verification link, which the
    style places at the bottom right, beside the signatures."""
    publier(edition)
    document = certificat_de(laureat)
    data = document.fichier.read()
    ordre = [
        "Label Territoires, Villes et Villages Internet",
        "Certificat du label 2027",
        "Saint-Étienne-de-Tinée",
        "@@@@ 4 arobases",
        "Remis le 28 janvier 2027 à Agen.",
        "Hélène Martin, président(e) de l'association Villes Internet",
        "Émile Durand, président(e) du jury",
        "Vérifier ce certificat :",
        url_verification(document),
    ]
    for texte in (pdf_text(data), pdf_text(data, layout=True)):
        positions = [texte.index(morceau) for morceau in ordre]
        assert positions == sorted(positions)


def test_certificat_qr_code_decodes_to_the_verification_url(edition, laureat, publier, settings):
    settings.SITE_URL = "https://label.villes-internet.net"
    publier(edition)
    document = certificat_de(laureat)
    url = f"https://label.villes-internet.net/certificats/{document.uuid}/"
    assert url_verification(document) == url
    assert qr_codes(document.fichier.read()) == [url]


# --- Generation: once per laureate, failures recorded and retried ---------------------------


def test_generation_run_twice_yields_one_file_per_laureate(edition, laureat, publier):
    ajouter_laureats(edition, 3)
    publier(edition)
    assert Document.objects.filter(kind=CERTIFICAT, state=Document.State.PRET).count() == 4
    premiers = fichiers_certificats()
    assert len(premiers) == 4

    tasks.generer_documents(edition.pk)  # a second run: nothing left to do for the certificates
    assert fichiers_certificats() == premiers

    # Every row generated again (as staff relaunching all): still one file per laureate.
    Document.objects.filter(kind=CERTIFICAT).update(state=Document.State.ATTENTE)
    tasks.generer_documents(edition.pk)
    assert Document.objects.filter(kind=CERTIFICAT).count() == 4
    assert len(fichiers_certificats()) == 4
    for document in Document.objects.filter(kind=CERTIFICAT):
        assert document.state == Document.State.PRET
        assert document.fichier.name.rsplit("/", 1)[1] in fichiers_certificats()


def test_a_lot_reads_its_rows_together(edition, laureat, publier):
    """Two queries per certificate (its claim, its final UPDATE), the reads once per lot."""
    ajouter_laureats(edition, 8)
    Edition.objects.filter(pk=edition.pk).update(resultats_clos_at=timezone.now())
    publication.publier(edition)  # no worker here: the rows wait
    ids = list(Document.objects.filter(kind=CERTIFICAT).order_by("pk").values_list("pk", flat=True))

    with CaptureQueriesContext(connection) as trois:
        assert documents.generer_lot(ids[:3]) == 3
    with CaptureQueriesContext(connection) as neuf:
        assert documents.generer_lot(ids[3:]) == 6
    assert len(neuf) - len(trois) == 2 * 3
    assert documents.generer_lot(ids) == 0  # all done: a lot run again does nothing
    assert len(fichiers_certificats()) == 9


def _attendre(edition, laureats):
    """``laureats`` more laureates, the edition published with no worker: the rows wait; their ids."""
    ajouter_laureats(edition, laureats)
    Edition.objects.filter(pk=edition.pk).update(resultats_clos_at=timezone.now())
    publication.publier(edition)
    return list(Document.objects.filter(kind=CERTIFICAT).order_by("pk").values_list("pk", flat=True))


def test_a_lot_lays_out_and_writes_its_certificates_together_each_the_page_it_makes_alone(
    edition, laureat, monkeypatch
):
    ids = _attendre(edition, 3)
    mises_en_page = []
    mettre_en_page = pdf.mettre_en_page
    monkeypatch.setattr(
        pdf, "mettre_en_page", lambda html, **o: mises_en_page.append(html) or mettre_en_page(html, **o)
    )
    sous_ensembles_ = sous_ensembles(monkeypatch)

    assert documents.generer_lot(ids) == 4
    assert len(mises_en_page) == 1  # one layout for the lot
    noms = [nom for nom, _taille in sous_ensembles_]
    assert len(noms) == len(set(noms)) == 5  # each font subset once for the lot
    for document in documents.lecture().filter(pk__in=ids):
        data, seul = document.fichier.read(), certificats.certificat_pdf(document)[1]  # its page alone
        assert pixels(data) == pixels(seul)
        assert pdf_text(data) == pdf_text(seul) and accessibilite(data) == accessibilite(seul)
    assert len(mises_en_page) == 1 + 4


def test_a_lot_without_a_result_lays_out_the_others_and_fails_that_row_alone(edition, laureat):
    ids = _attendre(edition, 2)
    sans_resultat = certificat_de(laureat)
    laureat.delete()

    assert documents.generer_lot(ids) == 2
    sans_resultat.refresh_from_db()
    assert sans_resultat.state == Document.State.ECHEC
    assert sans_resultat.erreur == "DoesNotExist : la candidature n’a pas (ou plus) de résultat"
    assert len(fichiers_certificats()) == 2


def test_a_lot_whose_layout_fails_renders_each_certificate_alone(edition, laureat, monkeypatch, caplog):
    ids = _attendre(edition, 2)
    certificats_html = certificats.certificats_html

    def html(lot):
        assert len(lot) == 1, "la mise en page d'un lot échoue"
        return certificats_html(lot)

    monkeypatch.setattr(certificats, "certificats_html", html)

    assert documents.generer_lot(ids) == 3
    assert "Échec de la préparation d'un lot de documents (certificat)" in caplog.text
    assert len(fichiers_certificats()) == 3


def test_a_lot_whose_layout_killed_its_process_is_rendered_row_by_row_next_time(
    edition, laureat, monkeypatch
):
    """A crash inside the layout (out of memory, the text engine) claims nothing: the lot comes
    back as it was. Laid out together again it would crash again, forever; its rows, still marked,
    are rendered one by one, each claim counting an attempt (``ESSAIS`` then stops a bad row)."""
    ids = _attendre(edition, 2)

    def tuee(lot):
        raise SystemExit("processus tué pendant la mise en page")

    monkeypatch.setattr(certificats, "certificats_html", tuee)
    with pytest.raises(SystemExit):
        documents.generer_lot(ids)
    lignes = Document.objects.filter(pk__in=ids)
    assert {(d.state, d.tentatives) for d in lignes} == {(Document.State.ATTENTE, 0)}

    monkeypatch.undo()
    mises_en_page = []
    mettre_en_page = pdf.mettre_en_page
    monkeypatch.setattr(
        pdf, "mettre_en_page", lambda html, **o: mises_en_page.append(html) or mettre_en_page(html, **o)
    )
    assert documents.generer_lot(ids) == 3
    assert len(mises_en_page) == 3  # each alone
    assert {(d.state, d.tentatives) for d in lignes.all()} == {(Document.State.PRET, 1)}


def _lot_corrige_pendant(edition, laureat, monkeypatch, relance, pendant="autre"):
    """A lot of two certificates, the laureat's second: while the ``pendant`` one renders (the
    other, before the lot claims the laureat's; the laureat's own, after its claim), its result
    is corrected (5@) and ``relance`` runs for its row, as the re-run the correction queues."""
    ajouter_laureats(edition, 1)
    Edition.objects.filter(pk=edition.pk).update(resultats_clos_at=timezone.now())
    publication.publier(edition)  # no worker here: the rows wait
    cible = certificat_de(laureat)
    autre = Document.objects.filter(kind=CERTIFICAT).exclude(pk=cible.pk).get()
    declencheur = {"autre": autre, "cible": cible}[pendant]
    rendre = certificats.certificat_pdf
    corrige = []

    def rendu(document):
        if document.pk == declencheur.pk and not corrige:
            corrige.append(document.pk)
            Resultat.objects.filter(pk=laureat.pk).update(niveau=5)
            Document.objects.filter(pk=cible.pk).update(  # as publication.apres_correction does
                state=Document.State.ATTENTE, tentatives=0, erreur="", updated_at=timezone.now()
            )
            relance(cible.pk)
        return rendre(document)

    monkeypatch.setattr(certificats, "certificat_pdf", rendu)
    fait = documents.generer_lot([autre.pk, cible.pk])
    cible.refresh_from_db()
    return fait, cible


def test_a_lot_gives_up_a_row_corrected_and_generated_meanwhile(edition, laureat, monkeypatch):
    fait, cible = _lot_corrige_pendant(edition, laureat, monkeypatch, documents.generer)
    assert fait == 1 and cible.state == Document.State.PRET
    assert "5 arobases" in pdf_text(cible.fichier.read())
    assert len(fichiers_certificats()) == 2


def test_a_lot_gives_up_a_row_corrected_and_claimed_again_meanwhile(edition, laureat, monkeypatch):
    def prendre(pk):
        documents._prendre(documents.lecture().get(pk=pk), timezone.now())

    fait, cible = _lot_corrige_pendant(edition, laureat, monkeypatch, prendre)
    assert fait == 1 and cible.state == Document.State.EN_COURS and not cible.fichier  # the new run's
    assert len(fichiers_certificats()) == 1


def test_a_lot_gives_up_a_row_corrected_while_it_renders(edition, laureat, monkeypatch):
    fait, cible = _lot_corrige_pendant(edition, laureat, monkeypatch, documents.generer, pendant="cible")
    assert fait == 1 and cible.state == Document.State.PRET
    assert "5 arobases" in pdf_text(cible.fichier.read())
    assert len(fichiers_certificats()) == 2  # the lot's late file for that row is gone


def test_generation_interrupted_leaves_no_orphan_file(edition, laureat, publier):
    """A worker killed while writing left a partial file under the row's final name, the row
    « en cours » pointing to nothing: once its lease is over the beat run takes the row again,
    writes a whole file beside it, then removes it."""
    Edition.objects.filter(pk=edition.pk).update(resultats_clos_at=timezone.now())
    publication.publier(edition)  # the generation is not run (no commit in this test)
    document = certificat_de(laureat)
    cible = document.fichier.field.generate_filename(document, "certificat.pdf")
    partiel = conf.MEDIA_ROOT / cible
    partiel.parent.mkdir(parents=True)
    partiel.write_bytes(b"%PDF-1.7 tronqu")
    Document.objects.filter(pk=document.pk).update(
        state=Document.State.EN_COURS, tentatives=1, updated_at=timezone.now() - datetime.timedelta(minutes=1)
    )

    assert tasks.generer_documents() == 1  # the palmarès files were queued just now: not again
    document.refresh_from_db()
    assert (document.state, document.tentatives) == (Document.State.PRET, 2)
    contenu = document.fichier.read()
    assert contenu.startswith(b"%PDF-") and contenu.rstrip().endswith(b"%%EOF")
    assert not partiel.exists()
    assert fichiers_certificats() == [document.fichier.name.rsplit("/", 1)[1]]


def _claim(document, il_y_a):
    Document.objects.filter(pk=document.pk).update(
        state=Document.State.EN_COURS, tentatives=F("tentatives") + 1, updated_at=timezone.now() - il_y_a
    )


def test_beat_run_takes_a_claim_back_after_its_lease_only(edition, laureat):
    """A certificate « en cours » for less than its lease may be rendering: left alone; past it,
    its worker died: back « en attente » and queued again."""
    Edition.objects.filter(pk=edition.pk).update(resultats_clos_at=timezone.now())
    publication.publier(edition)
    document = certificat_de(laureat)
    _claim(document, datetime.timedelta(seconds=0))
    bail = documents.BAIL[CERTIFICAT]
    now = timezone.now()

    assert document.pk not in documents.a_envoyer(now=now + bail - datetime.timedelta(seconds=5))
    assert Document.objects.get(pk=document.pk).state == Document.State.EN_COURS

    assert document.pk in documents.a_envoyer(now=now + bail + datetime.timedelta(seconds=5))
    document.refresh_from_db()
    assert (document.state, document.tentatives) == (Document.State.ATTENTE, 1)


def test_beat_run_does_not_queue_again_what_was_queued_recently(edition, laureat):
    """During a long generation the rows still queued are not queued twice; a row whose
    message was lost (its worker killed with the lot in hand) is, a little later."""
    ajouter_laureats(edition, 2)
    Edition.objects.filter(pk=edition.pk).update(resultats_clos_at=timezone.now())
    publication.publier(edition)
    now = timezone.now()
    ids = documents.a_envoyer(edition.pk, now)  # the publication's run
    assert len(ids) == 3 + 3  # certificates and palmarès files

    assert documents.a_envoyer(now=now + documents.RENVOI_APRES) == []
    assert documents.a_envoyer(now=now + documents.RENVOI_APRES + datetime.timedelta(seconds=1)) == ids
    assert documents.a_envoyer(edition.pk, now + documents.RENVOI_APRES) == ids  # asked for: queued


def test_claim_interrupted_at_its_last_attempt_is_a_failure_for_staff(edition, laureat):
    Edition.objects.filter(pk=edition.pk).update(resultats_clos_at=timezone.now())
    publication.publier(edition)
    document = certificat_de(laureat)
    Document.objects.filter(pk=document.pk).update(tentatives=documents.ESSAIS - 1)
    _claim(document, documents.BAIL[CERTIFICAT] + datetime.timedelta(seconds=1))

    assert document.pk not in documents.a_envoyer()
    document.refresh_from_db()
    assert (document.state, document.tentatives) == (Document.State.ECHEC, documents.ESSAIS)
    assert document.erreur == (
        "Génération non terminée au 3e essai : le worker s’est arrêté pendant le rendu, "
        "ou le rendu a dépassé son délai."
    )


def test_failing_render_is_recorded_with_its_reason_then_retried(edition, laureat, publier):
    niveau, ten = laureat.niveau, laureat.ten
    candidature = laureat.candidature
    Edition.objects.filter(pk=edition.pk).update(resultats_clos_at=timezone.now())
    publication.publier(edition)
    laureat.delete()  # the renderer finds no result: the generation fails

    tasks.generer_documents(edition.pk)
    document = Document.objects.get(kind=CERTIFICAT, candidature=candidature)
    assert document.state == Document.State.ECHEC
    assert document.tentatives == 1
    assert document.erreur == "DoesNotExist : la candidature n’a pas (ou plus) de résultat"
    assert not document.fichier and fichiers_certificats() == []

    Resultat.objects.create(candidature=candidature, niveau=niveau, ten=ten)
    tasks.generer_documents(edition.pk)  # failed rows are taken again
    document.refresh_from_db()
    assert (document.state, document.tentatives, document.erreur) == (Document.State.PRET, 2, "")
    assert len(fichiers_certificats()) == 1


def test_full_disk_is_recorded_as_a_failure_with_no_file_then_retried(edition, laureat, monkeypatch):
    Edition.objects.filter(pk=edition.pk).update(resultats_clos_at=timezone.now())
    publication.publier(edition)
    real_open = AtomicFileSystemStorage._open_temporary

    def disk_full(storage, path):
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC), path)

    monkeypatch.setattr(AtomicFileSystemStorage, "_open_temporary", disk_full)
    tasks.generer_documents(edition.pk)
    document = Document.objects.get(kind=CERTIFICAT, candidature=laureat.candidature)
    assert document.state == Document.State.ECHEC
    assert document.erreur.startswith("OSError : [Errno 28] No space left on device")
    assert not document.fichier and fichiers_certificats() == []

    monkeypatch.setattr(AtomicFileSystemStorage, "_open_temporary", real_open)
    tasks.generer_documents(edition.pk)  # failed rows are taken again
    document.refresh_from_db()
    assert document.state == Document.State.PRET and len(fichiers_certificats()) == 1


# --- The public verification page -----------------------------------------------------------


def test_verification_confirms_a_genuine_certificate(client, edition, laureat, publier):
    publier(edition)
    document = certificat_de(laureat)
    response = client.get(reverse("label:certificat_verification", args=[document.uuid]))
    assert response.status_code == 200
    page = response.content.decode()
    assert "Certificat authentique" in page
    assert "Saint-Étienne-de-Tinée" in page
    assert "4 arobases" in page
    assert "Label 2027 (28e édition)" in page
    assert "Arobase verte" in page
    assert timezone.localtime(edition.publie_at).strftime("%Y") in page
    assert str(document.uuid) in page


def test_verification_stays_while_a_certificate_is_generated_again(client, edition, laureat, publier):
    publier(edition)
    Document.objects.filter(kind=CERTIFICAT).update(state=Document.State.EN_COURS)
    url = reverse("label:certificat_verification", args=[certificat_de(laureat).uuid])
    assert "Certificat authentique" in client.get(url).content.decode()


@pytest.mark.parametrize("cas", ["inconnu", "malforme", "non_publiee", "pas_pret"])
def test_verification_answers_404_without_hint_of_existence(client, edition, laureat, publier, cas):
    if cas == "non_publiee":  # a ready row of an edition not published (never the case in real life)
        uuid = Document.objects.create(
            edition=edition, kind=CERTIFICAT, candidature=laureat.candidature, state=Document.State.PRET
        ).uuid
    elif cas == "pas_pret":  # published, the certificate not generated yet
        Edition.objects.filter(pk=edition.pk).update(resultats_clos_at=timezone.now())
        publication.publier(edition)
        uuid = certificat_de(laureat).uuid
    else:
        uuid = {"inconnu": "3f2b8c1e-0000-4000-8000-000000000000", "malforme": "pas-un-uuid"}[cas]
    response = client.get(reverse("label:certificat_verification", args=[uuid]))
    assert response.status_code == 404
    page = response.content.decode()
    assert "Certificat inconnu" in page
    assert "Aucun certificat du label" in page
    assert "Saint-Étienne" not in page


# --- The badge ------------------------------------------------------------------------------


def test_badge_is_an_accessible_svg():
    commune = CommuneFactory(nom="Saint-Étienne-de-Tinée & co", code="06120")
    svg = badge_svg(commune, 2027, 4)
    assert svg.startswith("<svg") and 'role="img"' in svg
    assert '<title id="titre">Saint-Étienne-de-Tinée &amp; co\u00a0: label Territoires, Villes et ' in svg
    assert "4 arobases</title>" in svg
    assert ">@@@@</text>" in svg and ">Label 2027</text>" in svg and "Villes Internet" in svg


def test_badge_only_after_publication(client, edition, laureat, publier):
    url = reverse("label:badge", args=["06120", 2027])
    # Even a line of history already there for that year stays hidden under embargo.
    Labellisation.objects.create(collectivite=laureat.candidature.collectivite, annee=2027, niveau=4)
    assert client.get(url).status_code == 404

    publier(edition)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "image/svg+xml; charset=utf-8"
    assert "public" in response["Cache-Control"] and "max-age=86400" in response["Cache-Control"]
    assert ">@@@@</text>" in response.content.decode()
    assert client.get(url, HTTP_IF_NONE_MATCH=response["ETag"]).status_code == 304

    assert client.get(reverse("label:badge", args=["06120", 2026])).status_code == 404
    assert client.get(reverse("label:badge", args=["99999", 2027])).status_code == 404


def test_badge_of_an_imported_year_without_edition(client, laureat):
    Labellisation.objects.create(collectivite=laureat.candidature.collectivite, annee=2015, niveau=2)
    response = client.get(reverse("label:badge", args=["06120", 2015]))
    assert response.status_code == 200 and ">@@</text>" in response.content.decode()


def test_code_integration_links_the_public_page_with_the_absolute_badge(settings):
    settings.SITE_URL = "https://label.villes-internet.net"
    commune = CommuneFactory(nom="Saint-Étienne-de-Tinée", code="06120")
    code = code_integration(commune, 2027, 4)
    assert code.startswith('<a href="https://label.villes-internet.net/collectivites/06120/">')
    assert '<img src="https://label.villes-internet.net/collectivites/06120/badge-2027.svg"' in code
    assert (
        'alt="Saint-Étienne-de-Tinée\u00a0: label Territoires, Villes et Villages Internet 2027, 4 arobases"'
        in code
    )


# --- The members' downloads -----------------------------------------------------------------


def test_member_downloads_the_certificate_once_published(client, edition, laureat, publier):
    url = reverse("label:certificat", args=[laureat.candidature.pk])
    client.force_login(membre_de(laureat))
    assert client.get(url).status_code == 404  # before publication

    publier(edition)
    response = client.get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert (
        response["Content-Disposition"] == 'attachment; filename="certificat-saint-etienne-de-tinee-2027.pdf"'
    )
    assert "private" in response["Cache-Control"]
    assert "Saint-Étienne-de-Tinée" in pdf_text(b"".join(response.streaming_content))


def test_certificate_is_refused_to_others(client, edition, laureat, publier):
    publier(edition)
    url = reverse("label:certificat", args=[laureat.candidature.pk])
    assert client.get(url).status_code == 302  # anonymous: log in first
    client.force_login(MembershipFactory().user)  # another collectivité
    assert client.get(url).status_code == 404
    assert client.get(reverse("label:badge_code", args=[laureat.candidature.pk])).status_code == 404


def test_certificate_being_prepared_says_so(client, edition, laureat, publier):
    Edition.objects.filter(pk=edition.pk).update(resultats_clos_at=timezone.now())
    publication.publier(edition)  # published; the generation has not run yet
    client.force_login(membre_de(laureat))
    response = client.get(reverse("label:certificat", args=[laureat.candidature.pk]))
    assert response.status_code == 200
    assert "est en cours de préparation" in response.content.decode()


def test_member_gets_the_badge_and_its_code(client, edition, laureat, publier, settings):
    settings.SITE_URL = "https://label.villes-internet.net"
    url = reverse("label:badge_code", args=[laureat.candidature.pk])
    client.force_login(membre_de(laureat))
    assert client.get(url).status_code == 404  # before publication

    publier(edition)
    page = client.get(url).content.decode()
    assert '<label for="code-badge">' in page
    assert 'id="code-badge"' in page and "readonly" in page
    assert (
        "&lt;img src=&quot;https://label.villes-internet.net/collectivites/06120/badge-2027.svg&quot;" in page
    )
    assert '<img src="/collectivites/06120/badge-2027.svg"' in page


# --- /espace/ -------------------------------------------------------------------------------


def test_espace_links_a_laureate_to_certificate_badge_and_feedback(client, edition, laureat, publier):
    candidature = laureat.candidature
    client.force_login(membre_de(laureat))
    page = client.get(reverse("label:espace")).content.decode()
    assert reverse("label:certificat", args=[candidature.pk]) not in page  # not before publication

    publier(edition)
    page = client.get(reverse("label:espace")).content.decode()
    assert reverse("label:certificat", args=[candidature.pk]) in page
    assert reverse("label:badge_code", args=[candidature.pk]) in page
    assert reverse("label:retour", args=[candidature.pk]) in page
    assert "4 arobases" in page


def test_espace_query_count_does_not_grow_with_results(client, edition, laureat, publier):
    user = membre_de(laureat)
    publier(edition)
    client.force_login(user)
    client.get(reverse("label:espace"))  # the navigation's juror flag, cached
    with CaptureQueriesContext(connection) as first:
        client.get(reverse("label:espace"))
    for annee in (2025, 2026):
        old = EditionFactory(
            annee=annee,
            state=Edition.State.CLOSE,
            ouverture=timezone.now() - datetime.timedelta(days=(2028 - annee) * 365),
            cloture=timezone.now() - datetime.timedelta(days=(2028 - annee) * 365 - 200),
        )
        for _ in range(2):
            membership = MembershipFactory(user=user)
            Resultat.objects.create(
                candidature=CandidatureFactory(
                    edition=old, collectivite=membership.collectivite, state="deposee"
                ),
                niveau=2,
            )
        publier(old)
    cache.delete(cle_jure(user.pk))
    client.get(reverse("label:espace"))
    with CaptureQueriesContext(connection) as then:
        page = client.get(reverse("label:espace")).content.decode()
    assert len(then) == len(first)
    assert page.count("Certificat 2026 (PDF)") == 2


# --- Staff ----------------------------------------------------------------------------------


def test_staff_see_progress_and_failures_and_relaunch(
    client, staff, edition, laureat, publier, django_capture_on_commit_callbacks
):
    ajouter_laureats(edition, 2)
    candidature = laureat.candidature
    Edition.objects.filter(pk=edition.pk).update(resultats_clos_at=timezone.now())
    publication.publier(edition)
    laureat.delete()
    for _ in range(3):  # failed three times: the automatic runs give up on it
        Document.objects.filter(kind=CERTIFICAT, state=Document.State.ECHEC).update(
            state=Document.State.ATTENTE
        )
        tasks.generer_documents(edition.pk)
    echec = Document.objects.get(kind=CERTIFICAT, candidature=candidature)
    assert (echec.state, echec.tentatives) == (Document.State.ECHEC, 3)
    client.force_login(staff)

    page = client.get(reverse("admin:label_edition_change", args=[edition.pk])).content.decode()
    certificats_prets = Document.objects.filter(state=Document.State.PRET).count()
    assert f"{certificats_prets} / {Document.objects.count()} prêts" in page
    assert f"?edition__id__exact={edition.pk}&amp;state__exact=echec" in page

    liste = client.get(
        reverse("admin:label_document_changelist"),
        {"edition__id__exact": edition.pk, "state__exact": "echec"},
    ).content.decode()
    assert "la candidature n’a pas (ou plus) de résultat" in liste
    assert "Saint-Étienne-de-Tinée" in liste

    Resultat.objects.create(candidature=candidature, niveau=4)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:label_document_changelist"),
            {"action": "relancer", "_selected_action": [echec.pk]},
            follow=True,
        )
    assert "1 document remis en attente" in response.content.decode()
    echec.refresh_from_db()
    assert (echec.state, echec.tentatives, echec.erreur) == (Document.State.PRET, 1, "")


def test_admin_document_list_query_count_does_not_grow(client, staff, edition, laureat):
    Edition.objects.filter(pk=edition.pk).update(resultats_clos_at=timezone.now())
    publication.publier(edition)
    client.force_login(staff)
    url = reverse("admin:label_document_changelist")
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    ajouter_laureats(edition, 30)
    Document.objects.bulk_create(
        [
            Document(edition=edition, kind=CERTIFICAT, candidature=r.candidature)
            for r in Resultat.objects.filter(candidature__documents__isnull=True)
        ]
    )
    with CaptureQueriesContext(connection) as many:
        page = client.get(url).content.decode()
    assert len(many) == len(few)
    assert page.count("En attente") >= 30
