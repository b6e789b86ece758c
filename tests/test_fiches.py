"""A collectivité's fiches actions: the form, files, moderation, revisions, permissions."""

import datetime
import html

import pytest
from django.core.cache import cache
from django.core.files.base import ContentFile
from django.urls import reverse

from atlaas.models import FicheAction, FicheTransition, FichierFiche, Membership
from atlaas.workflow import revision_for_edit, set_fiche_state
from jury.context_processors import cle_jure
from tests.factories import (
    CategorieFactory,
    EnjeuFactory,
    FicheFactory,
    MembershipFactory,
    ServiceFactory,
    UserFactory,
)
from tests.fichiers import pdf_bytes, pixels, png_bytes

pytestmark = pytest.mark.django_db

State = FicheAction.State


PDF = pdf_bytes()


@pytest.fixture
def services():
    """Two catégories, three enjeux, four active services and an inactive one."""
    democratie = CategorieFactory(nom="Démocratie et services publics", ordre=1)
    vivre = CategorieFactory(nom="Vivre ensemble", ordre=2)
    services_publics = EnjeuFactory(categorie=democratie, nom="Services publics", ordre=1)
    democratie_locale = EnjeuFactory(categorie=democratie, nom="Démocratie locale", ordre=2)
    mediation = EnjeuFactory(categorie=vivre, nom="Médiation", ordre=1)
    return {
        "demarches": ServiceFactory(enjeu=services_publics, nom="Dématérialisation des démarches"),
        "participation": ServiceFactory(enjeu=democratie_locale, nom="Participation citoyenne"),
        "inclusion": ServiceFactory(enjeu=mediation, nom="Inclusion et médiation numérique"),
        "seniors": ServiceFactory(enjeu=mediation, nom="Ateliers pour les seniors"),
        "ancien": ServiceFactory(enjeu=mediation, nom="Minitel municipal", actif=False),
    }


@pytest.fixture
def membre(client):
    """A contributeur of a commune, logged in."""
    membership = MembershipFactory(collectivite__nom="Agen", collectivite__code="47001")
    client.force_login(membership.user)
    return membership


def url(name, membership_or_code, *args):
    code = getattr(getattr(membership_or_code, "collectivite", None), "code", membership_or_code)
    return reverse(f"atlaas:{name}", args=[code, *args])


def form_data(services, **overrides):
    data = {
        "titre": "Espace public numérique",
        "sous_titre": "Un lieu d'accès libre au numérique",
        "description": "Ouverture d'un espace public numérique à la médiathèque.",
        "synthese": "",
        "resultats": "",
        "recommandations": "",
        "services": [str(s.pk) for s in services],
        "date_debut": "2025-03-01",
        "en_cours": "on",
        "date_fin": "",
        "public_cible": "Tous publics",
        "budget": "12000",
        "outils": "",
        "partenaires": "",
        "liens": "https://www.agen.fr/epn\nhttps://atlaas.fr/fiche",
        "contacts-TOTAL_FORMS": "1",
        "contacts-INITIAL_FORMS": "0",
        "contacts-MIN_NUM_FORMS": "0",
        "contacts-MAX_NUM_FORMS": "1000",
        "contacts-0-nom": "Camille Martin",
        "contacts-0-fonction": "Chargée de mission numérique",
        "contacts-0-email": "c.martin@agen.fr",
    }
    data.update(overrides)
    return data


def text(response):
    """The page as a person reads it (entities decoded)."""
    return html.unescape(response.content.decode())


def errors_of(response, field):
    """The error messages shown next to a field of the fiche form."""
    return list(response.context["form"].errors.get(field, []))


# --- The form ------------------------------------------------------------------------------------


def test_fiche_nouvelle_creates_a_draft_with_services_and_contacts(client, membre, services):
    response = client.post(
        url("fiche_nouvelle", membre), form_data([services["demarches"], services["inclusion"]])
    )
    fiche = FicheAction.objects.get()
    assert response.status_code == 302
    assert response.url == url("fiche", membre, fiche.pk)
    assert fiche.state == State.BROUILLON
    assert fiche.collectivite == membre.collectivite
    assert fiche.created_by == membre.user
    assert set(fiche.services.all()) == {services["demarches"], services["inclusion"]}
    assert [(c.nom, c.email) for c in fiche.contacts.all()] == [("Camille Martin", "c.martin@agen.fr")]
    assert fiche.liens == "https://www.agen.fr/epn\nhttps://atlaas.fr/fiche"
    assert fiche.budget == 12000
    page = client.get(response.url).content.decode()
    assert "Espace public numérique" in page
    assert "Dématérialisation des démarches" in page
    assert "Soumettre à la modération" in page


