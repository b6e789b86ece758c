"""« Mes données »: the archive of everything about a person, and the deletion of their account.

The first two tests walk the models as the export does not have to know them: every foreign key
or many-to-many of every installed model that points to an account, and one level below, the
rows that belong to those (deleted with them). A model added later that references accounts has
no row in ``partout`` and fails them, until someone says what its export and deletion mean.
"""

import datetime
import io
import json
import zipfile

import pytest
from allauth.account.models import EmailAddress, EmailConfirmation
from allauth.mfa.models import Authenticator
from django.apps import apps
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.auth import get_user_model
from django.contrib.contenttypes.models import ContentType
from django.core.files.base import ContentFile
from django.db import models
from django.urls import reverse
from django.utils import timezone

from atlaas.models import ContactFiche, FicheAction, FicheTransition, FichierFiche, Invitation, Membership
from jury.models import AffectationJournal, ConflitDeclare, Evaluation, Jure, Note, RappelJure
from label.models import Candidature, CandidatureTransition, PieceJointe, Resultat, ResultatJournal
from outbox import envois
from outbox.models import Envoi
from rgpd import effacement, export
from rgpd.models import Archive, AvisInactivite
from tests.factories import (
    CandidatureFactory,
    CommuneFactory,
    CritereFactory,
    EvaluationFactory,
    FicheFactory,
    JureFactory,
    MembershipFactory,
    UserFactory,
)
from tests.jury import SECRET, activer_mfa

pytestmark = pytest.mark.django_db

REFERENT = Membership.Role.REFERENT
PRENOM, NOM = "Zéphyrine", "Quintanilla"
EMAIL, AUTRE_EMAIL = "zephyrine.quintanilla@mairie-agen.fr", "z.quintanilla@agglo-agen.fr"
PASSWORD = "Arobase-2026-secret!"


def relations_vers(model):
    """``(model, field)`` of every concrete relation of an installed model to ``model``."""
    return [
        (candidate, field)
        for candidate in apps.get_models()
        for field in candidate._meta.get_fields()
        if field.is_relation and field.concrete and not field.auto_created and field.related_model is model
    ]


def relations_du_compte():
    """Every relation to an account (``User._meta.related_objects`` and the hidden ones), and
    every relation to the models that belong to an account (``CASCADE``), one level down."""
    User = get_user_model()
    direct = relations_vers(User)
    assert {(r.related_model, r.field.name) for r in User._meta.related_objects} <= {
        (m, f.name) for m, f in direct
    }
    owned = {m for m, f in direct if not f.many_to_many and f.remote_field.on_delete is models.CASCADE}
    below = [
        (m, f)
        for parent in owned
        for m, f in relations_vers(parent)
        if not f.many_to_many and f.remote_field.on_delete is models.CASCADE
    ]
    return direct, below


def cle(model, field):
    return f"{model._meta.label_lower}.{field.name}"


@pytest.fixture
def personne():
    user = UserFactory(email=EMAIL, first_name=PRENOM, last_name=NOM)
    EmailAddress.objects.create(user=user, email=AUTRE_EMAIL, verified=True)
    return user


