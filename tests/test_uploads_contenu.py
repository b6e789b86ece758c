"""Uploads are decoded, not trusted: an image is refused above a pixel limit read from its header,
then stored re-encoded, upright and without its metadata (EXIF, GPS position, comments); a PDF
must open without a password and is counted in pages. Every refusal is a French message next to
the file field, with the rest of the form kept and nothing stored."""

import io
import os

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from PIL import ExifTags, Image, ImageCms, PngImagePlugin
from pypdf import PdfWriter

from atlaas.models import FichierFiche, Membership
from atlaas.uploads import check_upload
from label.models import PieceJointe, Question, Reponse
from tests.factories import (
    CandidatureFactory,
    EditionFactory,
    FicheFactory,
    MembershipFactory,
    QuestionFactory,
    SectionFactory,
)
from tests.fichiers import bombe_png, jpeg_bytes, pdf_bytes, pixels, png_bytes
from tests.test_uploads_panne import error_next_to

pytestmark = pytest.mark.django_db

TROP_GRANDE = (
    "Cette image dépasse la limite de 40 mégapixels (largeur × hauteur)\xa0: "
    "réduisez-la, puis envoyez-la de nouveau."
)
ILLISIBLE = (
    "Cette image est illisible ou incomplète\xa0: enregistrez-la de nouveau depuis votre logiciel, "
    "puis envoyez-la de nouveau."
)
PROTEGE = (
    "Ce PDF est protégé par un mot de passe\xa0: enregistrez-en une copie sans mot de passe, "
    "puis envoyez-la de nouveau."
)
PDF_ILLISIBLE = (
    "Ce PDF est illisible ou incomplet\xa0: enregistrez-le de nouveau depuis votre logiciel, "
    "puis envoyez-le de nouveau."
)


def fichier(nom, contenu):
    return SimpleUploadedFile(nom, contenu)


def refus(nom, contenu):
    """The messages of the refusal of an upload."""
    with pytest.raises(ValidationError) as refused:
        check_upload(fichier(nom, contenu))
    return refused.value.messages


def pdf_chiffre(user_password):
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.encrypt(user_password=user_password, owner_password="proprietaire")
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def files_in(root):
    return sorted(os.path.relpath(os.path.join(d, n), root) for d, _s, names in os.walk(root) for n in names)


# --- Images ---------------------------------------------------------------------------------------


def test_image_declaring_400_megapixels_refused_from_its_header():
    bombe = bombe_png()
    assert len(bombe) < 100  # decoding it would fail: the refusal comes before any decoding
    assert refus("bombe.png", bombe) == [TROP_GRANDE]


def test_image_just_over_the_pixel_limit_refused_at_the_limit_accepted(settings):
    settings.UPLOAD_MAX_IMAGE_PIXELS = 2_000_000
    assert refus("grande.png", png_bytes((2001, 1000))) == [
        "Cette image dépasse la limite de 2 mégapixels (largeur × hauteur)\xa0: "
        "réduisez-la, puis envoyez-la de nouveau."
    ]
    assert check_upload(fichier("juste.png", png_bytes((2000, 1000)))).content_type == "image/png"


