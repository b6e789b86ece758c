"""The evaluation page stays light for a big dossier: 30 selected fiches with long texts, a long
questionnaire, the full scoring grid. The fiches are a compact list; each one's full text is on a
page of its own, behind the same guards as the dossier."""

import datetime

import pytest
from django.urls import reverse
from django.utils import timezone

from atlaas.models import FicheAction
from jury.models import ConflitDeclare, Evaluation
from label.models import Candidature, Mention, Question, Reponse, Section
from tests.factories import (
    CategorieFactory,
    CommuneFactory,
    CritereFactory,
    EditionFactory,
    EnjeuFactory,
    EvaluationFactory,
    JureFactory,
    ServiceFactory,
)
from tests.jury import connecter
from tests.pages import taille

pytestmark = pytest.mark.django_db
FICHES = 30
PARAGRAPHE = (
    "La commune a ouvert un espace public numérique à la médiathèque, avec deux médiateurs qui "
    "accompagnent les habitants dans leurs démarches en ligne, l'usage du courriel et la "
    "prévention des arnaques. Les ateliers ont lieu chaque semaine et réunissent une douzaine "
    "de personnes, surtout des seniors et des demandeurs d'emploi. "
)


def texte(paragraphes):
    return "\n\n".join(PARAGRAPHE * 2 for _ in range(paragraphes))


def grand_dossier():
    """A juror's draft evaluation of a dossier with 30 long fiches (3 services each, over a
    referential of 4 catégories and 16 enjeux), 6 sections of 6 questions answered at length,
    6 criteria, 4 mentions; and a second dossier the juror is in conflict with."""
    edition = EditionFactory()
    for k in range(6):
        CritereFactory(
            edition=edition, libelle=f"Critère numéro {k}", echelle=5 if k % 2 else 10, aide="Ampleur."
        )
    for k, nom in enumerate(
        ["Démocratie locale", "Médiation numérique", "Numérique éducatif", "Arobase verte"]
    ):
        Mention.objects.create(edition=edition, nom=nom, ordre=k)
    services = []
    for c in range(4):
        categorie = CategorieFactory(nom=f"Catégorie {c}", ordre=c)
        for e in range(4):
            enjeu = EnjeuFactory(categorie=categorie, nom=f"Enjeu {c}.{e}")
            services += [ServiceFactory(enjeu=enjeu, nom=f"Service {c}.{e}.{s}") for s in range(2)]
    collectivite = CommuneFactory(nom="Agen")
    candidature = Candidature.objects.create(
        edition=edition,
        collectivite=collectivite,
        type="ville",
        state=Candidature.State.DEPOSEE,
        submitted_at=timezone.now(),
    )
    questions = []
    for s in range(6):
        section = Section.objects.create(edition=edition, titre=f"Section {s}", ordre=s)
        questions += [
            Question(
                section=section,
                libelle=f"Décrivez votre action numéro {q} dans ce domaine ?",
                kind=Question.Kind.LONG_TEXT,
                ordre=q,
            )
            for q in range(6)
        ]
    Question.objects.bulk_create(questions)
    Reponse.objects.bulk_create(
        [Reponse(candidature=candidature, question=q, valeur=texte(2)) for q in questions]
    )
    fiches = FicheAction.objects.bulk_create(
        [
            FicheAction(
                collectivite=collectivite,
                state=FicheAction.State.PUBLIEE,
                titre=f"Espace public numérique et médiation, action {i:02}",
                sous_titre="Des ateliers hebdomadaires pour les habitants éloignés du numérique.",
                description=texte(8),
                synthese=texte(2),
                resultats=texte(3) + f"\n\nRésultat mesuré de l'action {i:02} : 300 personnes formées.",
                recommandations=texte(3),
                outils="Ordinateurs reconditionnés, tablettes, vidéoprojecteur.",
                partenaires="Centre communal d'action sociale, association de quartier.",
                public_cible="Seniors et demandeurs d'emploi",
                date_debut=datetime.date(2025, 1, 1),
                en_cours=True,
                budget=12000,
            )
            for i in range(FICHES)
        ]
    )
    FicheAction.services.through.objects.bulk_create(
        [
            FicheAction.services.through(ficheaction=fiche, service=services[(i * 3 + k) % len(services)])
            for i, fiche in enumerate(fiches)
            for k in range(3)
        ]
    )
    candidature.fiches.add(*fiches)
    jure = JureFactory(edition=edition, nom="Claire Dupont")
    evaluation = EvaluationFactory(jure=jure, candidature=candidature, state=Evaluation.State.BROUILLON)
    conflit = EvaluationFactory(jure=jure, candidature__collectivite__nom="Boé")
    conflit.candidature.fiches.add(fiches[0])
    ConflitDeclare.objects.create(jure=jure, collectivite=conflit.candidature.collectivite, motif="élue")
    return evaluation, fiches, conflit