def test_fiche_form_groups_services_by_categorie_and_enjeu(client, membre, services):
    page = client.get(url("fiche_nouvelle", membre)).content.decode()
    democratie = page.index("<legend>Démocratie et services publics</legend>")
    vivre = page.index("<legend>Vivre ensemble</legend>")
    assert (
        democratie
        < page.index("Services publics</strong>")
        < page.index("Démocratie locale</strong>")
        < vivre
    )
    assert page.index("Médiation</strong>") > vivre
    assert 'role="group"' in page
    for key in ["demarches", "participation", "inclusion", "seniors"]:
        assert f'value="{services[key].pk}"' in page
        assert f'<label for="id_services_{services[key].pk}">{services[key].nom}</label>' in page
    assert "Minitel municipal" not in page  # inactive services are not offered


def test_fiche_form_without_service_french_message_and_input_kept(client, membre, services):
    response = client.post(url("fiche_nouvelle", membre), form_data([]))
    assert response.status_code == 200
    assert errors_of(response, "services") == ["Choisissez au moins un service."]
    page = response.content.decode()
    assert 'id="id_services_error"' in page
    assert 'value="Espace public numérique"' in page
    assert 'value="Camille Martin"' in page
    assert not FicheAction.objects.exists()


def test_fiche_form_checked_services_are_kept_on_error(client, membre, services):
    response = client.post(url("fiche_nouvelle", membre), form_data([services["seniors"]], titre=""))
    assert errors_of(response, "titre")
    page = response.content.decode()
    checkbox = page[page.index(f'value="{services["seniors"].pk}"') :][:200]
    assert "checked" in checkbox


def test_fiche_form_end_before_start_refused(client, membre, services):
    response = client.post(
        url("fiche_nouvelle", membre),
        form_data([services["demarches"]], date_debut="2025-03-01", date_fin="2024-12-31", en_cours=""),
    )
    assert errors_of(response, "date_fin") == ["La date de fin ne peut pas précéder la date de début."]
    assert 'value="2024-12-31"' in response.content.decode()
    assert not FicheAction.objects.exists()


def test_fiche_form_end_date_required_unless_ongoing(client, membre, services):
    response = client.post(
        url("fiche_nouvelle", membre), form_data([services["demarches"]], en_cours="", date_fin="")
    )
    assert errors_of(response, "date_fin") == ["Indiquez la date de fin ou cochez «\u00a0en cours\u00a0»."]
    response = client.post(
        url("fiche_nouvelle", membre), form_data([services["demarches"]], en_cours="", date_fin="2025-09-30")
    )
    assert response.status_code == 302
    assert FicheAction.objects.get().date_fin == datetime.date(2025, 9, 30)


def test_fiche_form_start_date_required(client, membre, services):
    response = client.post(url("fiche_nouvelle", membre), form_data([services["demarches"]], date_debut=""))
    assert errors_of(response, "date_debut") == ["Ce champ est obligatoire."]


def test_fiche_form_names_the_bad_link_line(client, membre, services):
    liens = "https://www.agen.fr/epn\nwww.agen.fr sans protocole\nhttps://ok.fr"
    response = client.post(url("fiche_nouvelle", membre), form_data([services["demarches"]], liens=liens))
    [message] = errors_of(response, "liens")
    assert message.startswith(
        "Ligne 2\u00a0: «\u00a0www.agen.fr sans protocole\u00a0» n'est pas une adresse web valide"
    )
    assert "www.agen.fr sans protocole" in response.content.decode()
    javascript = client.post(
        url("fiche_nouvelle", membre), form_data([services["demarches"]], liens="javascript:alert(1)")
    )
    assert errors_of(javascript, "liens")[0].startswith("Ligne 1\u00a0:")


