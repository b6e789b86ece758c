"""The results e-mail and the jury's feedback (« s'évaluer, se comparer »).

At the closing of the deliberation the jury hands its comments for each collectivité, anonymous,
to the label; at publication each laureate's active members get one e-mail with their level; the
feedback page and its PDF show the comments, the mosaïque des enjeux and a comparison with the
laureates of the same type and population stratum. Collectivités never see who the jurors are,
the jury's internal notes or any score.
"""

import datetime
import html
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from atlaas.models import FicheAction, Membership
from jury import deliberation
from jury.models import Evaluation, Jury, Note
from label import publication, retours, tasks
from label.annonces import annoncer_resultats
from label.models import Candidature, Edition, Mention, Resultat
from tests.factories import (
    CandidatureFactory,
    CategorieFactory,
    CommuneFactory,
    CritereFactory,
    EditionFactory,
    EnjeuFactory,
    EpciFactory,
    EvaluationFactory,
    FicheFactory,
    JureFactory,
    MembershipFactory,
    ServiceFactory,
)
from tests.pdfs import accessibilite, erreurs_weasyprint, pdf_text

pytestmark = pytest.mark.django_db

DEPOSEE = Candidature.State.DEPOSEE
SOUMISE = Evaluation.State.SOUMISE
JURES = ("Bernard Martin", "Claire Fontaine", "Nadia Benali")
NOTE_INTERNE = "Note interne : à comparer avec l'an dernier"
CRITERE = "Critère confidentiel de la grille"


def texte(content):
    """Visible text with whitespace collapsed."""
    content = re.sub(r"<(script|style)\b.*?</\1>", " ", content, flags=re.S)
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", content)).split())


def secrets(text):
    """What a collectivité must never read: jurors' names, internal notes, the grid, scores (73),
    an evaluation never submitted. Links are left out (an id could be 73)."""
    text = re.sub(r"\S*/\S*", " ", text)
    found = [s for s in (*JURES, NOTE_INTERNE, CRITERE, "Brouillon jamais soumis") if s in text]
    return found + re.findall(r"\b73\b", text)


@pytest.fixture
def services():
    democratie = CategorieFactory(nom="Démocratie et services publics", ordre=1)
    vivre = CategorieFactory(nom="Vivre ensemble", ordre=2)
    savoirs = CategorieFactory(nom="Partage des connaissances", ordre=3)
    return {
        "publics": ServiceFactory(enjeu=EnjeuFactory(categorie=democratie, nom="Services publics")),
        "mediation": ServiceFactory(enjeu=EnjeuFactory(categorie=vivre, nom="Médiation")),
        "culture": ServiceFactory(enjeu=EnjeuFactory(categorie=savoirs, nom="Culture et patrimoine")),
    }


def laureat(edition, nom, niveau, population, type="ville", fiches=(), collectivite=None):
    """A submitted candidature with its result; ``fiches``: the services of its selected fiches."""
    collectivite = collectivite or CommuneFactory(nom=nom, population=population)
    candidature = CandidatureFactory(edition=edition, collectivite=collectivite, type=type, state=DEPOSEE)
    candidature.fiches.add(*[FicheFactory(collectivite=collectivite, services=[s]) for s in fiches])
    Resultat.objects.create(candidature=candidature, niveau=niveau)
    return candidature


@pytest.fixture
def edition(services):
    """Agen (ville of 20 000 to 100 000 inhabitants, 3@) among three comparable laureates, and
    laureates of another type, another stratum or another year that are not comparable."""
    edition = EditionFactory(
        annee=2027,
        state=Edition.State.CLOSE,
        cloture=timezone.now() - datetime.timedelta(days=60),
        ceremonie_lieu="Agen",
    )
    publics, mediation, culture = services["publics"], services["mediation"], services["culture"]
    agen = laureat(edition, "Agen", 3, 32_801, fiches=[publics, publics, mediation])
    agen.collectivite.code = "47001"
    agen.collectivite.save(update_fields=["code"])
    nerac = laureat(edition, "Nérac", 5, 25_000, fiches=[publics, culture])
    nerac.resultat.ten = True
    nerac.resultat.save(update_fields=["ten"])
    nerac.resultat.mentions.add(Mention.objects.create(edition=edition, nom="Arobase verte"))
    laureat(edition, "Villeneuve-sur-Lot", 3, 50_000, fiches=[publics])
    laureat(edition, "Marmande", 2, 21_000)
    # Not comparable: another stratum, another type, an intercommunalité, another edition.
    boe = laureat(edition, "Boé", 5, 5_000, fiches=[culture, mediation])
    laureat(edition, "Layrac", 4, 2_500, type="village", fiches=[mediation])
    laureat(edition, "", 1, 30_000, type="territoire", collectivite=EpciFactory(population=30_000))
    laureat(EditionFactory(annee=2026, numero=27), "Tonneins", 5, 40_000, fiches=[mediation])
    # A published action of another collectivité on the enjeu Agen does not cover.
    FicheFactory(
        collectivite=boe.collectivite,
        titre="Numérisation des archives municipales",
        services=[culture],
        state=FicheAction.State.PUBLIEE,
        published_at=timezone.now(),
    )
    return edition