@pytest.fixture
def dossier(client):
    evaluation, fiches, conflit = grand_dossier()
    connecter(client, evaluation.jure.user)
    return evaluation, fiches, conflit


def url(name, evaluation, *args):
    return reverse(
        f"jury:{name}", args=[evaluation.candidature.edition.annee, evaluation.candidature_id, *args]
    )


def test_evaluer_weighs_under_150_kb_and_1500_nodes_with_30_long_fiches(client, dossier):
    evaluation, _, _ = dossier
    response = client.get(url("evaluer", evaluation))
    assert response.status_code == 200
    octets, noeuds = taille(response.content)
    print(f"\nÉvaluation, {FICHES} fiches longues : {octets} octets, {noeuds} nœuds.")
    assert octets < 150_000
    assert noeuds < 1_500


def test_evaluer_lists_the_fiches_in_short_each_with_a_link_to_its_full_text(client, dossier):
    evaluation, fiches, _ = dossier
    html = client.get(url("evaluer", evaluation)).content.decode()
    assert "30 fiches actions retenues" in html
    for fiche in fiches:
        assert f'<a href="{url("fiche", evaluation, fiche.pk)}">{fiche.titre}</a>' in html
    assert html.count("<details>") == FICHES  # an opening of each text, on demand
    assert "depuis le 1er\u00a0janvier 2025, en cours" in html
    assert "Service 0.0.0 — Enjeu 0.0" in html
    assert "Des ateliers hebdomadaires pour les habitants éloignés du numérique." in html
    assert "Public visé\u00a0: Seniors et demandeurs d&#x27;emploi" in html
    assert "300 personnes formées" not in html  # the rest is on the fiche's page
    # The autosaved form is there, as before.
    assert 'data-hx-post="' + url("autosave", evaluation) in html
    assert "Décrivez votre action numéro 5 dans ce domaine ?" in html


def test_fiche_page_shows_the_whole_fiche(client, dossier, django_assert_max_num_queries):
    evaluation, fiches, _ = dossier
    fiche = fiches[4]
    client.get(url("evaluer", evaluation))  # the jury's settings are created on first use
    # The user, the edition, the juror's seat, their authenticator, the jury, the evaluation,
    # the conflicts (memberships, declared), the fiche, its services, the navigation.
    with django_assert_max_num_queries(11):
        response = client.get(url("fiche", evaluation, fiche.pk))
    html = response.content.decode()
    assert response.status_code == 200
    assert f"<h1>{fiche.titre}</h1>" in html
    assert "Résultat mesuré de l&#x27;action 04 : 300 personnes formées." in html
    for titre in ("Ce qui a été fait", "Synthèse", "Résultats", "Recommandations", "Outils utilisés"):
        assert titre in html
    assert "12\xa0000&nbsp;€" in html and "Seniors et demandeurs d&#x27;emploi" in html
    assert all(f"{service.nom} <span" in html for service in fiche.services.all())
    assert f'href="{url("evaluer", evaluation)}#dossier-fiches"' in html
    assert "Retour à l'évaluation\u00a0: Agen" in html


def test_fiche_page_is_404_outside_the_jurors_dossiers(client, dossier, staff):
    evaluation, fiches, conflit = dossier
    assert client.get(url("fiche", evaluation, fiches[0].pk)).status_code == 200
    # The same fiche in a dossier the juror is in conflict with.
    assert client.get(url("fiche", conflit, fiches[0].pk)).status_code == 404
    # A fiche the dossier did not select, one that does not exist, an absurd number.
    autre = FicheAction.objects.create(
        collectivite=evaluation.candidature.collectivite,
        titre="Non retenue",
        description="Rien.",
        date_debut=datetime.date(2025, 1, 1),
    )
    for pk in (autre.pk, 10**6, 2**70):
        assert client.get(url("fiche", evaluation, pk)).status_code == 404
    # Another juror of the edition, not assigned to the dossier; staff who do not sit on the jury.
    connecter(client, JureFactory(edition=evaluation.jure.edition).user)
    assert client.get(url("fiche", evaluation, fiches[0].pk)).status_code == 404
    connecter(client, staff)
    assert client.get(url("fiche", evaluation, fiches[0].pk)).status_code == 404
    assert client.post(url("fiche", evaluation, fiches[0].pk)).status_code == 405