@pytest.fixture
def partout(personne, staff):
    """One row for every relation to an account (``relations_du_compte``), the person's."""
    commune = CommuneFactory(nom="Agen")
    collegue = MembershipFactory(collectivite=commune, user__email="collegue@mairie-agen.fr")
    mine = MembershipFactory(user=personne, collectivite=commune, role=REFERENT, fonction="DGS")
    now = timezone.now()
    fiche = FicheFactory(collectivite=commune, created_by=personne, contacts=[])
    contact = ContactFiche.objects.create(fiche=fiche, nom=f"{PRENOM} {NOM}", email=EMAIL)
    fichier = FichierFiche.objects.create(
        fiche=fiche,
        nom="atelier.png",
        content_type="image/png",
        taille=4,
        fichier=ContentFile(b"png!", "a.png"),
    )
    candidature = CandidatureFactory(collectivite=commune, created_by=personne, updated_by=personne)
    piece = PieceJointe.objects.create(
        candidature=candidature,
        nom="deliberation.pdf",
        content_type="application/pdf",
        taille=4,
        added_by=personne,
        fichier=ContentFile(b"%PDF", "d.pdf"),
    )
    resultat = Resultat.objects.create(candidature=candidature, niveau=3, decided_by=personne)
    jure = JureFactory(user=personne, email=EMAIL, nom=f"{PRENOM} {NOM}", organisation="Mairie d'Agen")
    evaluation = EvaluationFactory(jure=jure, note_jury="Dossier solide.")
    critere = CritereFactory(edition=jure.edition)
    rows = {
        "admin.logentry.user": LogEntry.objects.create(
            user=personne,
            content_type=ContentType.objects.get_for_model(Membership),
            object_id=str(collegue.pk),
            object_repr=str(collegue),
            action_flag=CHANGE,
        ),
        "account.emailaddress.user": EmailAddress.objects.get(email=EMAIL),
        "mfa.authenticator.user": Authenticator.objects.get(user=activer_mfa(personne)),
        "atlaas.membership.user": mine,
        "atlaas.membership.approved_by": MembershipFactory(collectivite=commune, approved_by=personne),
        "atlaas.invitation.invited_by": Invitation.objects.create(
            collectivite=commune, email="nouvelle@mairie-agen.fr", invited_by=personne, expires_at=now
        ),
        "atlaas.invitation.accepted_by": Invitation.objects.create(
            collectivite=commune, email=EMAIL, accepted_by=personne, accepted_at=now, expires_at=now
        ),
        "atlaas.ficheaction.created_by": fiche,
        "atlaas.fichetransition.by": FicheTransition.objects.create(
            fiche=fiche, from_state="brouillon", to_state="soumise", by=personne
        ),
        "label.candidature.created_by": candidature,
        "label.candidature.updated_by": candidature,
        "label.piecejointe.added_by": piece,
        "label.candidaturetransition.by": CandidatureTransition.objects.create(
            candidature=candidature, from_state="brouillon", to_state="deposee", by=personne
        ),
        "label.resultat.decided_by": resultat,
        "label.resultatjournal.by": ResultatJournal.objects.create(
            resultat=resultat, by=personne, apres={"niveau": 3}
        ),
        "jury.jure.user": jure,
        "jury.conflitdeclare.declare_par": ConflitDeclare.objects.create(
            jure=jure, collectivite=CommuneFactory(), motif="Ancienne élue", declare_par=personne
        ),
        "jury.affectationjournal.by": AffectationJournal.objects.create(
            jure=jure, candidature=evaluation.candidature, action="ajout", motif="Manuel", by=personne
        ),
        "jury.rappeljure.by": RappelJure.objects.create(jure=jure, by=personne),
        "rgpd.archive.user": Archive.objects.create(user=personne),
        "rgpd.avisinactivite.user": AvisInactivite.objects.create(user=personne),
        # One level down: what belongs to the rows above.
        "account.emailconfirmation.email_address": EmailConfirmation.create(
            EmailAddress.objects.get(email=AUTRE_EMAIL)
        ),
        "jury.evaluation.jure": evaluation,
        "jury.note.evaluation": Note.objects.create(evaluation=evaluation, critere=critere, score=4),
        "jury.conflitdeclare.jure": ConflitDeclare.objects.get(jure=jure),
        "jury.rappeljure.jure": RappelJure.objects.get(jure=jure),
        "jury.affectationjournal.jure": AffectationJournal.objects.get(jure=jure),
        # By address, without a key to the account.
        "atlaas.contactfiche.email": contact,
        "atlaas.fichierfiche.fiche": fichier,
    }
    # E-mails: one to the person, one to a colleague that names them, one that does not.
    envois.courriel(AUTRE_EMAIL, "[Villes Internet] Confirmez votre adresse", "Bonjour")
    envois.courriel(collegue.user.email, "Demande", f"{PRENOM} {NOM} ({EMAIL}) demande à rejoindre Agen.")
    envois.courriel(collegue.user.email, "Rappel", "La clôture approche.")
    LogEntry.objects.create(  # the team edited the person's account in the administration
        user=staff,
        content_type=ContentType.objects.get_for_model(personne),
        object_id=str(personne.pk),
        object_repr=str(personne),
        action_flag=CHANGE,
    )
    return rows


def test_partout_has_a_row_for_every_relation_to_an_account(partout):
    direct, below = relations_du_compte()
    missing = sorted({cle(m, f) for m, f in [*direct, *below]} - set(partout))
    assert not missing, (
        f"Relation(s) au compte sans ligne dans ce test : {missing}. Ajoutez-en une à `partout`, "
        "puis vérifiez ce que l'export (rgpd/export.py) et la suppression (rgpd/effacement.py) en font."
    )


def archive_de(user):
    buffer = io.BytesIO()
    export.ecrire_zip(user, buffer)
    archive = zipfile.ZipFile(buffer)
    return archive, json.loads(archive.read("donnees.json"))


