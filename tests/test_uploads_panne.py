"""Uploads when the server cannot store them: a full disk or a media folder that refuses
writes. A file is stored whole or not at all, the rows and files of a failed save go together,
and the person sees a French message next to the file field with the rest of the form kept."""

import errno
import html
import os
import re
import subprocess
import time

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.urls import reverse

from atlaas.models import FicheAction, FichierFiche, Membership
from atlaas.storage import AtomicFileSystemStorage, atomic_with_files
from atlaas.tasks import balayer_fichiers_partiels
from label.models import Candidature, Edition, PieceJointe, Question, Reponse
from tests.factories import (
    CandidatureFactory,
    EditionFactory,
    FicheFactory,
    MembershipFactory,
    QuestionFactory,
    SectionFactory,
)
from tests.fichiers import pdf_bytes

pytestmark = pytest.mark.django_db

FULL = "Le fichier n'a pas pu être enregistré\u00a0: le serveur manque de place."
REFUSED = (
    "Le fichier n'a pas pu être enregistré\u00a0: "
    "le serveur n'a pas le droit d'écrire dans son dossier de fichiers."
)
KEPT = "Vos autres saisies sont restées dans le formulaire\u202f; choisissez de nouveau le fichier"


def pdf(size, name="rapport.pdf"):
    """A PDF of ``size`` bytes, that passes the content checks."""
    return SimpleUploadedFile(name, pdf_bytes(size=size), content_type="application/pdf")


def files_in(root):
    """Every file under ``root``, hidden temporary ones included."""
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _dirs, names in os.walk(root)
        for name in names
    )


def error_next_to(response, field_id):
    """The text of the error list rendered just before the input ``field_id``."""
    page = response.content.decode()
    found = re.search(
        rf'<ul class="errorlist" id="{field_id}_error">(.*?)</ul>\s*<input[^>]*id="{field_id}"', page, re.S
    )
    assert found, f"no error list next to #{field_id}"
    return html.unescape(re.sub(r"<[^>]+>", "", found.group(1))).strip()


class _DiskWithLittleRoom:
    """A temporary file that is written to disk until the room left is used up, then fails
    the way a full disk does (the bytes already written stay on disk)."""

    def __init__(self, file, room):
        self.file, self.room = file, room

    def write(self, data):
        if len(data) > self.room[0]:
            self.file.write(data[: self.room[0]])
            self.room[0] = 0
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        self.room[0] -= len(data)
        return self.file.write(data)

    def __getattr__(self, name):
        return getattr(self.file, name)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.file.close()


@pytest.fixture
def disk_room(monkeypatch):
    """``disk_room(n)``: from now on the media disk has ``n`` bytes left for all files."""
    real_open = AtomicFileSystemStorage._open_temporary

    def set_room(room):
        left = [room]
        monkeypatch.setattr(
            AtomicFileSystemStorage,
            "_open_temporary",
            lambda storage, path: _DiskWithLittleRoom(real_open(storage, path), left),
        )

    return set_room


@pytest.fixture
def unwritable_media(settings, monkeypatch):
    """A MEDIA_ROOT folder that refuses writes: read-only. Root, whom folder permissions do
    not stop, is refused instead by the storage's open of its temporary file."""
    media = settings.MEDIA_ROOT
    media.mkdir(parents=True, exist_ok=True)
    media.chmod(0o500)
    try:
        (media / ".essai").touch()
    except PermissionError:
        yield media
        media.chmod(0o700)
        return
    (media / ".essai").unlink()
    media.chmod(0o700)

    def refuse(storage, path):
        raise PermissionError(errno.EACCES, os.strerror(errno.EACCES), path)

    monkeypatch.setattr(AtomicFileSystemStorage, "_open_temporary", refuse)
    yield media


@pytest.fixture
def tmpfs_media(settings, tmp_path):
    """MEDIA_ROOT on a real tmpfs of 1 MiB, mounted for the test and unmounted after it."""
    if os.geteuid() != 0:
        pytest.skip("monter un tmpfs demande d'être root")
    mount_point = tmp_path / "tmpfs"
    mount_point.mkdir()
    mounted = subprocess.run(
        ["mount", "-t", "tmpfs", "-o", "size=1m", "tmpfs", str(mount_point)], capture_output=True, text=True
    )
    if mounted.returncode != 0:
        pytest.skip(f"impossible de monter un tmpfs : {mounted.stderr.strip()}")
    settings.MEDIA_ROOT = mount_point
    try:
        yield mount_point
    finally:
        subprocess.run(["umount", str(mount_point)], check=True)