def test_image_cut_in_the_middle_refused_as_unreadable():
    photo = jpeg_bytes(size=(400, 300))
    assert refus("coupée.jpg", photo[: len(photo) // 2]) == [ILLISIBLE]


def test_jpeg_with_gps_position_stored_without_any_metadata():
    photo = jpeg_bytes(gps=True)
    with Image.open(io.BytesIO(photo)) as sent:
        assert sent.getexif().get_ifd(ExifTags.IFD.GPSInfo)  # the position is there when sent
    checked = check_upload(fichier("atelier.jpg", photo))
    kept = checked.file.read()
    assert (checked.content_type, checked.extension, checked.file.name) == (
        "image/jpeg",
        ".jpg",
        "atelier.jpg",
    )
    with Image.open(io.BytesIO(kept)) as stored:
        assert stored.format == "JPEG" and stored.size == (40, 20)
        assert not stored.getexif() and not stored.getexif().get_ifd(ExifTags.IFD.GPSInfo)
        assert not {"exif", "comment", "xmp", "icc_profile"} & stored.info.keys()
    assert b"Camille" not in kept and b"Exif" not in kept


def test_jpeg_turned_by_its_orientation_tag_stored_upright():
    # Orientation 6: the camera was turned a quarter to the right; the left edge is the top.
    checked = check_upload(fichier("portrait.jpg", jpeg_bytes(size=(40, 20), orientation=6)))
    with Image.open(checked.file) as stored:
        assert stored.size == (20, 40)
        assert not stored.getexif()
        red, green, _blue = stored.getpixel((10, 5))  # the red half is now on top
        assert red > 200 and green < 60
        assert stored.getpixel((10, 35)) > (240, 240, 240)


def test_png_text_exif_and_colour_profile_dropped_pixels_kept():
    image = Image.new("RGBA", (30, 20), (10, 120, 200, 128))
    texte = PngImagePlugin.PngInfo()
    texte.add_text("Author", "Camille Martin")
    texte.add_itxt("XML:com.adobe.xmp", "<x:xmpmeta>Camille</x:xmpmeta>")
    exif = Image.Exif()
    exif[ExifTags.Base.Model] = "Camille"
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    out = io.BytesIO()
    image.save(out, "PNG", pnginfo=texte, exif=exif, icc_profile=srgb)
    checked = check_upload(fichier("logo.png", out.getvalue()))
    kept = checked.file.read()
    assert b"Camille" not in kept and b"iCCP" not in kept and b"eXIf" not in kept
    assert pixels(kept) == pixels(png_bytes_of(image))


def png_bytes_of(image):
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_webp_stored_as_webp_without_its_exif():
    exif = Image.Exif()
    exif[ExifTags.Base.Make] = "Camille"
    out = io.BytesIO()
    Image.new("RGB", (16, 16), "teal").save(out, "WEBP", exif=exif, xmp=b"<x:xmpmeta>Camille</x:xmpmeta>")
    checked = check_upload(fichier("photo.webp", out.getvalue()))
    kept = checked.file.read()
    assert (checked.content_type, checked.extension) == ("image/webp", ".webp")
    assert b"Camille" not in kept and b"EXIF" not in kept and b"XMP" not in kept
    with Image.open(io.BytesIO(kept)) as stored:
        assert stored.format == "WEBP" and stored.size == (16, 16)


# --- PDFs -----------------------------------------------------------------------------------------


def test_pdf_of_three_pages_accepted_and_kept_as_sent():
    content = pdf_bytes(pages=3)
    checked = check_upload(fichier("bilan.pdf", content))
    assert (checked.content_type, checked.extension) == ("application/pdf", ".pdf")
    assert checked.file.read() == content


def test_pdf_needing_a_password_refused():
    assert refus("secret.pdf", pdf_chiffre("motdepasse")) == [PROTEGE]


def test_pdf_protected_only_against_changes_opens_and_is_accepted():
    """Its permissions are protected, not its reading: anyone opens it without a password."""
    assert check_upload(fichier("signé.pdf", pdf_chiffre(""))).content_type == "application/pdf"


@pytest.mark.parametrize(
    "contenu",
    [
        pdf_bytes(pages=3)[:-200],  # cut before its end
        b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n",
        b"%PDF-1.7\n" + b"\x00" * 500,
    ],
    ids=["coupé", "sans table", "vide"],
)
def test_pdf_that_cannot_be_read_refused(contenu):
    assert refus("rapport.pdf", contenu) == [PDF_ILLISIBLE]


def test_pdf_over_the_page_limit_refused(settings):
    settings.UPLOAD_MAX_PDF_PAGES = 2
    assert refus("long.pdf", pdf_bytes(pages=3)) == [
        "Ce PDF compte 3 pages\u202f; la limite est de 2 pages par fichier."
    ]


# --- Pages: the message next to the field, the form kept, nothing stored ---------------------------


@pytest.fixture
def membre(client):
    membership = MembershipFactory(collectivite__nom="Agen", collectivite__code="47001")
    client.force_login(membership.user)
    return membership


def ajouter_a_la_fiche(client, fiche, nom, contenu, legende="Atelier du mercredi"):
    return client.post(
        reverse("atlaas:fiche_fichier_ajouter", args=[fiche.collectivite.code, fiche.pk]),
        {"fichier": fichier(nom, contenu), "legende": legende},
    )


def test_fiche_bomb_refused_next_to_the_field_caption_kept_nothing_stored(client, membre, settings):
    fiche = FicheFactory(collectivite=membre.collectivite)
    response = ajouter_a_la_fiche(client, fiche, "bombe.png", bombe_png())
    assert response.status_code == 200
    assert error_next_to(response, "id_fichier") == TROP_GRANDE
    assert 'value="Atelier du mercredi"' in response.content.decode()
    assert not FichierFiche.objects.exists()
    assert files_in(settings.MEDIA_ROOT) == []


def test_fiche_photo_with_gps_stored_and_served_without_metadata(client, membre):
    fiche = FicheFactory(collectivite=membre.collectivite)
    response = ajouter_a_la_fiche(
        client, fiche, "Atelier.JPG", jpeg_bytes(size=(40, 20), orientation=6, gps=True)
    )
    assert response.status_code == 302
    photo = FichierFiche.objects.get()
    assert (photo.nom, photo.content_type) == ("Atelier.JPG", "image/jpeg")
    served = client.get(reverse("atlaas:fiche_fichier", args=["47001", fiche.pk, photo.pk]))
    kept = b"".join(served.streaming_content)
    assert photo.taille == len(kept) == photo.fichier.size
    with Image.open(io.BytesIO(kept)) as image:
        assert image.size == (20, 40) and not image.getexif()
    assert b"Camille" not in kept


def test_fiche_upload_states_its_limits_next_to_the_field(client, membre):
    fiche = FicheFactory(collectivite=membre.collectivite)
    response = client.get(reverse("atlaas:fiche", args=["47001", fiche.pk]))
    aide = response.context["upload_form"]["fichier"].help_text
    assert aide == (
        "PDF de 200 pages au plus, ou image PNG, JPEG ou WebP de 40 mégapixels au plus\u202f; "
        "10,0\xa0Mio au plus par fichier. Les photos sont enregistrées sans leurs métadonnées "
        "(position GPS, appareil)."
    )
    assert aide in response.content.decode()


@pytest.fixture
def candidature(client):
    membership = MembershipFactory(role=Membership.Role.REFERENT)
    client.force_login(membership.user)
    return CandidatureFactory(edition=EditionFactory(), collectivite=membership.collectivite)


def test_piece_needing_a_password_refused_next_to_the_field_description_kept(client, candidature, settings):
    response = client.post(
        reverse("label:pieces", args=[candidature.pk]),
        {"fichier": fichier("délibération.pdf", pdf_chiffre("motdepasse")), "description": "Du 12 mars"},
    )
    assert response.status_code == 400
    assert error_next_to(response, "id_fichier") == PROTEGE
    assert 'value="Du 12 mars"' in response.content.decode()
    assert "200 pages au plus" in response.content.decode()
    assert not PieceJointe.objects.exists()
    assert files_in(settings.MEDIA_ROOT) == []


def test_piece_photo_counts_in_the_dossier_by_its_stored_size(client, candidature):
    response = client.post(
        reverse("label:pieces", args=[candidature.pk]),
        {"fichier": fichier("local.jpg", jpeg_bytes(gps=True))},
    )
    assert response.status_code == 302
    piece = PieceJointe.objects.get()
    assert piece.taille == piece.fichier.size
    with piece.fichier.open("rb") as stored, Image.open(stored) as image:
        assert not image.getexif()


def test_questionnaire_bomb_and_broken_pdf_refused_other_answers_kept(client, candidature, settings):
    section = SectionFactory(edition=candidature.edition)
    texte = QuestionFactory(section=section, libelle="Élu chargé du numérique")
    photo = QuestionFactory(section=section, libelle="Photo de l'espace", kind=Question.Kind.FILE)
    bilan = QuestionFactory(section=section, libelle="Bilan", kind=Question.Kind.FILE)
    response = client.post(
        reverse("label:questionnaire", args=[candidature.pk]),
        {
            "version": 1,
            f"q_{texte.pk}": "Camille Martin",
            f"q_{photo.pk}": fichier("espace.png", bombe_png()),
            f"q_{bilan.pk}": fichier("bilan.pdf", pdf_bytes(pages=3)[:-200]),
        },
    )
    assert error_next_to(response, f"id_q_{photo.pk}") == TROP_GRANDE
    assert error_next_to(response, f"id_q_{bilan.pk}") == PDF_ILLISIBLE
    assert 'value="Camille Martin"' in response.content.decode()
    assert not PieceJointe.objects.exists()
    assert not Reponse.objects.filter(question__in=[photo, bilan]).exists()
    assert files_in(settings.MEDIA_ROOT) == []


def test_questionnaire_three_page_pdf_accepted(client, candidature):
    bilan = QuestionFactory(section=SectionFactory(edition=candidature.edition), kind=Question.Kind.FILE)
    content = pdf_bytes(pages=3)
    response = client.post(
        reverse("label:questionnaire", args=[candidature.pk]),
        {"version": 1, f"q_{bilan.pk}": fichier("bilan.pdf", content)},
    )
    assert response.status_code == 302
    piece = PieceJointe.objects.get()
    with piece.fichier.open("rb") as stored:
        assert stored.read() == content


def test_image_cut_in_the_middle_is_refused_even_after_weasyprint_was_imported():
    """WeasyPrint lets Pillow load truncated images for the whole process once imported."""
    import weasyprint  # noqa: F401 - its import sets PIL.ImageFile.LOAD_TRUNCATED_IMAGES
    from PIL import ImageFile

    assert ImageFile.LOAD_TRUNCATED_IMAGES is True
    test_image_cut_in_the_middle_refused_as_unreadable()
    assert ImageFile.LOAD_TRUNCATED_IMAGES is True  # set back for WeasyPrint