def test_export_holds_every_row_that_references_the_person(personne, partout):
    zipped, document = archive_de(personne)
    exported = {(ligne["modele"], ligne["pk"]) for ligne in document["lignes"]}
    direct, below = relations_du_compte()
    expected = set()
    for model, field in direct:
        expected |= {
            (model._meta.label_lower, pk)
            for pk in model.objects.filter(**{field.name: personne}).values_list("pk", flat=True)
        }
    owned = {(label, pk) for label, pk in expected}
    for model, field in below:
        parents = [pk for label, pk in owned if label == field.related_model._meta.label_lower]
        expected |= {
            (model._meta.label_lower, pk)
            for pk in model.objects.filter(**{f"{field.name}__in": parents}).values_list("pk", flat=True)
        }
    assert expected, "le test ne trouve aucune ligne"
    assert expected <= exported, f"absentes de l'export : {sorted(expected - exported)}"
    for key, row in partout.items():
        assert (row._meta.label_lower, row.pk) in exported, key

    assert document["format"] == "villes-internet/mes-donnees/1"
    assert document["compte"]["email"] == EMAIL
    assert document["compte"]["nom"] == NOM
    assert [c["objet"] for c in document["courriels"]] == ["[Villes Internet] Confirmez votre adresse"]
    # The person's files are in the zip, beside the JSON that names them.
    assert sorted(document["fichiers"]) == sorted(n for n in zipped.namelist() if n != "donnees.json")
    contents = {zipped.read(n) for n in document["fichiers"]}
    assert contents == {b"png!", b"%PDF"}
    # Nothing that would open the account or an invitation.
    text = zipped.read("donnees.json").decode()
    assert personne.password not in text
    assert SECRET not in text
    assert str(partout["jury.jure.user"].token) not in text
    assert partout["account.emailconfirmation.email_address"].key not in text


def test_export_leaves_out_others_dossiers_evaluations(personne, partout):
    """A candidature the person created is exported, not the jury's evaluations of it."""
    candidature = partout["label.candidature.created_by"]
    other_evaluation = EvaluationFactory(candidature=candidature, note_jury="Lue par le jury seulement.")
    _zipped, document = archive_de(personne)
    exported = {(ligne["modele"], ligne["pk"]) for ligne in document["lignes"]}
    assert ("label.candidature", candidature.pk) in exported
    assert ("jury.evaluation", other_evaluation.pk) not in exported


def textes(model):
    """The text of every row of ``model``: its character and JSON fields."""
    fields = [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, models.CharField | models.TextField | models.JSONField | models.EmailField)
    ]
    if not fields:
        return []
    return [" ".join(str(v) for v in values).lower() for values in model.objects.values_list(*fields)]


def test_deletion_leaves_no_personal_field_behind(
    personne, partout, settings, django_capture_on_commit_callbacks
):
    settings.STAFF_EMAILS = ["equipe@villes-internet.net"]
    pk = personne.pk
    stored = [partout["label.piecejointe.added_by"], partout["atlaas.fichierfiche.fiche"]]
    archive = partout["rgpd.archive.user"]
    archive.fichier.save("x.zip", ContentFile(b"zip"))
    archive_name = archive.fichier.name

    with django_capture_on_commit_callbacks(execute=True):
        effacement.supprimer_compte(personne)

    User = get_user_model()
    assert not User.objects.filter(pk=pk).exists()
    direct, _below = relations_du_compte()
    for model, field in direct:
        assert not model.objects.filter(
            **{field.attname if not field.many_to_many else field.name: pk}
        ).exists(), cle(model, field)
    identifiers = [EMAIL, AUTRE_EMAIL, PRENOM.lower(), NOM.lower()]
    for model in apps.get_models():
        for text in textes(model):
            assert not any(i.lower() in text for i in identifiers), f"{model._meta.label} : {text[:200]}"
    # What the person did for others stays, unsigned.
    fiche = partout["atlaas.ficheaction.created_by"]
    fiche.refresh_from_db()
    assert fiche.created_by is None
    assert Candidature.objects.filter(pk=partout["label.candidature.created_by"].pk, created_by=None).exists()
    for row in stored:
        row.refresh_from_db()
        assert row.fichier.storage.exists(row.fichier.name)
    assert not archive.fichier.storage.exists(archive_name)
    # The juror's evaluation stays with the jury, under a number.
    jure = Jure.objects.get(pk=partout["jury.jure.user"].pk)
    assert (jure.user, jure.nom, jure.organisation) == (None, f"Ancien juré n°\u00a0{jure.pk}", "")
    assert jure.email.endswith("@anonyme.invalid")
    assert Evaluation.objects.filter(jure=jure, note_jury="Dossier solide.").exists()
    assert Note.objects.filter(evaluation__jure=jure, score=4).exists()
    # The colleague's e-mail that did not name the person is still owed; the team is told
    # that Agen has no référent any more (without the person's name: checked above).
    courriels = Envoi.objects.filter(kind=Envoi.Kind.COURRIEL)
    subjects = sorted(courriels.values_list("payload__subject", flat=True))
    assert subjects == ["Rappel", "[Villes Internet] Plus de référent\u00a0: Agen (47)"]
    assert LogEntry.objects.filter(object_repr="un ancien membre").exists()


