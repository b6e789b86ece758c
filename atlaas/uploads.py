"""Uploaded files are checked by their content (magic bytes), never by their name."""

import errno
import logging
from pathlib import Path

from django.conf import settings
from django.core.exceptions import ValidationError
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _

logger = logging.getLogger(__name__)

SIGNATURES = [
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
]
NOT_STORED = 503  # the status of a page telling that a file could not be stored
IMAGE_TYPES = {"image/png", "image/jpeg", "image/webp"}
ALL_TYPES = IMAGE_TYPES | {"application/pdf"}


def sniff(head):
    """The content type of a file from its first bytes, or None."""
    for signature, content_type, extension in SIGNATURES:
        if head.startswith(signature):
            return content_type, extension
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None


def check_upload(uploaded, allowed=ALL_TYPES, max_bytes=None):
    """Validate an UploadedFile; return (content_type, extension) or raise a French ValidationError."""
    max_bytes = max_bytes or settings.UPLOAD_MAX_FILE_BYTES
    if uploaded.size > max_bytes:
        raise ValidationError(
            _("Ce fichier pèse %(size)s ; la limite est de %(max)s par fichier.")
            % {"size": filesizeformat(uploaded.size), "max": filesizeformat(max_bytes)}
        )
    uploaded.seek(0)
    head = uploaded.read(16)
    uploaded.seek(0)
    found = sniff(head)
    if found is None or found[0] not in allowed:
        kinds = "PDF, PNG, JPEG, WebP" if "application/pdf" in allowed else "PNG, JPEG, WebP"
        raise ValidationError(
            _("Ce fichier n'est pas accepté : seuls les formats %(kinds)s le sont.") % {"kinds": kinds}
        )
    return found


def original_name(name, fallback="fichier", limit=200):
    """The name the user gave (without any folder), shortened to ``limit`` keeping its suffix:
    kept in the row and offered on download, never used on disk."""
    name = Path((name or "").replace("\\", "/")).name or fallback
    if len(name) <= limit:
        return name
    suffix = Path(name).suffix[:10]
    return name[: limit - len(suffix)] + suffix


def file_response(stored, *, inline=False):
    """Serve a stored upload (a row with ``fichier``, ``nom`` and ``content_type``) after the
    caller's permission check: its original name, the type found in its content, no sniffing,
    never kept by shared caches."""
    try:
        handle = stored.fichier.open("rb")
    except FileNotFoundError:
        raise Http404 from None
    response = FileResponse(
        handle, content_type=stored.content_type, as_attachment=not inline, filename=stored.nom
    )
    response["X-Content-Type-Options"] = "nosniff"
    patch_cache_control(response, private=True)
    return response


def storage_failure(error):
    """Log for staff an OSError met while storing a file; return, in French, why it failed."""
    logger.error("Fichier non enregistré : %s", error, exc_info=error)
    if error.errno in (errno.ENOSPC, errno.EDQUOT):
        return _("le serveur manque de place")
    if error.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return _("le serveur n'a pas le droit d'écrire dans son dossier de fichiers")
    return _("une erreur d'écriture est survenue sur le serveur")


def not_stored_message(error):
    """The message shown next to a file field whose file could not be stored."""
    return _(
        "Le fichier n'a pas pu être enregistré : %(reason)s. Vos autres saisies sont restées "
        "dans le formulaire ; choisissez de nouveau le fichier, puis réessayez plus tard ou "
        "prévenez l'équipe de Villes Internet."
    ) % {"reason": storage_failure(error)}
