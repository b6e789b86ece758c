"""The demo: deterministic, idempotent, realistic, with one login per role."""

import datetime
import re

import pytest
from django.contrib.auth import get_user_model
from django.core.management import CommandError, call_command
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from atlaas import catalogue
from atlaas.models import Collectivite, FicheAction, FicheRecherche, Membership
from jury import deliberation
from jury.models import Evaluation, Jure, Jury
from label import publication
from label.models import Candidature, Document, Edition, Labellisation, Resultat
from outbox import envois
from outbox.models import Envoi
from tests.factories import CommuneFactory, EpciFactory
from tests.jury import code_totp, connecter
from villes_internet import demo, demo_croissance

pytestmark = pytest.mark.django_db
TODAY = datetime.date(2026, 11, 25)


@pytest.fixture
def referential():
    CommuneFactory.create_batch(30, population=1500)
    EpciFactory.create_batch(3)
    call_command("import_taxonomie", verbosity=0)


def test_demo_prints_one_login_per_role_and_runs_twice_without_duplicates(referential, capsys, settings):
    # Django's debug pages are off (as in `make run` without DEBUG=true): the demo runs all the same.
    assert settings.DEBUG is False and settings.PRODUCTION is False
    call_command("demo", "--small")
    out = capsys.readouterr().out
    assert f"equipe@{demo.DEMO_DOMAIN}" in out
    assert f"membre001@{demo.DEMO_DOMAIN}" in out
    assert "Contributeur" in out and "demande d'adhésion en attente" in out
    assert demo.DEMO_PASSWORD in out
    counts = (get_user_model().objects.count(), FicheAction.objects.count(), Candidature.objects.count())

    call_command("demo", "--small")
    assert (
        get_user_model().objects.count(),
        FicheAction.objects.count(),
        Candidature.objects.count(),
    ) == counts
    call_command("demo", "--if-empty")
    assert "rien à faire" in capsys.readouterr().out


def test_demo_covers_editions_fiches_and_candidatures_in_every_state(referential):
    demo.build(small=True, today=TODAY)
    assert Edition.objects.get(annee=2026).state == Edition.State.CLOSE
    current = Edition.objects.ouverte()
    assert current.annee == 2027 and current.sections.filter(questions__required=True).exists()
    assert 250 <= FicheAction.objects.count() <= 350
    assert set(FicheAction.objects.values_list("state", flat=True)) == set(FicheAction.State.values)
    assert set(Candidature.objects.filter(edition=current).values_list("state", flat=True)) == set(
        Candidature.State.values
    )
    assert not FicheAction.objects.filter(services=None).exists()
    assert not FicheAction.objects.filter(contacts=None).exists()
    assert Membership.objects.filter(state=Membership.State.PENDING).count() == 1


def test_demo_is_deterministic_for_a_seed(referential):
    def snapshot():
        return (
            list(Membership.objects.order_by("user__email").values_list("user__email", "collectivite__code")),
            list(FicheAction.objects.order_by("pk").values_list("titre", "collectivite__code", "date_debut")),
        )

    demo.build(seed=7, small=True, today=TODAY)
    first = snapshot()
    for model in (Candidature, FicheAction, Membership, Jury, Labellisation):
        model.objects.all().delete()
    get_user_model().objects.all().delete()
    Edition.objects.update(publie_at=None, resultats_clos_at=None)
    demo.build(seed=7, small=True, today=TODAY)
    assert snapshot() == first


def test_demo_staff_log_in_with_the_printed_totp_key_and_open_the_admin(referential, client, capsys):
    call_command("demo", "--small")
    email = f"equipe@{demo.DEMO_DOMAIN}"
    out = capsys.readouterr().out
    assert "l'administration et le jury exigent la double authentification" in out
    cle = re.search(rf"^ +{re.escape(email)} +([A-Z2-7]{{32}})$", out, re.MULTILINE).group(1)
    response = client.post(reverse("account_login"), {"login": email, "password": demo.DEMO_PASSWORD})
    assert response.url == reverse("mfa_authenticate")
    client.post(response.url, {"code": code_totp(cle)})
    assert client.get("/admin/").status_code == 200

    call_command("demo", "--small")  # built already: the same key, printed again
    assert f"{email:<40} {cle}" in capsys.readouterr().out


