"""Uploaded files are checked by their content, never by their name: their first bytes tell
their type, then images are decoded and stored re-encoded (upright, without any metadata) and
PDFs are parsed and counted in pages. Every check lives here, for every upload form."""

import errno
import io
import logging
from pathlib import Path
from typing import NamedTuple

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile, File
from django.http import FileResponse, Http404
from django.template.defaultfilters import filesizeformat, floatformat
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from PIL import Image, ImageCms, ImageFile, ImageOps
from pypdf import PdfReader
from pypdf.errors import FileNotDecryptedError

logger = logging.getLogger(__name__)

SIGNATURES = [
    (b"%PDF-", "application/pdf", ".pdf"),
    (b"\x89PNG\r\n\x1a\n", "image/png", ".png"),
    (b"\xff\xd8\xff", "image/jpeg", ".jpg"),
]
NOT_STORED = 503  # the status of a page telling that a file could not be stored
IMAGE_TYPES = {"image/png", "image/jpeg", "image/webp"}
ALL_TYPES = IMAGE_TYPES | {"application/pdf"}
PILLOW_FORMATS = {"image/png": "PNG", "image/jpeg": "JPEG", "image/webp": "WEBP"}
SAVE_OPTIONS = {"PNG": {}, "JPEG": {"quality": 90}, "WEBP": {"quality": 90}}


class Checked(NamedTuple):
    """An upload that passed the checks: its type, found in its content, and what to store."""

    content_type: str
    extension: str
    file: File  # an image re-encoded, named as the upload; a PDF as it was sent


def sniff(head):
    """The content type of a file from its first bytes, or None."""
    for signature, content_type, extension in SIGNATURES:
        if head.startswith(signature):
            return content_type, extension
    if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "image/webp", ".webp"
    return None


def check_upload(uploaded, allowed=ALL_TYPES, max_bytes=None):
    """Check an UploadedFile by its size, its first bytes and its content; return ``Checked``,
    whose ``file`` is what to store, or raise a French ValidationError."""
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
    content_type, extension = found
    if content_type == "application/pdf":
        check_pdf(uploaded)
        return Checked(content_type, extension, uploaded)
    return Checked(content_type, extension, clean_image(uploaded, content_type))


def _megapixels():
    return floatformat(settings.UPLOAD_MAX_IMAGE_PIXELS / 1_000_000, -1)


def upload_help():
    """The limits of an upload field, in French, for its help text."""
    return _(
        "PDF de %(pages)s pages au plus, ou image PNG, JPEG ou WebP de %(pixels)s mégapixels au "
        "plus ; %(max)s au plus par fichier. Les photos sont enregistrées sans leurs métadonnées "
        "(position GPS, appareil)."
    ) % {
        "pages": settings.UPLOAD_MAX_PDF_PAGES,
        "pixels": _megapixels(),
        "max": filesizeformat(settings.UPLOAD_MAX_FILE_BYTES),
    }


def clean_image(uploaded, content_type):
    """The image re-encoded in its format, upright and bare: no EXIF (GPS position, device), no
    XMP, no comment, no colour profile (its colours are first converted to sRGB). Raise a French
    ValidationError when it has more pixels than the limit, read from its header before any
    pixel is decoded, or when it cannot be decoded whole."""
    try:
        data = _reencoded(uploaded, PILLOW_FORMATS[content_type])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning):
        raise ValidationError(
            _(
                "Cette image dépasse la limite de %(max)s mégapixels (largeur × hauteur) : "
                "réduisez-la, puis envoyez-la de nouveau."
            )
            % {"max": _megapixels()}
        ) from None
    except Exception as error:  # noqa: BLE001 - whatever a damaged or hostile file makes Pillow raise
        logger.info("Image refusée (%s) : %r", uploaded.name, error)
        raise ValidationError(
            _(
                "Cette image est illisible ou incomplète : enregistrez-la de nouveau depuis votre "
                "logiciel, puis envoyez-la de nouveau."
            )
        ) from None
    finally:
        uploaded.seek(0)
    return ContentFile(data, name=uploaded.name)


def _reencoded(uploaded, image_format):
    uploaded.seek(0)
    with Image.open(uploaded, formats=[image_format]) as image:
        # Only the header is read so far: the size is known before any pixel is decoded.
        if image.width * image.height > settings.UPLOAD_MAX_IMAGE_PIXELS:
            raise Image.DecompressionBombError(f"{image.width} × {image.height}")
        image.verify()
    uploaded.seek(0)
    # WeasyPrint, once imported, lets Pillow load truncated images (a module-wide flag): not here,
    # where a cut image must be refused. Processes are single-threaded (gunicorn sync, Celery
    # prefork), so the flag is set back at once.
    truncated, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
    try:
        with Image.open(uploaded, formats=[image_format]) as image:  # verify() leaves it unusable
            image.load()
            ImageOps.exif_transpose(image, in_place=True)  # turned as the camera said
    finally:
        ImageFile.LOAD_TRUNCATED_IMAGES = truncated
    image = _in_srgb(image)
    # The pixels and what draws them, nothing else: save() writes what ``info`` holds.
    transparency = image.info.get("transparency")
    image.info = {} if transparency is None else {"transparency": transparency}
    out = io.BytesIO()
    image.save(out, image_format, **SAVE_OPTIONS[image_format])
    return out.getvalue()


def _in_srgb(image):
    """The image with its colours converted from its embedded profile to sRGB, which is what a
    browser assumes of an image without one; unchanged when the profile can't be applied."""
    profile = image.info.get("icc_profile")
    if not profile or image.mode not in ("RGB", "RGBA", "CMYK"):
        return image
    try:
        return ImageCms.profileToProfile(
            image,
            io.BytesIO(profile),
            ImageCms.createProfile("sRGB"),
            outputMode="RGBA" if image.mode == "RGBA" else "RGB",
        )
    except (ImageCms.PyCMSError, OSError, ValueError):
        return image


def check_pdf(uploaded):
    """Return the number of pages of a PDF; raise a French ValidationError when it needs a
    password, cannot be read, or has more pages than the limit."""
    limit = settings.UPLOAD_MAX_PDF_PAGES
    uploaded.seek(0)
    try:
        reader = PdfReader(uploaded)
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileNotDecryptedError
        pages = len(reader.pages)
    except FileNotDecryptedError:
        raise ValidationError(
            _(
                "Ce PDF est protégé par un mot de passe : enregistrez-en une copie sans mot de "
                "passe, puis envoyez-la de nouveau."
            )
        ) from None
    except Exception as error:  # noqa: BLE001 - whatever a damaged or hostile file makes pypdf raise
        logger.info("PDF refusé (%s) : %r", uploaded.name, error)
        pages = 0
    finally:
        uploaded.seek(0)
    if pages < 1:
        raise ValidationError(
            _(
                "Ce PDF est illisible ou incomplet : enregistrez-le de nouveau depuis votre "
                "logiciel, puis envoyez-le de nouveau."
            )
        )
    if pages > limit:
        raise ValidationError(
            _("Ce PDF compte %(pages)s pages ; la limite est de %(max)s pages par fichier.")
            % {"pages": pages, "max": limit}
        )
    return pages


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