def test_fiche_form_refuses_too_long_text_instead_of_truncating(client, membre, services):
    response = client.post(
        url("fiche_nouvelle", membre), form_data([services["demarches"]], description="é" * 20001)
    )
    assert errors_of(response, "description") == [
        "Assurez-vous que cette valeur comporte au plus 20000 caractères (actuellement 20001)."
    ]
    assert 'maxlength="20000"' not in response.content.decode()  # a pasted text is never cut silently
    assert not FicheAction.objects.exists()
    titre = client.post(url("fiche_nouvelle", membre), form_data([services["demarches"]], titre="x" * 201))
    assert errors_of(titre, "titre")[0].startswith("Assurez-vous que cette valeur comporte au plus 200")


def test_fiche_form_requires_a_contact(client, membre, services):
    data = form_data([services["demarches"]])
    data.update({"contacts-0-nom": "", "contacts-0-fonction": "", "contacts-0-email": ""})
    response = client.post(url("fiche_nouvelle", membre), data)
    assert response.status_code == 200
    assert list(response.context["formset"].non_form_errors()) == [
        "Indiquez au moins un contact\u00a0: son nom et son adresse e-mail."
    ]
    assert "Indiquez au moins un contact" in response.content.decode()
    assert not FicheAction.objects.exists()


def test_fiche_form_contact_needs_a_valid_email(client, membre, services):
    data = form_data([services["demarches"]], **{"contacts-0-email": "pas-une-adresse"})
    response = client.post(url("fiche_nouvelle", membre), data)
    assert response.context["formset"].forms[0].errors["email"] == [
        "Saisissez une adresse de courriel valide."
    ]
    assert 'value="pas-une-adresse"' in response.content.decode()


def test_fiche_edit_replaces_contacts_and_services(client, membre, services):
    fiche = FicheFactory(collectivite=membre.collectivite, services=[services["demarches"]])
    contact = fiche.contacts.get()
    page = client.get(url("fiche_modifier", membre, fiche.pk)).content.decode()
    assert 'value="Camille Martin"' in page
    data = form_data([services["participation"]], titre="Nouveau titre")
    data.update(
        {
            "contacts-TOTAL_FORMS": "2",
            "contacts-INITIAL_FORMS": "1",
            "contacts-0-id": str(contact.pk),
            "contacts-0-fiche": str(fiche.pk),
            "contacts-0-DELETE": "on",
            "contacts-1-nom": "Dominique Roux",
            "contacts-1-fonction": "",
            "contacts-1-email": "d.roux@agen.fr",
        }
    )
    response = client.post(url("fiche_modifier", membre, fiche.pk), data)
    assert response.status_code == 302
    fiche.refresh_from_db()
    assert fiche.titre == "Nouveau titre"
    assert list(fiche.services.all()) == [services["participation"]]
    assert [c.nom for c in fiche.contacts.all()] == ["Dominique Roux"]


def test_fiche_soumise_cannot_be_edited_until_withdrawn(client, membre, services):
    fiche = FicheFactory(collectivite=membre.collectivite, state=State.SOUMISE)
    response = client.get(url("fiche_modifier", membre, fiche.pk), follow=True)
    assert "retirez-la de la modération pour la modifier" in response.content.decode()
    response = client.post(url("fiche_modifier", membre, fiche.pk), form_data([services["demarches"]]))
    fiche.refresh_from_db()
    assert fiche.titre != "Espace public numérique"


# --- Files ---------------------------------------------------------------------------------------


def upload(client, membership, fiche, name, content, legende=""):
    return client.post(
        url("fiche_fichier_ajouter", membership, fiche.pk),
        {"fichier": ContentFile(content, name=name), "legende": legende},
    )


@pytest.mark.parametrize(
    ("name", "content", "content_type", "extension"),
    [
        ("Atelier à la médiathèque.PNG", png_bytes(), "image/png", ".png"),
        ("Bilan 2025.pdf", PDF, "application/pdf", ".pdf"),
    ],
)
def test_fiche_upload_accepted_with_generated_name(client, membre, name, content, content_type, extension):
    fiche = FicheFactory(collectivite=membre.collectivite)
    response = upload(client, membre, fiche, name, content, legende="Une légende")
    assert response.status_code == 302
    fichier = FichierFiche.objects.get()
    assert fichier.fiche == fiche
    assert fichier.nom == name
    assert fichier.content_type == content_type
    assert fichier.fichier.name.startswith(f"fiches/{fiche.pk}/")
    assert fichier.fichier.name.endswith(extension)
    assert name not in fichier.fichier.name
    with fichier.fichier.open("rb") as stored:
        kept = stored.read()
    assert fichier.taille == len(kept)
    if extension == ".pdf":
        assert kept == content  # as sent
    else:  # decoded, then encoded again: the same pixels
        assert pixels(kept) == pixels(content)


