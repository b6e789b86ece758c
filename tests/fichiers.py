"""Real files for upload tests, made on the spot: they pass the content checks of
atlaas/uploads.py (images are decoded, PDFs parsed)."""

import io
import struct
import zlib

from PIL import ExifTags, Image
from pypdf import PdfWriter


def png_bytes(size=(4, 3), color="teal"):
    """A PNG image of ``size`` pixels, one colour."""
    out = io.BytesIO()
    Image.new("RGB", size, color).save(out, "PNG")
    return out.getvalue()


def pixels(content):
    """What an image shows: its size, mode and pixels, whatever the bytes that encode them."""
    with Image.open(io.BytesIO(content)) as image:
        return image.size, image.mode, image.tobytes()


def jpeg_bytes(size=(40, 20), orientation=None, gps=False):
    """A JPEG photo whose left half is red and right half white, with an EXIF block naming the
    camera, and optionally an orientation tag and a GPS position (Paris, Hôtel de Ville)."""
    image = Image.new("RGB", size, "white")
    image.paste("red", (0, 0, size[0] // 2, size[1]))
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Téléphone de Camille"
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    if gps:
        position = exif.get_ifd(ExifTags.IFD.GPSInfo)
        position[ExifTags.GPS.GPSLatitudeRef] = "N"
        position[ExifTags.GPS.GPSLatitude] = (48.0, 51.0, 24.0)
        position[ExifTags.GPS.GPSLongitudeRef] = "E"
        position[ExifTags.GPS.GPSLongitude] = (2.0, 21.0, 8.0)
    out = io.BytesIO()
    image.save(out, "JPEG", exif=exif, comment=b"Prise par Camille")
    return out.getvalue()


def pdf_bytes(pages=1, size=None):
    """A PDF of ``pages`` blank pages; exactly ``size`` bytes long when given (the padding is a
    metadata entry)."""

    def written(padding):
        writer = PdfWriter()
        for _ in range(pages):
            writer.add_blank_page(595, 842)
        if padding:
            writer.add_metadata({"/Padding": "0" * padding})
        out = io.BytesIO()
        writer.write(out)
        return out.getvalue()

    content = written(0)
    if size is None:
        return content
    padding = size - len(content)
    for _ in range(3):  # the padding moves the numbers of the cross-reference table
        content = written(padding)
        if len(content) == size:
            return content
        padding -= len(content) - size
    raise AssertionError(f"no PDF of exactly {size} bytes")


def bombe_png(width=20_000, height=20_000):
    """A PNG of a few dozen bytes whose header declares ``width`` × ``height`` pixels (400 megapixels for the
    default): a 1×1 image whose IHDR chunk is rewritten, its checksum too. Decoding it would
    fail; a check that reads the header first refuses it for its size."""
    out = io.BytesIO()
    Image.new("1", (1, 1)).save(out, "PNG")
    png = out.getvalue()
    start = png.index(b"IHDR")
    header = struct.pack(">II", width, height) + png[start + 12 : start + 17]
    crc = struct.pack(">I", zlib.crc32(b"IHDR" + header))
    return png[:start] + b"IHDR" + header + crc + png[start + 21 :]