# --- The storage ---------------------------------------------------------------------------------


def test_storage_saves_the_whole_file_and_no_temporary_one(settings):
    content = pdf_bytes(size=1_000_000)
    name = default_storage.save("fiches/1/photo.pdf", ContentFile(content))
    assert name == "fiches/1/photo.pdf"
    assert files_in(settings.MEDIA_ROOT) == ["fiches/1/photo.pdf"]
    with default_storage.open(name) as stored:
        assert stored.read() == content


def test_storage_disk_full_mid_copy_leaves_no_partial_file(settings, disk_room):
    default_storage.save("fiches/1/avant.pdf", ContentFile(b"deja la"))
    disk_room(299_008)
    with pytest.raises(OSError) as raised:
        default_storage.save("fiches/1/photo.pdf", ContentFile(pdf_bytes(size=1_000_000)))
    assert raised.value.errno == errno.ENOSPC
    assert files_in(settings.MEDIA_ROOT) == ["fiches/1/avant.pdf"]


def test_storage_unwritable_folder_raises_and_leaves_nothing(settings, unwritable_media):
    with pytest.raises(PermissionError):
        default_storage.save("fiches/1/photo.pdf", ContentFile(b"%PDF-1.4"))
    assert files_in(settings.MEDIA_ROOT) == []


def test_storage_never_writes_over_a_file_that_took_the_name_meanwhile(settings):
    default_storage.save("fiches/1/photo.pdf", ContentFile(b"first"))
    # Another process took the name between the storage's check and its write.
    name = default_storage._save("fiches/1/photo.pdf", ContentFile(b"second"))
    assert name != "fiches/1/photo.pdf" and name.startswith("fiches/1/photo")
    assert default_storage.open("fiches/1/photo.pdf").read() == b"first"
    assert default_storage.open(name).read() == b"second"
    assert len(files_in(settings.MEDIA_ROOT)) == 2


def test_partial_files_of_a_killed_write_are_swept_once_an_hour_old(settings):
    dossier = settings.MEDIA_ROOT / "documents" / "2027" / "certificat"
    dossier.mkdir(parents=True)
    vieux, recent = dossier / ".a1.part", dossier / ".b2.part"
    for chemin in (vieux, recent, dossier / "garde.pdf", dossier / "garde.part"):
        chemin.write_bytes(b"%PDF-1.4")
    il_y_a_deux_heures = time.time() - 7200
    os.utime(vieux, (il_y_a_deux_heures, il_y_a_deux_heures))
    os.utime(dossier / "garde.pdf", (il_y_a_deux_heures, il_y_a_deux_heures))

    balayer_fichiers_partiels()

    # A write still running (a recent file) keeps its own; named files are never touched.
    assert sorted(p.name for p in dossier.iterdir()) == [".b2.part", "garde.part", "garde.pdf"]


def test_atomic_with_files_keeps_the_files_of_a_block_that_commits(settings):
    with atomic_with_files():
        default_storage.save("a.pdf", ContentFile(b"a"))
    assert files_in(settings.MEDIA_ROOT) == ["a.pdf"]


def test_atomic_with_files_removes_the_files_of_a_block_that_fails(settings):
    with pytest.raises(ZeroDivisionError), atomic_with_files():
        default_storage.save("a.pdf", ContentFile(b"a"))
        1 / 0  # noqa: B018
    assert files_in(settings.MEDIA_ROOT) == []


def test_atomic_with_files_removes_the_files_of_a_block_marked_for_rollback(settings):
    with atomic_with_files():
        default_storage.save("a.pdf", ContentFile(b"a"))
        transaction.set_rollback(True)
    assert files_in(settings.MEDIA_ROOT) == []


def test_atomic_with_files_removes_an_inner_blocks_files_when_the_outer_one_fails(settings):
    with pytest.raises(ZeroDivisionError), atomic_with_files():
        default_storage.save("outer.pdf", ContentFile(b"a"))
        with atomic_with_files():
            default_storage.save("inner.pdf", ContentFile(b"b"))
        1 / 0  # noqa: B018
    assert files_in(settings.MEDIA_ROOT) == []


