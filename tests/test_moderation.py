"""Staff moderation of the Atlaas: the queue, a fiche with its diff, publish and send back."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse
from django.utils import timezone

from atlaas import diff, workflow
from atlaas.models import FicheAction, FicheTransition, Membership
from atlaas.workflow import revision_for_edit, set_fiche_state
from tests.factories import (
    CategorieFactory,
    CommuneFactory,
    DepartementFactory,
    EnjeuFactory,
    FicheFactory,
    MembershipFactory,
    ServiceFactory,
    StaffFactory,
    UserFactory,
)
from tests.test_fiches import PDF, stored_file, text

pytestmark = pytest.mark.django_db

State = FicheAction.State
QUEUE = reverse("atlaas:moderation")


def detail_url(fiche):
    return reverse("atlaas:moderation_fiche", args=[fiche.pk])


def submit(fiche, by=None, at=None):
    """Submit through the workflow, as a member does, at the given time."""
    set_fiche_state(fiche, State.SOUMISE, by=by)
    if at is not None:
        FicheTransition.objects.filter(pk=FicheTransition.objects.latest("pk").pk).update(at=at)
    fiche.refresh_from_db()
    return fiche


def days_ago(days):
    return timezone.now() - datetime.timedelta(days=days)


def revision_of(published, by=None, **changes):
    """A submitted revision of a published fiche with some content changed."""
    revision = revision_for_edit(published, by)
    for name, value in changes.items():
        setattr(revision, name, value)
    revision.save()
    return submit(revision, by=by)


@pytest.fixture
def equipe(client, staff):
    client.force_login(staff)
    return staff


# --- Diff (pure functions) -----------------------------------------------------------------------


def test_diff_words_marks_deleted_and_added_words_for_screen_readers():
    html = diff.diff_words("Ateliers pour les seniors le mardi", "Ateliers pour les familles le mardi")
    assert html == (
        "Ateliers pour les "
        '<del><span class="visually-hidden">supprimé\u00a0: </span>seniors</del>'
        '<ins><span class="visually-hidden">ajouté\u00a0: </span>familles</ins>'
        " le mardi"
    )


def test_diff_words_joins_a_rewritten_passage_into_one_change():
    html = diff.diff_words("Un espace public numérique.", "Un tiers-lieu tout neuf.")
    assert html.count("<del>") == 1
    assert html.count("<ins>") == 1
    assert "espace public numérique</del>" in html
    assert "tiers-lieu tout neuf</ins>." in html


def test_diff_words_of_equal_texts_is_the_text():
    assert diff.diff_words("Même texte\nsur deux lignes", "Même texte\nsur deux lignes") == (
        "Même texte\nsur deux lignes"
    )


def test_diff_words_escapes_html_of_the_fiche_text():
    html = diff.diff_words("Bonjour <b>tous</b>", "Bonjour <script>alert('x')</script> & <b>tous</b>")
    assert "<script>" not in html
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in html
    assert "&amp;" in html
    assert "<b>" not in html


def test_diff_field_changes_leaves_unchanged_fields_out():
    old = FicheAction(titre="Wifi public", description="Des bornes.", date_debut=datetime.date(2025, 3, 1))
    new = FicheAction(
        titre="Wifi public", description="Des bornes wifi.", date_debut=datetime.date(2025, 4, 1)
    )
    changes = diff.field_changes(old, new, FicheAction.CONTENT_FIELDS)
    assert [(c.name, c.label) for c in changes] == [
        ("description", "Ce qui a été fait"),
        ("date_debut", "Début"),
    ]
    assert changes[0].diff == 'Des bornes<ins><span class="visually-hidden">ajouté\u00a0: </span> wifi</ins>.'
    assert "1er\u00a0<del>" in changes[1].diff and "mars" in changes[1].diff and "avril" in changes[1].diff


def test_diff_field_changes_shows_values_as_read():
    day = datetime.date(2025, 3, 1)
    old = FicheAction(titre="A", date_debut=day, en_cours=True, budget=None, synthese="Ligne 1\r\nLigne 2")
    new = FicheAction(titre="A", date_debut=day, en_cours=False, budget=12000, synthese="Ligne 1\nLigne 2")
    changes = {c.name: c.diff for c in diff.field_changes(old, new, FicheAction.CONTENT_FIELDS)}
    assert set(changes) == {"en_cours", "budget"}  # a newline typed in a browser is no change
    assert "oui</del>" in changes["en_cours"] and "non</ins>" in changes["en_cours"]
    assert "<del>" not in changes["budget"]
    assert "12\xa0000</ins>" in changes["budget"]


def test_diff_field_changes_escapes_script_in_fiche_text():
    old = FicheAction(titre="Titre", description="Texte")
    new = FicheAction(titre="Titre <script>alert(1)</script>", description="Texte")
    [change] = diff.field_changes(old, new, ["titre", "description"])
    assert "<script>" not in change.diff
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in change.diff


def test_diff_list_changes_gives_removed_and_added_in_order():
    changes = diff.list_changes(["a", "b", "c"], ["c", "d", "a", "e"])
    assert changes.removed == ["b"]
    assert changes.added == ["d", "e"]
    assert changes
    assert not diff.list_changes([1, 2], [2, 1])
    by_email = diff.list_changes([("Camille", "c@x.fr")], [("Camille M.", "c@x.fr")], key=lambda c: c[1])
    assert not by_email


# --- The queue -----------------------------------------------------------------------------------


def test_moderation_queue_lists_submitted_fiches_oldest_submission_first(client, equipe):
    agen = CommuneFactory(nom="Agen", code="47001")
    rouen = CommuneFactory(nom="Rouen", code="76540", departement=DepartementFactory(code="76", nom="S.-M."))
    camille = MembershipFactory(collectivite=agen, user__first_name="Camille", user__last_name="Martin").user
    dominique = MembershipFactory(
        collectivite=rouen, user__first_name="Dominique", user__last_name="Roux"
    ).user
    submit(FicheFactory(collectivite=agen, titre="Wifi public"), by=camille, at=days_ago(2))
    submit(FicheFactory(collectivite=rouen, titre="Budget participatif"), by=dominique, at=days_ago(5))
    published = FicheFactory(collectivite=agen, titre="Portail citoyen", state=State.PUBLIEE)
    revision = revision_of(published, by=camille, titre="Portail citoyen 2")
    FicheTransition.objects.filter(fiche=revision).update(at=days_ago(3))
    # submitted long ago, sent back, submitted again yesterday: the latest submission counts
    again = submit(FicheFactory(collectivite=rouen, titre="Open data"), by=dominique, at=days_ago(30))
    set_fiche_state(again, State.A_CORRIGER, by=equipe, message="Ajoutez les jeux de données.")
    submit(again, by=dominique, at=days_ago(1))
    # submitted before the history was kept: the time of its last change counts
    old = FicheFactory(collectivite=agen, titre="Site de la mairie", state=State.SOUMISE)
    FicheAction.objects.filter(pk=old.pk).update(updated_at=days_ago(4))
    FicheFactory(collectivite=agen, titre="Un brouillon")
    FicheFactory(collectivite=agen, titre="Une fiche publiée", state=State.PUBLIEE)

    response = client.get(QUEUE)
    assert response.status_code == 200
    assert [f.titre for f in response.context["page"]] == [
        "Budget participatif",
        "Site de la mairie",
        "Portail citoyen 2",
        "Wifi public",
        "Open data",
    ]
    page = text(response)
    assert "5 fiches à modérer" in page
    assert "Un brouillon" not in page and "Une fiche publiée" not in page
    assert "Rouen (76)" in page and "Agen (47)" in page
    assert page.count("Nouvelle fiche") == 4
    assert page.count("Modification d'une fiche publiée") == 1
    assert "Camille Martin" in page and "Dominique Roux" in page
    assert timezone.localtime(days_ago(5)).strftime("%H:%M") in page
    assert detail_url(revision) in page


def test_moderation_queue_filters_new_fiches_and_modifications(client, equipe):
    submit(FicheFactory(titre="Nouvelle A"))
    published = FicheFactory(titre="Publiée B", state=State.PUBLIEE)
    revision_of(published, titre="Publiée B modifiée")

    def titles(**params):
        return [f.titre for f in client.get(QUEUE, params).context["page"]]

    assert titles(type="nouvelles") == ["Nouvelle A"]
    assert titles(type="modifications") == ["Publiée B modifiée"]
    assert sorted(titles()) == ["Nouvelle A", "Publiée B modifiée"]
    assert sorted(titles(type="nimporte")) == ["Nouvelle A", "Publiée B modifiée"]
    page = text(client.get(QUEUE, {"type": "modifications"}))
    assert '<option value="modifications" selected>' in page
    assert "1 fiche à modérer" in page


def test_moderation_queue_empty_says_so(client, equipe):
    assert "Aucune fiche à modérer" in text(client.get(QUEUE))
    assert "Aucune fiche à modérer ne correspond à cette recherche" in text(
        client.get(QUEUE, {"type": "nouvelles"})
    )


def test_moderation_queue_is_paginated_by_50_keeping_the_filter(client, equipe):
    service = ServiceFactory()
    FicheFactory.create_batch(51, state=State.SOUMISE, services=[service])
    first = client.get(QUEUE, {"type": "nouvelles"})
    assert len(first.context["page"].object_list) == 50
    assert "51 fiches à modérer" in text(first)
    assert "?type=nouvelles&page=2" in text(first)
    second = client.get(QUEUE, {"type": "nouvelles", "page": 2})
    assert len(second.context["page"].object_list) == 1


def test_moderation_queue_query_count_does_not_grow_with_fiches(client, equipe, django_assert_num_queries):
    def add(count):
        for _ in range(count):
            membership = MembershipFactory()
            submit(FicheFactory(collectivite=membership.collectivite), by=membership.user)

    add(1)
    # user, authenticator, count, page, submitters, the régions and départements of the filters
    # (the session comes from the cache)
    with django_assert_num_queries(7):
        assert client.get(QUEUE).status_code == 200
    add(29)
    with django_assert_num_queries(7):
        response = client.get(QUEUE)
    assert len(response.context["page"].object_list) == 30


# --- Permissions ---------------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["anonyme", "membre", "referent", "autre"])
def test_moderation_pages_are_404_for_everybody_but_staff(client, who):
    fiche = FicheFactory(state=State.SOUMISE)
    if who == "membre":
        client.force_login(MembershipFactory(collectivite=fiche.collectivite).user)
    elif who == "referent":
        role = Membership.Role.REFERENT
        client.force_login(MembershipFactory(collectivite=fiche.collectivite, role=role).user)
    elif who == "autre":
        client.force_login(UserFactory())
    assert client.get(QUEUE).status_code == 404
    assert client.get(detail_url(fiche)).status_code == 404
    for action in ["publier", "renvoyer"]:
        response = client.post(detail_url(fiche), {"action": action, "message": "À revoir."})
        assert response.status_code == 404  # never a redirect to the login page
    fiche.refresh_from_db()
    assert fiche.state == State.SOUMISE
    assert not FicheTransition.objects.exists()


def test_moderation_pages_open_for_staff_who_may_change_fiches(client):
    fiche = FicheFactory(state=State.SOUMISE)
    moderator = StaffFactory()
    moderator.user_permissions.add(Permission.objects.get(codename="change_ficheaction"))
    client.force_login(moderator)
    assert client.get(QUEUE).status_code == 200
    assert client.get(detail_url(fiche)).status_code == 200
    assert 'href="/atlaas/moderation/"' in client.get("/").content.decode()


def test_moderation_pages_are_404_for_staff_without_the_permission(client):
    fiche = FicheFactory(state=State.SOUMISE)
    client.force_login(UserFactory(is_staff=True))
    assert client.get(QUEUE).status_code == 404
    assert client.post(detail_url(fiche), {"action": "publier"}).status_code == 404
    assert FicheAction.objects.get(pk=fiche.pk).state == State.SOUMISE
    assert 'href="/atlaas/moderation/"' not in client.get("/").content.decode()


def test_moderation_fiche_unknown_pk_is_404(client, equipe):
    assert client.get(reverse("atlaas:moderation_fiche", args=[999_999])).status_code == 404


# --- A fiche -------------------------------------------------------------------------------------


def test_moderation_fiche_shows_the_whole_fiche_and_the_decision(client, equipe):
    categorie = CategorieFactory(nom="Vivre ensemble")
    mediation = EnjeuFactory(categorie=categorie, nom="Médiation", ordre=1)
    cohesion = EnjeuFactory(categorie=categorie, nom="Cohésion sociale", ordre=2)
    membership = MembershipFactory(collectivite__nom="Agen", collectivite__code="47001")
    fiche = FicheFactory(
        collectivite=membership.collectivite,
        titre="Espace public numérique",
        sous_titre="Un lieu d'accès libre",
        description="Ouverture d'un espace <b>public</b>.",
        synthese="Synthèse de l'action.",
        resultats="300 personnes accueillies.",
        recommandations="Recruter un médiateur.",
        outils="Linux, LibreOffice",
        partenaires="Association EPN 47",
        liens="https://www.agen.fr/epn",
        public_cible="Seniors",
        budget=12000,
        services=[
            ServiceFactory(enjeu=cohesion, nom="Quartiers populaires"),
            ServiceFactory(enjeu=mediation, nom="Ateliers seniors", ordre=2),
            ServiceFactory(enjeu=mediation, nom="Aide aux démarches", ordre=1),
        ],
    )
    photo = stored_file(fiche, "Salle.png")
    pdf = stored_file(fiche, "Bilan.pdf", PDF, "application/pdf")
    submit(fiche, by=membership.user)

    response = client.get(detail_url(fiche))
    assert "Ouverture d&#x27;un espace &lt;b&gt;public&lt;/b&gt;." in response.content.decode()
    page = text(response)
    for content in [
        "Espace public numérique",
        "Un lieu d'accès libre",
        "Synthèse de l'action.",
        "300 personnes accueillies.",
        "Recruter un médiateur.",
        "Linux, LibreOffice",
        "Association EPN 47",
        '<a href="https://www.agen.fr/epn"',
        "Seniors",
        "12\xa0000\xa0€",
        "depuis le 1er\u00a0mars 2025, en cours",
        "Agen",
        "(47)",
        "Nouvelle fiche",
        "Soumise à la modération",
        'href="mailto:c.martin@mairie.fr"',
        "Chargée de mission",
    ]:
        assert content in page, content
    # services grouped by enjeu, in the order of the referential
    assert page.index("Médiation") < page.index("Aide aux démarches") < page.index("Ateliers seniors")
    assert (
        page.index("Ateliers seniors") < page.index("Cohésion sociale") < page.index("Quartiers populaires")
    )
    # files through the staff file view
    for fichier in (photo, pdf):
        assert reverse("admin:atlaas_ficheaction_fichier", args=[fiche.pk, fichier.pk]) in page
    assert client.get(reverse("admin:atlaas_ficheaction_fichier", args=[fiche.pk, pdf.pk])).status_code == 200
    # the decision and the history
    assert 'value="publier"' in page and 'value="renvoyer"' in page
    assert "Publier" in page and "Renvoyer pour correction" in page
    assert '<label for="id_message">Message à la collectivité' in page
    assert "Historique de modération" in page
    assert "Brouillon" in page
    assert str(membership.user) in page
    assert "Modifications par rapport à la version publiée" not in page


@pytest.mark.parametrize("state", [State.BROUILLON, State.A_CORRIGER, State.PUBLIEE])
def test_moderation_fiche_not_submitted_is_shown_without_decision(client, equipe, state):
    fiche = FicheFactory(titre="Wifi public", state=state)
    page = text(client.get(detail_url(fiche)))
    assert "Wifi public" in page
    assert str(FicheAction.State(state).label) in page
    assert "Cette fiche n'est pas en attente de modération" in page
    assert 'value="publier"' not in page
    assert 'value="renvoyer"' not in page


def test_moderation_fiche_published_links_to_its_pending_revision(client, equipe):
    published = FicheFactory(state=State.PUBLIEE)
    revision = revision_of(published, titre="Nouveau titre")
    page = text(client.get(detail_url(published)))
    assert detail_url(revision) in page
    assert "Voir la modification en attente (Soumise à la modération)" in page


def test_moderation_revision_shows_the_diff_against_the_published_fiche(client, equipe):
    enjeu = EnjeuFactory(nom="Médiation")
    kept, dropped, new = (ServiceFactory(enjeu=enjeu, nom=n) for n in ("Gardé", "Retiré", "Ajouté"))
    published = FicheFactory(
        titre="Ateliers numériques",
        description="Des ateliers pour les seniors le mardi.",
        public_cible="Seniors",
        state=State.PUBLIEE,
        services=[kept, dropped],
    )
    stored_file(published, "Ancienne photo.png")
    revision = revision_for_edit(published, None)
    revision.description = "Des ateliers pour les familles le mardi. <script>alert(1)</script>"
    revision.save()
    revision.services.set([kept, new])
    revision.contacts.create(nom="Dominique Roux", email="d.roux@mairie.fr")
    revision.fichiers.get(nom="Ancienne photo.png").delete()
    stored_file(revision, "Bilan.pdf", PDF, "application/pdf")
    submit(revision)

    response = client.get(detail_url(revision))
    changes = response.context["changes"]
    assert [c.name for c in changes["fields"]] == ["description"]  # titre, public… unchanged
    page = response.content.decode()
    assert "Modifications par rapport à la version publiée" in page
    assert "Modification d'une fiche publiée" in page
    assert '<span class="visually-hidden">supprimé\u00a0: </span>seniors</del>' in page
    assert '<span class="visually-hidden">ajouté\u00a0: </span>familles</ins>' in page
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<dt>Titre</dt>" not in page
    assert "<del>Retiré (Médiation)</del>" in page
    assert "<ins>Ajouté (Médiation)</ins>" in page
    assert "Gardé (Médiation)</" not in page.split('id="contenu-fiche"')[0]
    assert "<ins>Dominique Roux — d.roux@mairie.fr</ins>" in page
    assert "<del>Ancienne photo.png</del>" in page
    assert "<ins>Bilan.pdf</ins>" in page
    assert reverse("atlaas:fiche_publique", args=[published.pk]) in page


def test_moderation_revision_without_change_says_so(client, equipe):
    published = FicheFactory(state=State.PUBLIEE)
    revision = revision_of(published)
    assert "Aucune différence avec la version publiée." in text(client.get(detail_url(revision)))


# --- Decisions -----------------------------------------------------------------------------------


def test_moderation_publish_makes_the_fiche_public_and_emails_members(
    client, equipe, django_capture_on_commit_callbacks, mailoutbox
):
    fiche = FicheFactory(titre="Budget participatif en ligne")
    membres = MembershipFactory.create_batch(2, collectivite=fiche.collectivite)
    MembershipFactory()  # another collectivité
    submit(fiche, by=membres[0].user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(detail_url(fiche), {"action": "publier"}, follow=True)
    assert response.redirect_chain == [(QUEUE, 302)]
    assert "Fiche «\u00a0Budget participatif en ligne\u00a0» publiée." in text(response)
    fiche.refresh_from_db()
    assert fiche.state == State.PUBLIEE
    assert fiche.published_at is not None
    assert list(FicheAction.objects.published()) == [fiche]
    last = FicheTransition.objects.latest("pk")
    assert (last.from_state, last.to_state, last.by) == (State.SOUMISE, State.PUBLIEE, equipe)
    assert sorted(m.to for m in mailoutbox) == sorted([m.user.email] for m in membres)
    assert mailoutbox[0].subject == "[Villes Internet] Fiche publiée\u00a0: Budget participatif en ligne"


def test_moderation_publish_a_revision_updates_the_published_fiche(
    client, equipe, django_capture_on_commit_callbacks, mailoutbox
):
    membre = MembershipFactory()
    published = FicheFactory(collectivite=membre.collectivite, titre="Wifi public", state=State.PUBLIEE)
    service = ServiceFactory(nom="Haut débit")
    revision = revision_of(published, by=membre.user, titre="Wifi public et gratuit")
    revision.services.set([service])
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(detail_url(revision), {"action": "publier"}, follow=True)
    assert response.redirect_chain == [(QUEUE, 302)]
    assert "Modification de la fiche «\u00a0Wifi public et gratuit\u00a0» publiée." in text(response)
    published.refresh_from_db()
    assert published.titre == "Wifi public et gratuit"
    assert published.state == State.PUBLIEE
    assert list(published.services.all()) == [service]
    assert not FicheAction.objects.filter(pk=revision.pk).exists()
    assert FicheAction.objects.count() == 1
    assert [m.to for m in mailoutbox] == [[membre.user.email]]


def test_moderation_send_back_without_message_changes_nothing(client, equipe, mailoutbox):
    fiche = submit(FicheFactory(titre="Wifi public"))
    response = client.post(detail_url(fiche), {"action": "renvoyer", "message": "  "})
    assert response.status_code == 200
    assert response.context["renvoi_form"].errors["message"] == ["Écrivez ce qu'il faut corriger."]
    page = text(response)
    # the message stands next to the field, which is marked invalid
    error_at = page.index("Écrivez ce qu'il faut corriger.")
    assert page.index('<label for="id_message">') < error_at < page.index('<textarea name="message"')
    assert 'aria-invalid="true"' in page
    fiche.refresh_from_db()
    assert fiche.state == State.SOUMISE
    assert FicheTransition.objects.count() == 1
    assert not mailoutbox


def test_moderation_send_back_keeps_the_text_on_error(client, equipe):
    fiche = submit(FicheFactory())
    too_long = "Ajoutez une photo. " * 300
    response = client.post(detail_url(fiche), {"action": "renvoyer", "message": too_long})
    assert response.status_code == 200
    assert "au plus 5000 caractères" in text(response)
    assert too_long.strip() in text(response)
    fiche.refresh_from_db()
    assert fiche.state == State.SOUMISE


def test_moderation_send_back_with_message_emails_members(
    client, equipe, django_capture_on_commit_callbacks, mailoutbox
):
    fiche = FicheFactory(titre="Wifi public")
    membre = MembershipFactory(collectivite=fiche.collectivite)
    submit(fiche, by=membre.user)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            detail_url(fiche),
            {"action": "renvoyer", "message": "Ajoutez une photo de l'espace."},
            follow=True,
        )
    assert response.redirect_chain == [(QUEUE, 302)]
    assert "Fiche «\u00a0Wifi public\u00a0» renvoyée à la collectivité pour correction." in text(response)
    fiche.refresh_from_db()
    assert fiche.state == State.A_CORRIGER
    assert fiche.moderation_message == "Ajoutez une photo de l'espace."
    last = FicheTransition.objects.latest("pk")
    assert (last.to_state, last.by, last.message) == (
        State.A_CORRIGER,
        equipe,
        "Ajoutez une photo de l'espace.",
    )
    [message] = mailoutbox
    assert message.to == [membre.user.email]
    assert "Ajoutez une photo de l'espace." in message.body

    history = text(client.get(detail_url(fiche)))
    assert "Ajoutez une photo de l'espace." in history
    assert str(equipe) in history


@pytest.mark.parametrize(
    ("first", "second"),
    [("publier", "publier"), ("publier", "renvoyer"), ("renvoyer", "renvoyer"), ("renvoyer", "publier")],
)
def test_moderation_second_decision_gives_a_message_not_an_error(client, equipe, first, second):
    fiche = submit(FicheFactory(titre="Wifi public"))
    client.post(detail_url(fiche), {"action": first, "message": "À revoir."})
    response = client.post(detail_url(fiche), {"action": second, "message": "Autre chose."}, follow=True)
    assert response.status_code == 200
    assert response.redirect_chain == [(detail_url(fiche), 302)]
    page = text(response)
    assert "La fiche «\u00a0Wifi public\u00a0» n'est plus en attente de modération" in page
    assert "Rien n'a été changé." in page
    assert 'value="publier"' not in page
    assert FicheTransition.objects.count() == 2  # the submission and the first decision


def test_moderation_second_publish_of_a_revision_gives_a_message(client, equipe):
    published = FicheFactory(state=State.PUBLIEE)
    revision = revision_of(published, titre="Nouveau titre")
    client.post(detail_url(revision), {"action": "publier"})
    response = client.post(detail_url(revision), {"action": "publier"}, follow=True)
    assert response.redirect_chain == [(QUEUE, 302)]
    assert "Cette fiche n'est plus en attente de modération\u00a0: rien n'a été changé." in text(response)
    published.refresh_from_db()
    assert published.titre == "Nouveau titre"


def test_moderation_fiche_withdrawn_meanwhile_is_not_published(client, equipe):
    membre = MembershipFactory()
    fiche = submit(FicheFactory(collectivite=membre.collectivite, titre="Wifi public"), by=membre.user)
    set_fiche_state(fiche, State.BROUILLON, by=membre.user)  # the member withdraws it
    response = client.post(detail_url(fiche), {"action": "publier"}, follow=True)
    assert "n'est plus en attente de modération (état\u00a0: Brouillon)" in text(response)
    fiche.refresh_from_db()
    assert fiche.state == State.BROUILLON


def test_moderation_unknown_action_changes_nothing(client, equipe):
    fiche = submit(FicheFactory())
    response = client.post(detail_url(fiche), {"action": "supprimer"})
    assert response.status_code == 302
    fiche.refresh_from_db()
    assert fiche.state == State.SOUMISE


@pytest.mark.parametrize("revision", [False, True], ids=["fiche", "revision"])
def test_moderation_decision_racing_a_colleague_gives_a_message(client, equipe, monkeypatch, revision):
    """A colleague decides between the page's checks and the locked update of the workflow."""
    if revision:
        fiche = revision_of(FicheFactory(state=State.PUBLIEE), titre="Wifi public")
    else:
        fiche = submit(FicheFactory(titre="Wifi public"))
    colleague = StaffFactory()
    set_fiche_state = workflow.set_fiche_state

    def colleague_first(fiche, to_state, by, message=""):
        set_fiche_state(fiche, State.PUBLIEE, by=colleague)
        return set_fiche_state(fiche, to_state, by=by, message=message)

    monkeypatch.setattr(workflow, "set_fiche_state", colleague_first)
    response = client.post(detail_url(fiche), {"action": "renvoyer", "message": "À revoir."}, follow=True)
    assert response.status_code == 200
    page = text(response)
    if revision:  # published by the colleague, the revision is gone
        assert response.redirect_chain == [(QUEUE, 302)]
        assert "Cette fiche n'est plus en attente de modération\u00a0: rien n'a été changé." in page
    else:
        assert response.redirect_chain == [(detail_url(fiche), 302)]
        assert (
            "La fiche «\u00a0Wifi public\u00a0» n'est plus en attente de modération (état\u00a0: Publiée)"
            in page
        )
    assert not FicheTransition.objects.filter(to_state=State.A_CORRIGER).exists()


def test_diff_of_a_long_text_marks_only_the_sentence_that_changed():
    sentences = [f"Phrase numéro {n} de la description, avec des ateliers." for n in range(400)]
    old = " ".join(sentences)
    sentences[200] = "Phrase numéro 200 de la description, avec des ateliers numériques."
    html = str(diff.diff_words(old, " ".join(sentences)))
    assert html.count("<ins>") == 1 and html.count("<del>") == 0
    assert "numériques</ins>" in html