def test_fiche_upload_extension_comes_from_the_content_not_the_name(client, membre):
    fiche = FicheFactory(collectivite=membre.collectivite)
    upload(client, membre, fiche, "rapport.exe", PDF)
    fichier = FichierFiche.objects.get()
    assert fichier.fichier.name.endswith(".pdf")
    assert fichier.nom == "rapport.exe"


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("deliberation.pdf", b"Ceci n'est pas un PDF, juste du texte."),
        ("photo.png", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 64),
        ("image.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00;"),
    ],
)
def test_fiche_upload_refused_by_content_message_next_to_the_field(client, membre, name, content):
    fiche = FicheFactory(collectivite=membre.collectivite)
    response = upload(client, membre, fiche, name, content, legende="Légende gardée")
    assert response.status_code == 200
    assert response.context["upload_form"].errors["fichier"] == [
        "Ce fichier n'est pas accepté\u00a0: seuls les formats PDF, PNG, JPEG, WebP le sont."
    ]
    page = response.content.decode()
    assert 'id="id_fichier_error"' in page
    assert 'value="Légende gardée"' in page
    assert not FichierFiche.objects.exists()


def test_fiche_upload_too_big_refused(client, membre, settings):
    settings.UPLOAD_MAX_FILE_BYTES = 100
    fiche = FicheFactory(collectivite=membre.collectivite)
    response = upload(client, membre, fiche, "gros.pdf", PDF + b"0" * 200)
    [message] = response.context["upload_form"].errors["fichier"]
    assert message.startswith("Ce fichier pèse")
    assert "la limite est de 100" in message
    assert not FichierFiche.objects.exists()


def test_fiche_upload_without_file_asks_for_one(client, membre):
    fiche = FicheFactory(collectivite=membre.collectivite)
    response = client.post(url("fiche_fichier_ajouter", membre, fiche.pk), {"legende": ""})
    assert response.context["upload_form"].errors["fichier"] == ["Ce champ est obligatoire."]


def stored_file(fiche, name="photo.png", content=None, content_type="image/png"):
    content = content or png_bytes()
    fichier = FichierFiche(fiche=fiche, nom=name, content_type=content_type, taille=len(content))
    fichier.fichier.save("x" + ("." + name.rsplit(".", 1)[-1]), ContentFile(content), save=True)
    return fichier


def test_fiche_file_served_to_members_with_its_original_name(client, membre):
    fiche = FicheFactory(collectivite=membre.collectivite)
    pdf = stored_file(fiche, "Délibération du conseil.pdf", PDF, "application/pdf")
    response = client.get(url("fiche_fichier", membre, fiche.pk, pdf.pk))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == PDF
    assert response["Content-Type"] == "application/pdf"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''D%C3%A9lib%C3%A9ration%20du%20conseil.pdf" in response["Content-Disposition"]
    assert "private" in response["Cache-Control"]
    photo = stored_file(fiche, "photo.png")
    response = client.get(url("fiche_fichier", membre, fiche.pk, photo.pk))
    assert response["Content-Type"] == "image/png"
    assert response["Content-Disposition"] == 'inline; filename="photo.png"'


def test_fiche_file_is_404_for_others_and_anonymous(client, membre):
    fiche = FicheFactory(collectivite=membre.collectivite)
    photo = stored_file(fiche)
    path = url("fiche_fichier", membre, fiche.pk, photo.pk)
    client.logout()
    assert client.get(path).status_code == 404
    other = MembershipFactory()
    client.force_login(other.user)
    assert client.get(path).status_code == 404
    # the file of A's fiche through B's own collectivité: still nothing
    assert client.get(url("fiche_fichier", other, fiche.pk, photo.pk)).status_code == 404
    staff = UserFactory(is_staff=True, is_superuser=True)
    client.force_login(staff)
    assert client.get(path).status_code == 404


def test_fiche_file_of_another_fiche_is_404(client, membre):
    fiche = FicheFactory(collectivite=membre.collectivite)
    other_fiche = FicheFactory()
    photo = stored_file(other_fiche)
    assert client.get(url("fiche_fichier", membre, fiche.pk, photo.pk)).status_code == 404