def test_atomic_with_files_an_inner_failure_keeps_the_outer_blocks_files(settings):
    with atomic_with_files():
        default_storage.save("outer.pdf", ContentFile(b"a"))
        with pytest.raises(ZeroDivisionError), atomic_with_files():
            default_storage.save("inner.pdf", ContentFile(b"b"))
            1 / 0  # noqa: B018
    assert files_in(settings.MEDIA_ROOT) == ["outer.pdf"]


# --- Fiche action: photo or PDF -------------------------------------------------------------------


@pytest.fixture
def membre(client):
    membership = MembershipFactory(collectivite__nom="Agen", collectivite__code="47001")
    client.force_login(membership.user)
    return membership


def upload_to_fiche(client, fiche, content, legende="Atelier du mercredi"):
    return client.post(
        reverse("atlaas:fiche_fichier_ajouter", args=[fiche.collectivite.code, fiche.pk]),
        {"fichier": content, "legende": legende},
    )


def test_fiche_upload_to_an_unwritable_folder_says_so_next_to_the_field(
    client, membre, settings, unwritable_media, caplog
):
    fiche = FicheFactory(collectivite=membre.collectivite)
    response = upload_to_fiche(client, fiche, pdf(20_000))
    assert response.status_code == 503
    message = error_next_to(response, "id_fichier")
    assert message.startswith(REFUSED) and KEPT in message
    assert 'value="Atelier du mercredi"' in response.content.decode()
    assert not FichierFiche.objects.exists()
    assert files_in(settings.MEDIA_ROOT) == []
    assert [r.levelname for r in caplog.records if r.name == "atlaas.uploads"] == ["ERROR"]


def test_fiche_upload_on_a_full_disk_keeps_no_revision_and_no_file(client, membre, settings, disk_room):
    fiche = FicheFactory(collectivite=membre.collectivite, state=FicheAction.State.PUBLIEE)
    disk_room(100_000)
    response = upload_to_fiche(client, fiche, pdf(1_000_000))
    assert response.status_code == 503
    assert error_next_to(response, "id_fichier").startswith(FULL)
    # the revision opened for the upload went with it
    assert FicheAction.objects.get() == fiche
    assert files_in(settings.MEDIA_ROOT) == []


# --- Candidature: attachments and file questions ---------------------------------------------------


@pytest.fixture
def candidature(client):
    membership = MembershipFactory(role=Membership.Role.REFERENT)
    client.force_login(membership.user)
    return CandidatureFactory(edition=EditionFactory(), collectivite=membership.collectivite)


def test_piece_upload_to_an_unwritable_folder_says_so_next_to_the_field(
    client, candidature, settings, unwritable_media
):
    response = client.post(
        reverse("label:pieces", args=[candidature.pk]),
        {"fichier": pdf(20_000), "description": "Délibération du 12 mars"},
    )
    assert response.status_code == 503
    message = error_next_to(response, "id_fichier")
    assert message.startswith(REFUSED) and KEPT in message
    assert 'value="Délibération du 12 mars"' in response.content.decode()
    assert not PieceJointe.objects.exists()
    candidature.refresh_from_db()
    assert candidature.version == 1
    assert files_in(settings.MEDIA_ROOT) == []


def test_questionnaire_files_on_a_full_disk_none_kept_answers_left_in_the_form(
    client, candidature, settings, disk_room
):
    section = SectionFactory(edition=candidature.edition)
    texte = QuestionFactory(section=section, libelle="Élu chargé du numérique")
    deliberation = QuestionFactory(section=section, libelle="Délibération", kind=Question.Kind.FILE)
    schema = QuestionFactory(section=section, libelle="Schéma directeur", kind=Question.Kind.FILE)
    disk_room(300_000)  # the first file fits, the second does not
    response = client.post(
        reverse("label:questionnaire", args=[candidature.pk]),
        {
            "version": 1,
            f"q_{texte.pk}": "Camille Martin",
            f"q_{deliberation.pk}": pdf(200_000),
            f"q_{schema.pk}": pdf(200_000),
        },
    )
    assert response.status_code == 503
    for question in (deliberation, schema):  # neither file is kept: both must be chosen again
        assert error_next_to(response, f"id_q_{question.pk}").startswith(FULL)
    assert 'value="Camille Martin"' in response.content.decode()
    assert not PieceJointe.objects.exists() and not Reponse.objects.exists()
    assert files_in(settings.MEDIA_ROOT) == []  # the first file went with the rolled back save