@pytest.fixture
def agen(edition):
    return Candidature.objects.select_related("collectivite").get(edition=edition, collectivite__nom="Agen")


@pytest.fixture
def membres(agen):
    """Agen's two active members, and one whose request is still pending."""
    referent = MembershipFactory(collectivite=agen.collectivite, role=Membership.Role.REFERENT)
    contributeur = MembershipFactory(collectivite=agen.collectivite)
    MembershipFactory(collectivite=agen.collectivite, state=Membership.State.PENDING)
    return [referent.user, contributeur.user]


@pytest.fixture
def close(edition, agen, staff):
    """The deliberation closed by staff after three jurors evaluated Agen: two submitted their
    evaluation with a comment, one only began it."""
    jury = Jury.objects.create(edition=edition, phase=Jury.Phase.DELIBERATION)
    critere = CritereFactory(edition=edition, libelle=CRITERE, echelle=100)
    commentaires = [
        "Une politique numérique lisible, portée par les élus.\n\n\nL'ouverture des données reste à engager.",
        "Un effort remarquable en médiation numérique.",
        "Brouillon jamais soumis.",
    ]
    for nom, commentaire, state in zip(
        JURES, commentaires, [SOUMISE, SOUMISE, Evaluation.State.BROUILLON], strict=True
    ):
        evaluation = EvaluationFactory(
            jure=JureFactory(edition=edition, nom=nom),
            candidature=agen,
            state=state,
            commentaire_collectivite=commentaire,
            note_jury=NOTE_INTERNE,
        )
        Note.objects.create(evaluation=evaluation, critere=critere, score=73)
    # A submitted evaluation without a comment adds nothing.
    EvaluationFactory(jure=JureFactory(edition=edition), candidature=agen, state=SOUMISE)
    deliberation.clore(jury, staff)
    return edition


@pytest.fixture
def publiee(close):
    """Published without running the after-commit tasks (no e-mail, no document)."""
    return publication.publier(close)