def test_demo_in_embedded_mode_writes_its_certificates_palmares_files_and_export(
    referential, settings, django_capture_on_commit_callbacks
):
    settings.CELERY_BROKER_URL = None  # no broker, no worker: `make run` shows the files
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo", "--small")
    documents = Document.objects.filter(edition__annee=timezone.localdate().year)
    assert documents.filter(kind=Document.Kind.CERTIFICAT).exists()
    assert set(documents.values_list("state", flat=True)) == {Document.State.PRET}
    assert catalogue.export.courant().lignes == FicheAction.objects.published().count()


def test_demo_in_full_mode_leaves_its_files_to_the_workers(
    referential, settings, django_capture_on_commit_callbacks
):
    """Tasks run in this process (a bench, a test) although a broker is configured: the files
    wait for the workers, whose beat takes them as after any publication."""
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:6379/0"
    with django_capture_on_commit_callbacks(execute=True):
        call_command("demo", "--small")
    documents = Document.objects.filter(edition__annee=timezone.localdate().year)
    assert documents.filter(kind=Document.Kind.CERTIFICAT).exists()
    assert set(documents.values_list("state", flat=True)) == {Document.State.ATTENTE}
    assert catalogue.export.courant() is None
    assert set(Envoi.objects.filter(state=Envoi.State.ATTENTE).values_list("task", flat=True)) == set(
        demo.TACHES_FICHIERS
    )
    with django_capture_on_commit_callbacks(execute=True):
        envois.relancer(now=timezone.now() + datetime.timedelta(minutes=3))  # the beat's run
    assert set(documents.values_list("state", flat=True)) == {Document.State.PRET}
    assert catalogue.export.courant()


def test_demo_refuses_to_run_in_production(settings):
    settings.PRODUCTION = True  # DEBUG=false
    with pytest.raises(CommandError, match="DEBUG=false"):
        call_command("demo", "--small")
    assert not get_user_model().objects.exists()


def test_demo_has_a_jury_with_mfa_a_closed_deliberation_and_evaluations_in_every_state(referential, capsys):
    from allauth.mfa.models import Authenticator

    from jury.models import Evaluation, Jure
    from label.models import Resultat

    result = demo.build(small=True, today=TODAY)
    president = Jure.objects.get(edition__annee=2026, president=True)
    assert result.totp[president.email] and Authenticator.objects.filter(user=president.user).exists()
    assert (
        Jure.objects.filter(edition__annee=2027).count()
        == Jure.objects.filter(edition__annee=2026).count()
        == 20
    )

    previous = Edition.objects.get(annee=2026)
    filed = Candidature.objects.filter(edition=previous, state=Candidature.State.DEPOSEE)
    assert previous.jury.phase == Jury.Phase.CLOSE and previous.resultats_clos_at
    assert Resultat.objects.filter(candidature__in=filed).count() == filed.count() > 0
    assert not Evaluation.objects.filter(candidature__edition=previous).exclude(state="soumise").exists()
    states = set(Evaluation.objects.filter(candidature__edition__annee=2027).values_list("state", flat=True))
    assert states == {"a_faire", "brouillon", "soumise"}
    assert Labellisation.objects.filter(annee=2026).count() == filed.count()