def test_fiche_file_delete_removes_the_row_and_the_stored_file(
    client, membre, django_capture_on_commit_callbacks
):
    fiche = FicheFactory(collectivite=membre.collectivite)
    photo = stored_file(fiche)
    storage, name = photo.fichier.storage, photo.fichier.name
    assert storage.exists(name)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(url("fiche_fichier_supprimer", membre, fiche.pk, photo.pk))
    assert response.status_code == 302
    assert not FichierFiche.objects.exists()
    assert not storage.exists(name)


def test_staff_sees_fiche_files_in_the_admin(client, staff):
    fiche = FicheFactory()
    photo = stored_file(fiche)
    client.force_login(staff)
    path = reverse("admin:atlaas_ficheaction_fichier", args=[fiche.pk, photo.pk])
    response = client.get(path)
    assert response.status_code == 200
    assert response["X-Content-Type-Options"] == "nosniff"
    assert path in client.get(reverse("admin:atlaas_ficheaction_change", args=[fiche.pk])).content.decode()


# --- Moderation ----------------------------------------------------------------------------------


def test_fiche_submit_then_withdraw_with_history(client, membre):
    fiche = FicheFactory(collectivite=membre.collectivite)
    response = client.post(url("fiche_soumettre", membre, fiche.pk), follow=True)
    fiche.refresh_from_db()
    assert fiche.state == State.SOUMISE
    page = response.content.decode()
    assert "Fiche soumise à la modération" in page
    assert "Retirer de la modération" in page
    assert "Brouillon → Soumise à la modération" in page

    response = client.post(url("fiche_retirer", membre, fiche.pk), follow=True)
    fiche.refresh_from_db()
    assert fiche.state == State.BROUILLON
    assert "Soumise à la modération → Brouillon" in response.content.decode()
    assert [(t.from_state, t.to_state, t.by) for t in FicheTransition.objects.all()] == [
        (State.BROUILLON, State.SOUMISE, membre.user),
        (State.SOUMISE, State.BROUILLON, membre.user),
    ]


def test_fiche_submit_twice_is_refused_with_a_message(client, membre):
    fiche = FicheFactory(collectivite=membre.collectivite, state=State.SOUMISE)
    response = client.post(url("fiche_soumettre", membre, fiche.pk), follow=True)
    assert "ne peut pas passer" in response.content.decode()
    assert not FicheTransition.objects.exists()


def test_fiche_a_corriger_shows_the_moderation_message(client, membre, staff):
    fiche = FicheFactory(collectivite=membre.collectivite, state=State.SOUMISE)
    set_fiche_state(fiche, State.A_CORRIGER, staff, message="Précisez le public visé.")
    page = text(client.get(url("fiche", membre, fiche.pk)))
    assert "Message de la modération" in page
    assert "Précisez le public visé." in page
    assert "l'équipe de Villes Internet" in page  # staff are not named to members
    assert "Soumettre à la modération" in page


def test_published_fiche_edit_goes_through_a_revision(client, membre, staff, services):
    fiche = FicheFactory(
        collectivite=membre.collectivite,
        titre="Titre publié",
        state=State.PUBLIEE,
        services=[services["demarches"]],
    )
    form_page = text(client.get(url("fiche_modifier", membre, fiche.pk)))
    assert "La version publiée reste en ligne jusqu'à la validation de vos modifications" in form_page
    assert not FicheAction.objects.filter(revision_of=fiche).exists()  # opening the form changes nothing

    data = form_data([services["inclusion"]], titre="Titre modifié")
    contact = fiche.contacts.get()
    data.update(
        {"contacts-INITIAL_FORMS": "1", "contacts-0-id": str(contact.pk), "contacts-0-fiche": str(fiche.pk)}
    )
    response = client.post(url("fiche_modifier", membre, fiche.pk), data, follow=True)
    assert "La version publiée reste en ligne jusqu'à la validation de vos modifications" in text(response)
    fiche.refresh_from_db()
    revision = FicheAction.objects.get(revision_of=fiche)
    assert (fiche.titre, fiche.state) == ("Titre publié", State.PUBLIEE)
    assert list(fiche.services.all()) == [services["demarches"]]
    assert revision.titre == "Titre modifié"
    assert list(revision.services.all()) == [services["inclusion"]]
    assert list(FicheAction.objects.published()) == [fiche]

    listing = client.get(url("fiches", membre)).content.decode()
    assert "Modification en attente" in listing
    assert "Titre publié" in listing

    client.post(url("fiche_soumettre", membre, fiche.pk))
    revision.refresh_from_db()
    assert revision.state == State.SOUMISE
    fiche.refresh_from_db()
    assert fiche.titre == "Titre publié"

    client.force_login(staff)
    client.post(
        reverse("admin:atlaas_ficheaction_changelist"),
        {"action": "publier", "_selected_action": [revision.pk]},
    )
    fiche.refresh_from_db()
    assert fiche.titre == "Titre modifié"
    assert list(fiche.services.all()) == [services["inclusion"]]
    assert [c.nom for c in fiche.contacts.all()] == ["Camille Martin"]
    assert not FicheAction.objects.filter(revision_of=fiche).exists()
    assert FicheAction.objects.count() == 1