def test_reprendre_when_files_cannot_be_copied_says_so_and_keeps_nothing(client, settings, disk_room):
    previous_edition = EditionFactory(annee=2026, numero=27, state=Edition.State.CLOSE)
    edition = EditionFactory()
    referent = MembershipFactory(role=Membership.Role.REFERENT)
    previous = CandidatureFactory(
        edition=previous_edition, collectivite=referent.collectivite, state=Candidature.State.DEPOSEE
    )
    for libelle in ("Délibération", "Schéma directeur"):
        old = QuestionFactory(
            section=SectionFactory(edition=previous_edition), libelle=libelle, kind=Question.Kind.FILE
        )
        QuestionFactory(section=SectionFactory(edition=edition), libelle=libelle, kind=Question.Kind.FILE)
        piece = PieceJointe(candidature=previous, question=old, nom=f"{libelle}.pdf", taille=200_000)
        piece.fichier.save("piece.pdf", ContentFile(pdf_bytes(size=200_000)), save=True)
    before = files_in(settings.MEDIA_ROOT)
    disk_room(300_000)  # room for one copy only
    client.force_login(referent.user)
    url = reverse("label:reprendre", args=[referent.collectivite.code])

    response = client.post(url, follow=True)

    assert response.redirect_chain == [(url, 302)]
    assert "les fichiers du dossier précédent n'ont pas pu être copiés, le serveur manque de place" in (
        html.unescape(response.content.decode())
    )
    assert not Candidature.objects.filter(edition=edition).exists()
    assert files_in(settings.MEDIA_ROOT) == before


# --- On a real full disk (tmpfs) ------------------------------------------------------------------


@pytest.mark.faults
def test_storage_on_a_full_tmpfs_raises_enospc_and_leaves_no_partial_file(tmpfs_media):
    default_storage.save("fiches/1/avant.pdf", ContentFile(pdf_bytes(size=700_000)))
    with pytest.raises(OSError) as raised:
        default_storage.save("fiches/1/photo.pdf", ContentFile(pdf_bytes(size=1_000_000)))
    assert raised.value.errno == errno.ENOSPC
    assert files_in(tmpfs_media) == ["fiches/1/avant.pdf"]


@pytest.mark.faults
def test_fiche_upload_bigger_than_the_room_left_on_a_full_tmpfs(client, membre, tmpfs_media):
    fiche = FicheFactory(collectivite=membre.collectivite)
    assert upload_to_fiche(client, fiche, pdf(600_000, "premier.pdf")).status_code == 302
    response = upload_to_fiche(client, fiche, pdf(600_000, "second.pdf"), legende="Gardée")
    assert response.status_code == 503
    message = error_next_to(response, "id_fichier")
    assert message.startswith(FULL) and KEPT in message
    assert 'value="Gardée"' in response.content.decode()
    assert [f.nom for f in FichierFiche.objects.all()] == ["premier.pdf"]
    assert files_in(tmpfs_media) == [FichierFiche.objects.get().fichier.name]


@pytest.mark.faults
def test_questionnaire_files_on_a_full_tmpfs_leave_no_file(client, candidature, tmpfs_media):
    section = SectionFactory(edition=candidature.edition)
    first = QuestionFactory(section=section, libelle="Délibération", kind=Question.Kind.FILE)
    second = QuestionFactory(section=section, libelle="Schéma directeur", kind=Question.Kind.FILE)
    response = client.post(
        reverse("label:questionnaire", args=[candidature.pk]),
        {"version": 1, f"q_{first.pk}": pdf(600_000), f"q_{second.pk}": pdf(600_000)},
    )
    assert response.status_code == 503
    assert error_next_to(response, f"id_q_{second.pk}").startswith(FULL)
    assert not PieceJointe.objects.exists()
    assert files_in(tmpfs_media) == []