def test_deletion_takes_the_contact_off_the_fiche_page_kept_for_anonymous_visitors(
    client, personne, django_capture_on_commit_callbacks
):
    fiche = FicheFactory(state=FicheAction.State.PUBLIEE, published_at=timezone.now(), contacts=[])
    ContactFiche.objects.create(fiche=fiche, nom=f"{PRENOM} {NOM}", email=EMAIL)
    url = reverse("atlaas:fiche_publique", args=[fiche.pk])
    assert NOM in client.get(url).content.decode()  # now kept in the cache for the next visitors

    with django_capture_on_commit_callbacks(execute=True):
        effacement.supprimer_compte(personne)

    assert NOM not in client.get(url).content.decode()


def test_deletion_is_refused_to_staff(staff):
    with pytest.raises(effacement.CompteEquipe):
        effacement.supprimer_compte(staff)
    assert get_user_model().objects.filter(pk=staff.pk).exists()


# --- Pages -------------------------------------------------------------------------------------


def reauthentifier(client, password=PASSWORD):
    response = client.post(reverse("account_reauthenticate"), {"password": password})
    assert response.status_code == 302


@pytest.mark.parametrize(
    ("method", "name", "args"),
    [
        ("post", "rgpd:demander_archive", []),
        ("get", "rgpd:supprimer", []),
        ("post", "rgpd:supprimer", []),
        ("post", "rgpd:confier_referent", ["47100"]),
    ],
)
def test_export_and_deletion_ask_for_the_password_again(client, user, method, name, args):
    client.force_login(user)
    response = getattr(client, method)(reverse(name, args=args), {"confirmation": "on"})
    assert response.status_code == 302
    assert response.url.startswith(reverse("account_reauthenticate"))
    assert get_user_model().objects.filter(pk=user.pk).exists()
    assert not Archive.objects.exists()


def test_download_asks_for_the_password_again(client, user):
    archive = Archive.objects.create(user=user, state=Archive.State.PRETE, fichier=ContentFile(b"z", "a.zip"))
    client.force_login(user)
    response = client.get(reverse("rgpd:archive", args=[archive.uuid]))
    assert response.url.startswith(reverse("account_reauthenticate"))


def test_mes_donnees_requires_login(client):
    response = client.get(reverse("rgpd:mes_donnees"))
    assert response.url.startswith(reverse("account_login"))


def test_archive_asked_prepared_mailed_and_downloaded(
    client, user, password, mailoutbox, django_capture_on_commit_callbacks
):
    client.force_login(user)
    response = client.post(reverse("rgpd:demander_archive"))
    with django_capture_on_commit_callbacks(execute=True):  # the request resumes after the password
        response = client.post(response.url, {"password": password})
    assert response.status_code == 302
    archive = Archive.objects.get(user=user)
    assert archive.state == Archive.State.PRETE
    [message] = mailoutbox
    assert message.to == [user.email]
    assert message.subject == "[Villes Internet] Vos données sont prêtes à télécharger"
    assert "/accounts/mes-donnees/" in message.body

    page = client.get(reverse("rgpd:mes_donnees")).content.decode()
    assert "prête" in page
    response = client.get(reverse("rgpd:archive", args=[archive.uuid]))
    assert response["Content-Disposition"].startswith('attachment; filename="mes-donnees-villes-internet-')
    zipped = zipfile.ZipFile(io.BytesIO(b"".join(response.streaming_content)))
    assert json.loads(zipped.read("donnees.json"))["compte"]["email"] == user.email

    client.force_login(UserFactory())
    reauthentifier(client)
    assert client.get(reverse("rgpd:archive", args=[archive.uuid])).status_code == 404


def test_second_click_does_not_start_a_second_archive(client, user, password):
    client.force_login(user)
    reauthentifier(client, password)
    with envois_retenus():
        client.post(reverse("rgpd:demander_archive"))
        response = client.post(reverse("rgpd:demander_archive"), follow=True)
    assert Archive.objects.filter(user=user).count() == 1
    page = response.content.decode()
    assert "Votre archive est déjà en préparation." in page
    assert "en cours de préparation" in page
    assert 'data-hx-trigger="every 2s"' in page  # the page follows the preparation