def test_published_fiche_upload_goes_to_the_revision(client, membre):
    fiche = FicheFactory(collectivite=membre.collectivite, state=State.PUBLIEE)
    photo = stored_file(fiche)
    upload(client, membre, fiche, "nouvelle.pdf", PDF)
    revision = FicheAction.objects.get(revision_of=fiche)
    assert [f.nom for f in fiche.fichiers.all()] == ["photo.png"]
    assert sorted(f.nom for f in revision.fichiers.all()) == ["nouvelle.pdf", "photo.png"]
    # the revision's files are served under the fiche's address, to members
    for fichier in revision.fichiers.all():
        assert client.get(url("fiche_fichier", membre, fiche.pk, fichier.pk)).status_code == 200
    # deleting a file of the revision keeps the published one and its stored file
    copy = revision.fichiers.get(nom="photo.png")
    client.post(url("fiche_fichier_supprimer", membre, fiche.pk, copy.pk))
    assert [f.nom for f in revision.fichiers.all()] == ["nouvelle.pdf"]
    assert fiche.fichiers.get() == photo
    assert photo.fichier.storage.exists(photo.fichier.name)


def test_published_fiche_file_delete_goes_to_a_new_revision(client, membre):
    fiche = FicheFactory(collectivite=membre.collectivite, state=State.PUBLIEE)
    photo = stored_file(fiche)
    client.post(url("fiche_fichier_supprimer", membre, fiche.pk, photo.pk))
    revision = FicheAction.objects.get(revision_of=fiche)
    assert not revision.fichiers.exists()
    assert fiche.fichiers.get() == photo
    assert photo.fichier.storage.exists(photo.fichier.name)


def test_admin_publish_emails_the_members(client, staff, django_capture_on_commit_callbacks, mailoutbox):
    fiche = FicheFactory(titre="Budget participatif en ligne", state=State.SOUMISE)
    membres = MembershipFactory.create_batch(2, collectivite=fiche.collectivite)
    MembershipFactory(collectivite=fiche.collectivite, state=Membership.State.PENDING)
    MembershipFactory()  # another collectivité
    client.force_login(staff)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            reverse("admin:atlaas_ficheaction_changelist"),
            {"action": "publier", "_selected_action": [fiche.pk]},
            follow=True,
        )
    assert "1 fiche traitée." in response.content.decode()
    fiche.refresh_from_db()
    assert fiche.state == State.PUBLIEE
    assert fiche.published_at is not None
    assert FicheTransition.objects.get().by == staff
    assert sorted(m.to for m in mailoutbox) == sorted([m.user.email] for m in membres)  # one message each
    message = mailoutbox[0]
    assert message.subject == "[Villes Internet] Fiche publiée\u00a0: Budget participatif en ligne"
    assert message.body.startswith(
        "Bonjour,\n\nLa fiche action «\u00a0Budget participatif en ligne\u00a0» de "
    )
    assert reverse("atlaas:fiche", args=[fiche.collectivite.code, fiche.pk]) in message.body


def test_admin_publish_skips_fiches_not_submitted(client, staff):
    fiche = FicheFactory(state=State.BROUILLON)
    client.force_login(staff)
    response = client.post(
        reverse("admin:atlaas_ficheaction_changelist"),
        {"action": "publier", "_selected_action": [fiche.pk]},
        follow=True,
    )
    assert "1 fiche ignorée" in response.content.decode()
    fiche.refresh_from_db()
    assert fiche.state == State.BROUILLON