def test_demo_history_gives_the_ten_by_the_rule_of_the_deliberation(referential):
    """Each year of the demo's palmarès (the generated history and the 2026 deliberation) has
    the TEN exactly where ``EligibiliteTen`` gives it: six 5@ in earlier years, none still valid."""
    from label.selectors import EligibiliteTen

    demo.build(small=True, today=TODAY)
    labels = Labellisation.objects.order_by("collectivite_id", "annee").values_list(
        "collectivite_id", "annee", "niveau", "ten"
    )
    attendus, trouves, suivi = [], [], {}
    for collectivite_id, annee, niveau, ten in labels:
        cinq, dernier_ten = suivi.get(collectivite_id, (0, None))
        regle = EligibiliteTen(annee, labels_5=cinq, dernier_ten=dernier_ten).eligible(niveau)
        attendus.append((collectivite_id, annee, regle))
        trouves.append((collectivite_id, annee, ten))
        suivi[collectivite_id] = (cinq + (niveau == 5), annee if ten else dernier_ten)
    assert trouves == attendus
    assert any(ten for _c, _a, ten in trouves)


# --- The moments of the open edition (--moment) ---------------------------------------------------


def demo_au_moment(moment, capsys, settings):
    """The small demo built by the command at ``moment`` (today's date, as `make run`), its
    output, and its open edition."""
    settings.DEBUG = True
    call_command("demo", "--small", "--moment", moment)
    out = capsys.readouterr().out
    return out, Edition.objects.latest("annee")


def test_demo_candidatures_lets_a_printed_referent_take_over_last_years_dossier(
    referential, client, capsys, settings
):
    out, current = demo_au_moment("candidatures", capsys, settings)
    assert current.is_open() and "candidatures ouvertes jusqu'au" in out
    previous = Edition.objects.get(annee=current.annee - 1)
    sans_dossier = Candidature.objects.filter(edition=previous, state=Candidature.State.DEPOSEE).exclude(
        collectivite__candidatures__edition=current
    )
    assert sans_dossier.exists()
    motif = rf"^ +Référent — (.+) \(dossier {previous.annee} à reprendre\) +(\S+)$"
    nom, email = re.search(motif, out, re.MULTILINE).groups()
    membership = Membership.objects.get(user__email=email, role=Membership.Role.REFERENT)
    assert membership.collectivite.nom == nom
    assert sans_dossier.filter(collectivite=membership.collectivite).exists()

    client.force_login(membership.user)
    url = reverse("label:reprendre", args=[membership.collectivite.code])
    assert url in client.get(reverse("label:espace")).content.decode()
    response = client.post(url)
    candidature = Candidature.objects.get(edition=current, collectivite=membership.collectivite)
    assert response.url == reverse("label:reprise", args=[candidature.pk])
    assert candidature.renewed_from.edition == previous


def test_demo_jury_has_applications_closed_and_evaluations_under_way(referential, capsys, settings):
    out, current = demo_au_moment("jury", capsys, settings)
    assert current.cloture < timezone.now() and current.jury_date > timezone.localdate()
    assert "évaluations du jury en cours" in out and "à reprendre" not in out
    assert current.jury.phase == Jury.Phase.EVALUATION
    states = set(Evaluation.objects.filter(candidature__edition=current).values_list("state", flat=True))
    assert states == {"a_faire", "brouillon", "soumise"}
    assert deliberation.ouverture_apres(current) is None  # the president may open it


def test_demo_deliberation_is_open_with_every_dossier_scored_and_the_president_decides(
    referential, client, capsys, settings
):
    out, current = demo_au_moment("deliberation", capsys, settings)
    assert "délibération ouverte" in out
    jury = current.jury
    assert jury.phase == Jury.Phase.DELIBERATION and jury.deliberation_ouverte_at <= timezone.now()
    filed = Candidature.objects.filter(edition=current, state=Candidature.State.DEPOSEE)
    assert filed.exists()
    evaluations = Evaluation.objects.filter(candidature__edition=current)
    assert not evaluations.exclude(state=Evaluation.State.SOUMISE).exists()
    assert all(
        evaluations.filter(candidature=c).count() == jury.jures_par_dossier for c in filed
    )  # every dossier scored by all its jurors
    assert not Resultat.objects.filter(candidature__edition=current).exists()

    president = Jure.objects.get(edition=current, president=True)
    assert president.email == f"jure01@{demo.DEMO_DOMAIN}"
    connecter(client, president.user)
    candidature = filed.order_by("pk").first()
    url = reverse("jury:decider", args=[current.annee, candidature.pk])
    response = client.post(url, {"niveau": 3, "version": 0, "motivation": "Essai de la démo."})
    assert response.status_code == 302
    assert Resultat.objects.get(candidature=candidature).niveau == 3