def publier_avec_taches(edition, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        publication.publier(edition)


# --- The jury's comments, handed to the label at closing --------------------------------------


def test_clore_stores_the_submitted_comments_without_juror_names(close, agen):
    retour_jury = Resultat.objects.get(candidature=agen).retour_jury
    assert retour_jury == (
        "Une politique numérique lisible, portée par les élus.\nL'ouverture des données reste à engager."
        "\n\nUn effort remarquable en médiation numérique."
    )
    assert "Brouillon" not in retour_jury and NOTE_INTERNE not in retour_jury
    assert not any(nom in retour_jury for nom in JURES)
    assert (
        not Resultat.objects.filter(candidature__edition=close)
        .exclude(candidature=agen)
        .exclude(retour_jury="")
    )


def test_commentaires_splits_the_comments_on_blank_lines(close, agen):
    assert retours.commentaires(Resultat.objects.get(candidature=agen)) == [
        "Une politique numérique lisible, portée par les élus.\nL'ouverture des données reste à engager.",
        "Un effort remarquable en médiation numérique.",
    ]


# --- The results e-mail --------------------------------------------------------------------------


def test_results_email_goes_once_per_active_member_at_publication(
    close, agen, membres, mailoutbox, django_capture_on_commit_callbacks
):
    publier_avec_taches(close, django_capture_on_commit_callbacks)

    assert sorted(m.to[0] for m in mailoutbox) == sorted(user.email for user in membres)
    message = mailoutbox[0]
    assert message.subject == "[Villes Internet] Label 2027\u00a0: Agen obtient @@@"
    body = " ".join(message.body.split())
    assert "Agen obtient le label « Territoires, Villes et Villages Internet » avec @@@ (3 arobases)." in body
    assert "La cérémonie a eu lieu à Agen." in body
    assert "/palmares/2027/" in body
    assert reverse("label:retour", args=[agen.pk]) in body
    html_body = message.alternatives[0][0]
    assert reverse("label:retour", args=[agen.pk]) in html_body and "@@@" in html_body
    for text in (body, texte(html_body)):
        assert not secrets(text)
        assert "Une politique numérique" not in text  # the comments are behind the sign-in
    assert Resultat.objects.get(candidature=agen).annonce_at is not None

    assert tasks.envoyer_resultats.delay(close.pk).get() == 0  # the task run again
    assert len(mailoutbox) == 2


def test_results_email_tells_the_mentions_and_the_ten(close, mailoutbox, django_capture_on_commit_callbacks):
    nerac = Candidature.objects.get(edition=close, collectivite__nom="Nérac")
    MembershipFactory(collectivite=nerac.collectivite)
    publier_avec_taches(close, django_capture_on_commit_callbacks)
    (message,) = mailoutbox
    body = " ".join(message.body.split())
    assert "avec @@@@@ (5 arobases)" in body
    assert "« Territoire d'excellence numérique » (TEN)" in body
    assert "Mention : Arobase verte." in body


def test_no_results_email_before_publication(close, agen, membres, mailoutbox):
    assert annoncer_resultats(close.pk) == 0
    assert tasks.envoyer_resultats.delay(close.pk).get() == 0
    assert mailoutbox == []
    assert not Resultat.objects.filter(annonce_at__isnull=False).exists()


def test_a_result_already_claimed_is_not_announced_again(
    publiee, agen, membres, mailoutbox, django_capture_on_commit_callbacks
):
    nerac = Candidature.objects.get(edition=publiee, collectivite__nom="Nérac")
    autre = MembershipFactory(collectivite=nerac.collectivite).user
    # Another run claimed Agen's result a moment ago.
    Resultat.objects.filter(candidature=agen).update(annonce_at=timezone.now())
    with django_capture_on_commit_callbacks(execute=True):
        assert annoncer_resultats(publiee.pk) == 1
    assert [m.to for m in mailoutbox] == [[autre.email]]
    with django_capture_on_commit_callbacks(execute=True):
        assert annoncer_resultats(publiee.pk) == 0
    assert len(mailoutbox) == 1


# --- The feedback: data --------------------------------------------------------------------------


def test_retour_compares_with_the_laureates_of_the_same_type_and_stratum(publiee, agen):
    retour = retours.retour(agen)
    comparaison = retour.comparaison
    # Agen 3@, Nérac 5@, Villeneuve-sur-Lot 3@, Marmande 2@: villes of 20 000 to 100 000.
    assert comparaison.total == 4
    assert [(n.niveau, n.nombre, n.part, n.le_votre) for n in comparaison.niveaux] == [
        (5, 1, 25, False),
        (4, 0, 0, False),
        (3, 2, 50, True),
        (2, 1, 25, False),
        (1, 0, 0, False),
    ]
    assert (comparaison.au_dessus, comparaison.meme_niveau, comparaison.en_dessous) == (1, 1, 1)
    assert [(e.enjeu.nom, e.vos_fiches, e.couverts, e.part) for e in comparaison.enjeux] == [
        ("Services publics", 2, 3, 75),
        ("Médiation", 1, 1, 25),
        ("Culture et patrimoine", 0, 1, 25),
    ]
    assert str(comparaison.strate_label) == "De 20 000 à 100 000 habitants"
    culture = retour.mosaique.cases[2]
    assert [e.titre for e in culture.suggestions] == ["Numérisation des archives municipales"]


def test_retour_is_none_before_publication(close, agen):
    assert retours.retour(agen) is None


# --- The feedback page and its PDF ---------------------------------------------------------------


def test_retour_page_shows_comments_mosaique_and_comparison(client, publiee, agen, membres):
    client.force_login(membres[1])
    response = client.get(reverse("label:retour", args=[agen.pk]))
    assert response.status_code == 200
    page = texte(response.content.decode())
    for expected in [
        "Retour du jury — Agen",
        "Label 2027 : @@@ (3 arobases).",
        "Une politique numérique lisible, portée par les élus.",
        "L'ouverture des données reste à engager.",
        "Un effort remarquable en médiation numérique.",
        "Les fiches de votre dossier couvrent 2 enjeux sur 3.",
        "Culture et patrimoine Non couvert Exemples d'autres collectivités : "
        "Numérisation des archives municipales — Boé",
        "Au Label 2027, 4 lauréats de type « Ville » comptent de 20 000 à 100 000 habitants, "
        "votre collectivité comprise.",
        "Au-dessus de votre niveau : 1 ; au même niveau : 1 ; en dessous : 1.",
        "5@ 1 25 %",
        "3@ (votre niveau) 2 50 %",
        "Services publics 2 75 % (3 sur 4)",
        "Médiation 1 25 % (1 sur 4)",
        "Culture et patrimoine non couvert 25 % (1 sur 4)",
    ]:
        assert expected in page
    assert not secrets(page)
    assert reverse("label:retour_pdf", args=[agen.pk]) in response.content.decode()


def test_retour_pdf_holds_the_same_content(client, publiee, agen, membres):
    client.force_login(membres[0])
    response = client.get(reverse("label:retour_pdf", args=[agen.pk]))
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert "retour-jury-agen-2027.pdf" in response["Content-Disposition"]
    text = pdf_text(response.content, layout=True)  # table rows kept on their line
    for expected in [
        "Label 2027 — retour du jury",
        "Agen (47001)",
        "@@@ (3 arobases)",
        "Une politique numérique lisible, portée par les élus.",
        "Un effort remarquable en médiation numérique.",
        "4 lauréats de type « Ville » comptent de 20 000 à 100 000 habitants",
        "Services publics 2 75 % (3 sur 4)",
        "Numérisation des archives municipales (Boé)",
    ]:
        assert expected in text
    assert not secrets(text)


def test_retour_pdf_is_tagged_titled_and_in_french(client, publiee, agen, membres, caplog):
    client.force_login(membres[0])
    pdf = accessibilite(client.get(reverse("label:retour_pdf", args=[agen.pk])).content)
    assert pdf["titre"] == "Retour du jury du Label 2027 à Agen"
    assert pdf["balise"] == "yes" and pdf["marque"] is True and pdf["titre_affiche"] is True
    assert pdf["langue"] == "fr"
    assert pdf["xmp"] == {"pdfuaid:part": "1"}
    types = [type_ for type_, _alt in pdf["structure"]]
    assert types.count("/H1") == 1 and "/H2" in types and "/Table" in types and "/TH" in types
    assert not erreurs_weasyprint(caplog)


@pytest.mark.parametrize("name", ["label:retour", "label:retour_pdf"])
def test_retour_is_hidden_before_publication(client, close, agen, membres, name):
    client.force_login(membres[0])
    assert client.get(reverse(name, args=[agen.pk])).status_code == 404


@pytest.mark.parametrize("name", ["label:retour", "label:retour_pdf"])
def test_retour_is_for_the_collectivite_members_only(client, publiee, agen, staff, name):
    url = reverse(name, args=[agen.pk])
    assert client.get(url).status_code == 302  # to the login page
    nerac = Candidature.objects.get(edition=publiee, collectivite__nom="Nérac")
    client.force_login(MembershipFactory(collectivite=nerac.collectivite).user)
    assert client.get(url).status_code == 404
    client.force_login(staff)
    assert client.get(url).status_code == 404
    client.force_login(MembershipFactory(collectivite=agen.collectivite, state=Membership.State.PENDING).user)
    assert client.get(url).status_code == 404


def test_retour_page_queries_do_not_grow_with_the_comparable_laureates(
    client, publiee, agen, membres, services
):
    client.force_login(membres[0])
    url = reverse("label:retour", args=[agen.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as avant:
        assert client.get(url).status_code == 200
    for i in range(12):
        laureat(
            publiee, f"Ville {i}", 1 + i % 5, 20_000 + i, fiches=[services["publics"], services["culture"]]
        )
    with CaptureQueriesContext(connection) as apres:
        assert client.get(url).status_code == 200
    assert len(apres) == len(avant)
    assert retours.retour(agen).comparaison.total == 16