def test_admin_send_back_asks_a_message_then_emails(
    client, staff, django_capture_on_commit_callbacks, mailoutbox
):
    fiche = FicheFactory(titre="Wifi public", state=State.SOUMISE)
    membre = MembershipFactory(collectivite=fiche.collectivite)
    client.force_login(staff)
    changelist = reverse("admin:atlaas_ficheaction_changelist")
    page = client.post(changelist, {"action": "renvoyer_a_corriger", "_selected_action": [fiche.pk]})
    assert page.status_code == 200
    assert "Message à la collectivité" in page.content.decode()
    assert "Wifi public" in page.content.decode()
    fiche.refresh_from_db()
    assert fiche.state == State.SOUMISE  # nothing happens before the message is written

    empty = client.post(
        changelist,
        {"action": "renvoyer_a_corriger", "_selected_action": [fiche.pk], "apply": "1", "message": ""},
    )
    assert "Écrivez ce qu'il faut corriger." in text(empty)

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            changelist,
            {
                "action": "renvoyer_a_corriger",
                "_selected_action": [fiche.pk],
                "apply": "1",
                "message": "Ajoutez une photo et les résultats.",
            },
            follow=True,
        )
    assert response.redirect_chain[-1][0].endswith(changelist)
    fiche.refresh_from_db()
    assert fiche.state == State.A_CORRIGER
    assert fiche.moderation_message == "Ajoutez une photo et les résultats."
    transition = FicheTransition.objects.get()
    assert (transition.to_state, transition.message) == (
        State.A_CORRIGER,
        "Ajoutez une photo et les résultats.",
    )
    [message] = mailoutbox
    assert message.to == [membre.user.email]
    assert message.subject == "[Villes Internet] Fiche à corriger\u00a0: Wifi public"
    assert "Ajoutez une photo et les résultats." in message.body


def test_admin_fiche_pages_render(client, staff):
    fiche = FicheFactory(state=State.PUBLIEE)
    revision_for_edit(fiche, staff)
    client.force_login(staff)
    changelist = reverse("admin:atlaas_ficheaction_changelist")
    for path in [
        changelist,
        changelist + "?state__exact=soumise",
        changelist + "?q=action",
        reverse("admin:atlaas_ficheaction_change", args=[fiche.pk]),
    ]:
        assert client.get(path).status_code == 200, path


# --- The list ------------------------------------------------------------------------------------


def test_fiches_list_shows_state_dates_services_and_a_new_button(client, membre, services):
    FicheFactory(
        collectivite=membre.collectivite,
        titre="Portail citoyen",
        state=State.A_CORRIGER,
        services=[services["participation"]],
        date_debut=datetime.date(2024, 2, 1),
    )
    FicheFactory(titre="Fiche d'une autre commune")
    page = client.get(url("fiches", membre)).content.decode()
    assert "Portail citoyen" in page
    assert "À corriger" in page
    assert "Participation citoyenne" in page
    assert "1er\u00a0février 2024" in page
    assert "Fiche d&#x27;une autre commune" not in page
    assert url("fiche_nouvelle", membre) in page
    assert "Nouvelle fiche" in page


def test_fiches_list_filters_by_state(client, membre):
    FicheFactory(collectivite=membre.collectivite, titre="Brouillon A")
    FicheFactory(collectivite=membre.collectivite, titre="Publiée B", state=State.PUBLIEE)
    revised = FicheFactory(collectivite=membre.collectivite, titre="Publiée C", state=State.PUBLIEE)
    revision_for_edit(revised, membre.user)
    page = client.get(url("fiches", membre), {"etat": "publiee"}).content.decode()
    assert "Publiée B" in page and "Publiée C" in page
    assert "Brouillon A" not in page
    page = client.get(url("fiches", membre), {"etat": "modification"}).content.decode()
    assert "Publiée C" in page and "Publiée B" not in page
    page = client.get(url("fiches", membre), {"etat": "nimporte"}).content.decode()
    assert "Brouillon A" in page  # an unknown filter shows everything


