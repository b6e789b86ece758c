"""Media files are written whole or not at all, and go with the rows that name them.

``AtomicFileSystemStorage`` (the default storage, see ``STORAGES``) writes a file under a
temporary name in its final folder, flushes it to disk, then gives it its name in one step: a
full disk or a folder that refuses writes raises ``OSError`` and leaves nothing behind, never a
file cut in the middle. ``atomic_with_files`` is ``transaction.atomic`` for the code that saves
files: when its transaction rolls back, the files saved inside it are removed too.

On S3 (django-storages) an object appears whole or not at all by itself; a storage class for it
would record its saves in ``_saved_in_block`` the same way, for ``atomic_with_files`` to see them.
"""

import contextvars
import logging
import os
import time
import uuid
from contextlib import contextmanager, suppress

from django.core.files.storage import FileSystemStorage
from django.db import transaction
from django.utils._os import safe_makedirs

logger = logging.getLogger(__name__)

SUFFIXE_PARTIEL = ".part"

# The list of (storage, name) saved inside the innermost running ``atomic_with_files`` block.
_saved_in_block = contextvars.ContextVar("saved_in_block", default=None)


def _synchroniser(dossier):
    """The folder's entries on disk, as the file's contents already are: a row that names the
    file once its transaction commits never points to a name a power cut took back."""
    descripteur = os.open(dossier, os.O_RDONLY)
    try:
        os.fsync(descripteur)
    finally:
        os.close(descripteur)


class AtomicFileSystemStorage(FileSystemStorage):
    """FileSystemStorage whose files appear whole or not at all."""

    def _save(self, name, content):
        directory = os.path.dirname(self.path(name))
        if self.directory_permissions_mode is not None:
            safe_makedirs(directory, self.directory_permissions_mode, exist_ok=True)
        else:
            os.makedirs(directory, exist_ok=True)
        # A hidden name in the same folder, unknown to any row: the final step is then a link
        # on one file system, never a copy.
        temporary = os.path.join(directory, f".{uuid.uuid4().hex}{SUFFIXE_PARTIEL}")
        try:
            with self._open_temporary(temporary) as out:
                for chunk in content.chunks():
                    out.write(chunk if isinstance(chunk, bytes) else chunk.encode())
                out.flush()
                os.fsync(out.fileno())
            if self.file_permissions_mode is not None:
                os.chmod(temporary, self.file_permissions_mode)
            name = self._give_name(temporary, name)
        finally:
            with suppress(FileNotFoundError):
                os.remove(temporary)
        _synchroniser(directory)
        full_path = self.path(name)
        self._ensure_location_group_id(full_path)
        name = os.path.relpath(full_path, self.location).replace("\\", "/")
        saved = _saved_in_block.get()
        if saved is not None:
            saved.append((self, name))
        return name

    def _open_temporary(self, path):
        return open(path, "xb")

    def _give_name(self, temporary, name):
        """Link the whole file under ``name``, or under a free variant when another file took
        that name meanwhile: a file is never written over (unless the storage allows it)."""
        while True:
            try:
                if self._allow_overwrite:
                    os.replace(temporary, self.path(name))
                else:
                    os.link(temporary, self.path(name))
            except FileExistsError:
                name = self.get_available_name(name)
            else:
                return name


@contextmanager
def atomic_with_files(using=None):
    """``transaction.atomic()`` whose rows and files go together: when the block rolls back
    (an exception, or ``transaction.set_rollback(True)``), the files saved inside it are
    removed. Blocks nest: an inner block's files are removed when the outer one rolls back.
    Use it as the outermost transaction of the code that saves files (a plain
    ``transaction.atomic`` around it would roll back without telling it)."""
    outer = _saved_in_block.get()
    saved = []
    token = _saved_in_block.set(saved)
    try:
        with transaction.atomic(using=using):
            yield
            rolled_back = transaction.get_rollback(using=using)
    except BaseException:
        _remove(saved)
        raise
    finally:
        _saved_in_block.reset(token)
    if rolled_back:
        _remove(saved)
    elif outer is not None:
        outer.extend(saved)


def _remove(saved):
    for storage, name in saved:
        try:
            storage.delete(name)
        except OSError:
            logger.exception("Fichier d'une transaction annulée non supprimé : %s", name)


def balayer_partiels(racine, age=3600):
    """Remove the temporary files older than ``age`` seconds under ``racine``: only a process
    killed in the middle of a write (``kill -9``, a machine stopped) leaves one, since every
    other way out of ``_save`` removes its own. Returns how many went."""
    limite = time.time() - age
    partis = 0
    for dossier, _, noms in os.walk(racine):
        for nom in noms:
            if not (nom.startswith(".") and nom.endswith(SUFFIXE_PARTIEL)):
                continue
            chemin = os.path.join(dossier, nom)
            with suppress(FileNotFoundError):
                if os.stat(chemin).st_mtime < limite:
                    os.remove(chemin)
                    partis += 1
    if partis:
        logger.warning("%d fichier(s) partiel(s) laissé(s) par une écriture interrompue supprimé(s)", partis)
    return partis
