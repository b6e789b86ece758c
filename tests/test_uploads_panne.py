"""Uploads when the server cannot store them: a full disk or a media folder that refuses
writes. A file is stored whole or not at all, and the rows and files of a failed save go together."""

import errno
import os
import subprocess

import pytest
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import transaction

from atlaas.storage import AtomicFileSystemStorage, atomic_with_files

pytestmark = pytest.mark.django_db


def pdf_bytes(size):
    """A file of ``size`` bytes that passes the content check as a PDF."""
    return b"%PDF-1.4\n" + b"0" * (size - 9)


def files_in(root):
    """Every file under ``root``, hidden temporary ones included."""
    return sorted(
        os.path.relpath(os.path.join(folder, name), root)
        for folder, _dirs, names in os.walk(root)
        for name in names
    )


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
    content = pdf_bytes(1_000_000)
    name = default_storage.save("fiches/1/photo.pdf", ContentFile(content))
    assert name == "fiches/1/photo.pdf"
    assert files_in(settings.MEDIA_ROOT) == ["fiches/1/photo.pdf"]
    with default_storage.open(name) as stored:
        assert stored.read() == content


def test_storage_disk_full_mid_copy_leaves_no_partial_file(settings, disk_room):
    default_storage.save("fiches/1/avant.pdf", ContentFile(b"deja la"))
    disk_room(299_008)
    with pytest.raises(OSError) as raised:
        default_storage.save("fiches/1/photo.pdf", ContentFile(pdf_bytes(1_000_000)))
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


# --- On a real full disk (tmpfs) ------------------------------------------------------------------


@pytest.mark.faults
def test_storage_on_a_full_tmpfs_raises_enospc_and_leaves_no_partial_file(tmpfs_media):
    default_storage.save("fiches/1/avant.pdf", ContentFile(pdf_bytes(700_000)))
    with pytest.raises(OSError) as raised:
        default_storage.save("fiches/1/photo.pdf", ContentFile(pdf_bytes(1_000_000)))
    assert raised.value.errno == errno.ENOSPC
    assert files_in(tmpfs_media) == ["fiches/1/avant.pdf"]