class envois_retenus:
    """The outbox keeps its rows (no worker): an archive stays « en cours »."""

    def __enter__(self):
        self.previous, envois.remettre = envois.remettre, lambda ids, apres_commit=False: 0

    def __exit__(self, *exc):
        envois.remettre = self.previous


def test_deletion_page_states_consequences_and_needs_the_box_ticked(client, personne):
    MembershipFactory(user=personne)
    JureFactory(user=personne)
    client.force_login(personne)
    reauthentifier(client)
    page = client.get(reverse("rgpd:supprimer")).content.decode()
    assert "signé «\u00a0un ancien membre\u00a0»" in page
    assert "Vos évaluations restent au jury de leur édition" in page
    response = client.post(reverse("rgpd:supprimer"), {})
    assert "Cochez cette case pour confirmer la suppression de votre compte." in response.content.decode()
    assert get_user_model().objects.filter(pk=personne.pk).exists()

    response = client.post(reverse("rgpd:supprimer"), {"confirmation": "on"}, follow=True)
    assert "Votre compte est supprimé." in response.content.decode()
    assert not get_user_model().objects.filter(pk=personne.pk).exists()
    assert not response.context["user"].is_authenticated


def test_last_referent_hands_over_the_role_before_leaving(client, personne):
    mine = MembershipFactory(user=personne, role=REFERENT, collectivite__nom="Agen")
    code = mine.collectivite.code
    collegue = MembershipFactory(
        collectivite=mine.collectivite, user__first_name="Alix", user__last_name="Bernard"
    )
    client.force_login(personne)
    reauthentifier(client)
    page = client.get(reverse("rgpd:supprimer")).content.decode()
    assert "Vous êtes le seul référent de Agen (47)" in page
    assert "Alix Bernard" in page

    response = client.post(reverse("rgpd:confier_referent", args=[code]), {f"confier-{code}-membre": ""})
    assert "Choisissez le membre qui devient référent." in response.content.decode()
    response = client.post(
        reverse("rgpd:confier_referent", args=[code]), {f"confier-{code}-membre": collegue.pk}, follow=True
    )
    assert "Alix Bernard est désormais référent de Agen (47)." in response.content.decode()
    collegue.refresh_from_db()
    assert collegue.role == REFERENT
    assert "Vous êtes le seul référent" not in response.content.decode()


def test_last_referent_alone_deletes_the_account_and_staff_are_told(
    client, personne, settings, mailoutbox, django_capture_on_commit_callbacks
):
    settings.STAFF_EMAILS = ["equipe@villes-internet.net"]
    mine = MembershipFactory(user=personne, role=REFERENT, collectivite__nom="Agen")
    client.force_login(personne)
    reauthentifier(client)
    page = client.get(reverse("rgpd:supprimer")).content.decode()
    assert "La collectivité n'a pas d'autre membre." in page
    with django_capture_on_commit_callbacks(execute=True):
        client.post(reverse("rgpd:supprimer"), {"confirmation": "on"})
    assert not Membership.objects.filter(collectivite=mine.collectivite).exists()
    [message] = mailoutbox
    assert message.to == ["equipe@villes-internet.net"]
    assert message.subject == "[Villes Internet] Plus de référent\u00a0: Agen (47)"
    assert f"?q={mine.collectivite.code}" in message.body


def test_staff_are_sent_to_an_administrator(client, staff, password):
    client.force_login(staff)
    reauthentifier(client, password)
    page = client.get(reverse("rgpd:supprimer")).content.decode()
    assert "Demandez sa fermeture" in page
    assert 'name="confirmation"' not in page
    client.post(reverse("rgpd:supprimer"), {"confirmation": "on"})
    assert get_user_model().objects.filter(pk=staff.pk).exists()


def test_account_pages_link_to_mes_donnees(client, user):
    client.force_login(user)
    page = client.get(reverse("account_email")).content.decode()
    assert f'href="{reverse("rgpd:mes_donnees")}"' in page
    assert client.get(reverse("rgpd:mes_donnees")).status_code == 200


def test_archive_older_than_an_hour_and_not_ready_can_be_asked_again(user):
    old = Archive.objects.create(user=user, created_at=timezone.now() - datetime.timedelta(hours=2))
    with envois_retenus():
        archive, created = export.demander(user)
    assert created and archive != old