def test_fiches_list_is_paginated_by_50(client, membre):
    service = ServiceFactory()
    FicheFactory.create_batch(51, collectivite=membre.collectivite, services=[service])
    first = client.get(url("fiches", membre))
    assert len(first.context["page"].object_list) == 50
    assert "51 fiches" in first.content.decode()
    assert "?page=2" in first.content.decode()
    second = client.get(url("fiches", membre), {"page": 2})
    assert len(second.context["page"].object_list) == 1


def test_fiches_list_query_count_does_not_grow_with_fiches(client, membre, django_assert_num_queries):
    services = ServiceFactory.create_batch(3)
    first = FicheFactory(collectivite=membre.collectivite, services=services, state=State.PUBLIEE)
    revision_for_edit(first, membre.user)
    # user, membership, count, page, services, the juror flag of the navigation (cached 5 minutes)
    with django_assert_num_queries(6):
        assert client.get(url("fiches", membre)).status_code == 200
    FicheFactory.create_batch(79, collectivite=membre.collectivite, services=services)
    cache.delete(cle_jure(membre.user.pk))  # the navigation's juror flag, cached by the first page
    with django_assert_num_queries(6):
        response = client.get(url("fiches", membre))
    assert len(response.context["page"].object_list) == 50


# --- Permissions ---------------------------------------------------------------------------------


VIEWS = [
    ("fiches", "get", False),
    ("fiche_nouvelle", "get", False),
    ("fiche", "get", True),
    ("fiche_modifier", "get", True),
    ("fiche_soumettre", "post", True),
    ("fiche_retirer", "post", True),
    ("fiche_fichier_ajouter", "post", True),
    ("fiche_fichier", "get", "file"),
    ("fiche_fichier_supprimer", "post", "file"),
]
# status for a GET page / an action (POST) / a file, per kind of user
EXPECTED = {
    "anonyme": {"get": 302, "post": 302, "file": 404},
    "membre_a": {"get": 200, "post": 302, "file": 200},
    "referent_a": {"get": 200, "post": 302, "file": 200},
    "demande_en_attente_a": {"get": 404, "post": 404, "file": 404},
    "membre_b": {"get": 404, "post": 404, "file": 404},
    "staff": {"get": 404, "post": 404, "file": 404},
}


@pytest.mark.parametrize("who", list(EXPECTED))
@pytest.mark.parametrize(("name", "method", "needs"), VIEWS, ids=[v[0] for v in VIEWS])
def test_fiche_views_permission_matrix(client, who, name, method, needs):
    fiche = FicheFactory(collectivite__code="47001")
    collectivite = fiche.collectivite
    fichier = stored_file(fiche)
    if who == "membre_a":
        client.force_login(MembershipFactory(collectivite=collectivite).user)
    elif who == "referent_a":
        client.force_login(MembershipFactory(collectivite=collectivite, role=Membership.Role.REFERENT).user)
    elif who == "demande_en_attente_a":
        client.force_login(MembershipFactory(collectivite=collectivite, state=Membership.State.PENDING).user)
    elif who == "membre_b":
        client.force_login(MembershipFactory().user)
    elif who == "staff":
        client.force_login(UserFactory(is_staff=True, is_superuser=True))
    args = [collectivite.code]
    if needs:
        args.append(fiche.pk)
    if needs == "file":
        args.append(fichier.pk)
    response = getattr(client, method)(reverse(f"atlaas:{name}", args=args))
    kind = "file" if name == "fiche_fichier" else method
    expected = EXPECTED[who][kind]
    if name == "fiche_fichier_ajouter" and expected == 302 and who != "anonyme":
        expected = 200  # no file sent: the page comes back with the message next to the field
    assert response.status_code == expected
    if who == "anonyme" and response.status_code == 302:
        assert response.url.startswith(reverse("account_login"))


def test_fiche_of_another_collectivite_under_my_code_is_404(client, membre):
    other = FicheFactory()
    for name in ["fiche", "fiche_modifier"]:
        assert client.get(url(name, membre, other.pk)).status_code == 404
    assert client.post(url("fiche_soumettre", membre, other.pk)).status_code == 404
    other.refresh_from_db()
    assert other.state == State.BROUILLON


def test_revision_is_not_reachable_by_its_own_id(client, membre):
    fiche = FicheFactory(collectivite=membre.collectivite, state=State.PUBLIEE)
    revision = revision_for_edit(fiche, membre.user)
    assert client.get(url("fiche", membre, revision.pk)).status_code == 404


# --- Eligibility for a candidature ---------------------------------------------------------------