def test_demo_palmares_has_the_deliberation_closed_and_the_publication_one_step_away(
    referential, capsys, settings
):
    out, current = demo_au_moment("palmares", capsys, settings)
    assert "palmarès à publier" in out
    assert current.jury.phase == Jury.Phase.CLOSE and current.resultats_clos_at <= timezone.now()
    filed = Candidature.objects.filter(edition=current, state=Candidature.State.DEPOSEE)
    assert filed.exists() and not filed.filter(resultat__isnull=True).exists()
    assert not current.est_publiee and current.publication_at is None  # no one publishes it but staff
    publication.publier(current)
    assert Labellisation.objects.filter(annee=current.annee).count() == filed.count()


def test_demo_moment_is_ignored_on_a_database_that_has_the_demo(referential, capsys, settings):
    settings.DEBUG = True
    call_command("demo", "--small")
    call_command("demo", "--small", "--moment", "deliberation")
    assert "--moment deliberation ne vaut que sur une base vide" in capsys.readouterr().err
    assert Edition.objects.latest("annee").jury.phase == Jury.Phase.EVALUATION


def cles_etrangeres():
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE contype = 'f' AND conrelid = ANY(%s::regclass[]) ORDER BY 1",
            [list(demo_croissance.TABLES)],
        )
        return cursor.fetchall()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="the growth is written in PostgreSQL's SQL")
def test_demo_grows_a_large_atlaas_by_copies_the_search_finds(referential, monkeypatch):
    demo.build(small=True, today=TODAY)
    monkeypatch.setattr(demo_croissance, "BASE", 100)
    toutes, publiees = FicheAction.objects.count(), FicheAction.objects.published().count()
    dernier = FicheAction.objects.order_by("-pk").first().pk
    cles = cles_etrangeres()

    copies = demo_croissance.grandir(3 * toutes)

    assert copies == round(3 * publiees) - publiees
    assert FicheAction.objects.published().count() == publiees + copies
    assert FicheRecherche.objects.count() == publiees + copies  # written by the trigger
    copie = FicheAction.objects.filter(pk__gt=dernier).order_by("pk").first()
    titre, suite = copie.titre.rsplit(" — ", 1)
    assert suite in demo_croissance.SUITES
    source = FicheAction.objects.published().get(pk__lte=dernier, titre=titre, description=copie.description)
    assert copie.date_debut <= source.date_debut and copie.published_at <= source.published_at
    assert set(copie.services.all()) == set(source.services.all())
    # Spread over every collectivité of the referential, each found by its name.
    copies_ = FicheAction.objects.filter(pk__gt=dernier)
    assert copies_.values("collectivite").distinct().count() == Collectivite.objects.actives().count()
    with connection.cursor() as cursor:
        cursor.execute(
            """SELECT count(*) FROM atlaas_ficheaction AS f JOIN atlaas_collectivite AS c
            ON c.id = f.collectivite_id WHERE f.id > %s
            AND NOT f.search_vector @@ plainto_tsquery('french_unaccent', c.nom)""",
            [dernier],
        )
        assert cursor.fetchone()[0] == 0
    with connection.cursor() as cursor:  # the secondary indexes are back
        cursor.execute(
            "SELECT count(*) FROM pg_indexes WHERE indexname = ANY(%s)",
            [["fiche_recherche_mots", "fiche_state_published"]],
        )
        assert cursor.fetchone()[0] == 2
    assert cles_etrangeres() == cles and len(cles) == 5  # checked again once the copies are written
    # Found by a word of the new title, and by the source's words.
    resultats = catalogue.rechercher({"q": f'"{suite}" {titre}'})
    assert copie.pk in [fiche.pk for fiche in resultats.fiches] or resultats.total > len(resultats.fiches)
