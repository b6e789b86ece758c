"""The jury of the demo: twenty jurors re-invited each year, the 2026 deliberation finished and
its results decided, the open edition's submitted dossiers assigned and, at the demo's moment
(``demo_moments``), scored in every state, all scored for an open deliberation, or decided."""

import base64
import datetime
import tempfile

from allauth.mfa.totp.internal.auth import TOTP
from django.core.management import call_command
from django.utils import timezone

from atlaas.models import Departement, Enjeu
from jury import affectation, grille
from jury.models import Evaluation, Jure, Jury, Note
from label import publication
from label.models import PREMIER_MILLESIME, Candidature, HistoriqueComplet, Mention, Resultat, ResultatJournal
from label.selectors import EligibiliteTen, eligibilites_ten

from . import demo_moments

JURES = [
    ("Bernard Martin", "Université Bordeaux Montaigne (géographie)"),
    ("Claire Fontaine", "Université Rennes 2 (sciences de l'information)"),
    ("Nadia Benali", "CNRS, laboratoire de sociologie du numérique"),
    ("Olivier Garnier", "Association des maires ruraux"),
    ("Sylvie Moreau", "Université de Lille (droit public)"),
    ("Jean-Luc Perrin", "Ancien directeur des systèmes d'information"),
    ("Amélie Roche", "Réseau des médiateurs numériques"),
    ("Thierry Lambert", "Université de Strasbourg (informatique)"),
    ("Fatou Diallo", "Fondation pour l'inclusion numérique"),
    ("Paul Girard", "Université Toulouse Jean Jaurès (aménagement)"),
    ("Hélène Marchand", "Association des petites villes"),
    ("Romain Chevalier", "Expert en données publiques"),
    ("Isabelle Renaud", "Université de Lorraine (sciences de l'éducation)"),
    ("Karim Haddad", "Coopérative des tiers-lieux"),
    ("Laure Vidal", "Université Grenoble Alpes (sciences politiques)"),
    ("Michel Aubert", "Expert en cybersécurité"),
    ("Sophie Lemoine", "Université de Nantes (économie)"),
    ("Yves Carpentier", "Association des élus du numérique"),
    ("Aurélie Blanc", "Agence régionale du numérique"),
    ("Denis Faure", "Université Côte d'Azur (communication)"),
]
COMMENTAIRES = [
    "Une politique numérique lisible, portée par les élus, avec des actions d'inclusion solides.",
    "Des actions nombreuses mais peu reliées entre elles : une stratégie d'ensemble aiderait.",
    "La participation citoyenne en ligne est exemplaire ; l'ouverture des données reste à engager.",
    "Un effort remarquable pour une collectivité de cette taille, notamment en médiation.",
    "Le dossier gagnerait à chiffrer les résultats obtenus et les publics touchés.",
]
NOTES_JURY = [
    "À comparer avec son niveau de l'an dernier.",
    "Dossier complet, je propose une progression.",
    "Peu d'actions récentes : prudence sur le niveau.",
    "",
]


def secret(rng):
    return base64.b32encode(bytes(rng.getrandbits(8) for _ in range(20))).decode()


def build_jures(rng, editions, password_hash, demo_user, domain):
    """The same twenty people on the jury of each edition; the first presides. Returns the
    logins to print: (role, e-mail, TOTP secret)."""
    # Home départements without any dossier: the demo's jurors are free to score every one.
    departements = list(
        Departement.objects.exclude(collectivites__candidatures__edition__in=editions).order_by("code")
    ) or [None]
    enjeux = list(Enjeu.objects.order_by("pk"))
    logins = []
    for i, (nom, organisation) in enumerate(JURES, start=1):
        email = f"jure{i:02}@{domain}"
        first, last = nom.split(" ", 1)
        user = demo_user(email, password_hash, first_name=first, last_name=last)
        totp = secret(rng)
        TOTP.activate(user, totp)
        departement = rng.choice(departements)
        expertises = rng.sample(enjeux, min(3, len(enjeux)))
        for edition in editions:
            jure = Jure.objects.create(
                edition=edition,
                user=user,
                email=email,
                nom=nom,
                organisation=organisation,
                departement=departement,
                president=i == 1,
                invited_at=edition.cloture - datetime.timedelta(days=30),
                accepted_at=edition.cloture - datetime.timedelta(days=28),
            )
            jure.expertises.set(expertises)
        if i == 1:
            logins.append(("Président du jury (double authentification)", email, totp))
        elif i == 2:
            logins.append(("Juré (double authentification)", email, totp))
    return logins


def _score(rng, niveau, echelle, biais):
    return max(0, min(echelle, round(niveau * echelle / 5) + biais + rng.choice([-1, 0, 0, 1])))


def score_evaluations(rng, evaluations, niveaux, states, now):
    """Fill the evaluations with scores consistent with each dossier's level, each juror with a
    bias of their own (severe, neutral, generous); ``states`` picks each one's state."""
    if not evaluations:
        return
    edition = evaluations[0].candidature.edition
    criteres = grille.criteres(edition)
    mentions = list(Mention.objects.filter(edition=edition))
    biais = {}
    notes, links = [], []
    for evaluation in evaluations:
        state = states(evaluation)
        if state == Evaluation.State.A_FAIRE:
            continue
        niveau = niveaux[evaluation.candidature_id]
        b = biais.setdefault(evaluation.jure_id, rng.choice([-1, 0, 0, 1]))
        evaluation.state = state
        evaluation.niveau_propose = max(1, min(5, niveau + rng.choice([-1, 0, 0, 0, 1])))
        evaluation.commentaire_collectivite = rng.choice(COMMENTAIRES)
        evaluation.note_jury = rng.choice(NOTES_JURY)
        evaluation.updated_at = now
        evaluation.submitted_at = now if state == Evaluation.State.SOUMISE else None
        scored = criteres if state == Evaluation.State.SOUMISE else criteres[: len(criteres) // 2]
        for critere in scored:
            notes.append(
                Note(evaluation=evaluation, critere=critere, score=_score(rng, niveau, critere.echelle, b))
            )
        if mentions and niveau >= 4 and rng.random() < 0.3:
            links.append(
                Evaluation.mentions_proposees.through(
                    evaluation_id=evaluation.pk, mention_id=rng.choice(mentions).pk
                )
            )
    Evaluation.objects.bulk_update(
        evaluations,
        ["state", "niveau_propose", "commentaire_collectivite", "note_jury", "updated_at", "submitted_at"],
        batch_size=1000,
    )
    Note.objects.bulk_create(notes, batch_size=2000)
    Evaluation.mentions_proposees.through.objects.bulk_create(links, ignore_conflicts=True)


def build_deliberation(rng, edition, president):
    """The published edition: every dossier scored and decided, the deliberation closed. The
    levels are those of the collectivités' current label (set by the demo's palmarès)."""
    jury, _ = Jury.objects.get_or_create(edition=edition)
    affectation.affecter(edition, by=president.user)
    filed = Candidature.objects.filter(edition=edition, state=Candidature.State.DEPOSEE).select_related(
        "collectivite"
    )
    niveaux = {c.pk: c.collectivite.niveau or 1 for c in filed}
    evaluations = list(
        Evaluation.objects.filter(candidature__edition=edition).select_related("candidature__edition")
    )
    moment = timezone.make_aware(datetime.datetime.combine(edition.jury_date, datetime.time(10)))
    score_evaluations(rng, evaluations, niveaux, lambda e: Evaluation.State.SOUMISE, moment)
    decide(rng, edition, jury, filed, niveaux, evaluations, president, moment)


def decide(rng, edition, jury, filed, niveaux, evaluations, president, moment):
    """Every submitted dossier decided at ``moment`` (its level: ``niveaux``), the jurors'
    comments stored, the deliberation closed eight hours later."""
    from label.workflow import enregistrer_retours

    mentions = list(Mention.objects.filter(edition=edition))
    ten = eligibilites_ten([c.collectivite_id for c in filed], edition.annee)
    resultats = []
    for candidature in filed:
        niveau = niveaux[candidature.pk]
        resultats.append(
            Resultat(
                candidature=candidature,
                niveau=niveau,
                ten=ten[candidature.collectivite_id].eligible(niveau),
                motivation="Décision conforme aux propositions du jury.",
                decided_by=president.user,
                decided_at=moment,
            )
        )
    Resultat.objects.bulk_create(resultats, batch_size=1000)
    # The jurors' comments for the collectivités, as the closing of the deliberation stores them.
    # (The demo's comments are drawn from a short list: two jurors may draw the same one.)
    retours = {}
    for evaluation in sorted(evaluations, key=lambda e: e.pk):
        commentaire = evaluation.commentaire_collectivite
        commentaires = retours.setdefault(evaluation.candidature_id, [])
        if evaluation.state == Evaluation.State.SOUMISE and commentaire and commentaire not in commentaires:
            commentaires.append(commentaire)
    enregistrer_retours(edition, retours)
    # Mentions first, then the journal: each entry states the decision as it was recorded.
    choisies = {
        r.pk: rng.choice(mentions) for r in resultats if mentions and r.niveau >= 4 and rng.random() < 0.25
    }
    Resultat.mentions.through.objects.bulk_create(
        [Resultat.mentions.through(resultat_id=pk, mention_id=mention.pk) for pk, mention in choisies.items()]
    )
    ResultatJournal.objects.bulk_create(
        [
            ResultatJournal(
                resultat=r,
                by=president.user,
                at=moment,
                avant=None,
                apres={
                    "niveau": r.niveau,
                    "mentions": [choisies[r.pk].nom] if r.pk in choisies else [],
                    "ten": r.ten,
                    "motivation": r.motivation,
                },
            )
            for r in resultats
        ],
        batch_size=1000,
    )
    edition.resultats_clos_at = moment + datetime.timedelta(hours=8)
    edition.save(update_fields=["resultats_clos_at"])
    jury.phase = Jury.Phase.CLOSE
    jury.deliberation_ouverte_at = moment
    jury.save(update_fields=["phase", "deliberation_ouverte_at"])


def build_evaluations(rng, edition, president, moment=demo_moments.CANDIDATURES):
    """The open edition: its submitted dossiers assigned. While applications are open and at
    the jury's moment, evaluations to do, begun and submitted; at the deliberation, all
    submitted and the deliberation open today; at the palmarès, every dossier decided too and
    the deliberation closed. A dossier's level: its collectivité's current one, else 1@ to 4@."""
    jury, _ = Jury.objects.get_or_create(edition=edition)
    affectation.affecter(edition, by=president.user)
    filed = list(
        Candidature.objects.filter(edition=edition, state=Candidature.State.DEPOSEE)
        .select_related("collectivite")
        .order_by("pk")
    )
    niveaux = {c.pk: c.collectivite.niveau or rng.randint(1, 4) for c in filed}
    evaluations = list(
        Evaluation.objects.filter(candidature__edition=edition)
        .select_related("candidature__edition")
        .order_by("pk")
    )
    if moment in (demo_moments.CANDIDATURES, demo_moments.JURY):
        cycle = [Evaluation.State.SOUMISE, Evaluation.State.BROUILLON, Evaluation.State.A_FAIRE]
        score_evaluations(rng, evaluations, niveaux, lambda e: cycle[e.pk % 3], timezone.now())
        return
    reunion = timezone.make_aware(datetime.datetime.combine(edition.jury_date, datetime.time(10)))
    soumises = reunion - datetime.timedelta(days=2)
    score_evaluations(rng, evaluations, niveaux, lambda e: Evaluation.State.SOUMISE, soumises)
    if moment == demo_moments.PALMARES:
        decide(rng, edition, jury, filed, niveaux, evaluations, president, reunion)
        return
    jury.phase = Jury.Phase.DELIBERATION
    jury.deliberation_ouverte_at = min(timezone.now(), reunion)
    jury.save(update_fields=["phase", "deliberation_ouverte_at"])


def build_history(rng, edition):
    """The label history of the published edition's laureates, loaded as a past palmarès is:
    their years since 2009 through ``import_palmares``, the level drifting by at most one
    arobase a year away from this year's (5@ collectivités mostly stay there), the TEN where
    ``label.selectors.EligibiliteTen`` gives it, year after year as a jury would have."""
    lignes = ["annee;code;niveau;mentions;ten"]
    filed = Candidature.objects.filter(edition=edition, state=Candidature.State.DEPOSEE).select_related(
        "collectivite"
    )
    for candidature in filed.order_by("collectivite__code"):
        niveau = candidature.collectivite.niveau or 1
        annees = []
        for annee in range(edition.annee - 1, edition.annee - 1 - rng.randint(0, 17), -1):
            niveau = max(
                1, min(5, niveau + rng.choice([-1, 0, 0, 0, 0, 1]) * (niveau < 5 or rng.random() < 0.3))
            )
            annees.append((annee, niveau))
        cinq, dernier_ten = 0, None
        for annee, niveau in reversed(annees):
            ten = EligibiliteTen(annee, labels_5=cinq, dernier_ten=dernier_ten).eligible(niveau)
            cinq += niveau == 5
            dernier_ten = annee if ten else dernier_ten
            lignes.append(f"{annee};{candidature.collectivite.code};{niveau};;{'oui' if ten else ''}")
    with tempfile.NamedTemporaryFile("w", suffix=".csv", encoding="utf-8") as fichier:
        fichier.write("\n".join(lignes) + "\n")
        fichier.flush()
        call_command("import_palmares", fichier.name, verbosity=0)
    # The demo's world is whole: every palmarès before the published edition's is in it, so its
    # « premières participations » can be told.
    HistoriqueComplet.objects.bulk_create(
        [HistoriqueComplet(annee=annee) for annee in range(PREMIER_MILLESIME, edition.annee)],
        ignore_conflicts=True,
    )


def publish(edition, moment):
    """The ceremony: the palmarès is public, certificates and files are generated. The demo's
    members are not e-mailed (their results count as announced)."""
    Resultat.objects.filter(candidature__edition=edition).update(annonce_at=moment)
    publication.publier(edition, now=moment)


def build(
    rng, previous, current, password_hash, demo_user, domain, *, chrono, moment=demo_moments.CANDIDATURES
):
    """The jury of both editions; ``chrono`` (``demo.Chrono``) times its phases."""
    if Jure.objects.filter(email__endswith=domain).exists():
        return []
    with chrono.phase("historique des labels"):
        build_history(rng, previous)
    with chrono.phase("jurés"):
        logins = build_jures(rng, [previous, current], password_hash, demo_user, domain)
    presidents = {j.edition_id: j for j in Jure.objects.filter(president=True).select_related("user")}
    with chrono.phase(f"délibération {previous.annee}"):
        build_deliberation(rng, previous, presidents[previous.pk])
    with chrono.phase(f"publication du palmarès {previous.annee}"):
        publish(
            previous,
            timezone.make_aware(datetime.datetime.combine(previous.ceremonie_date, datetime.time(18))),
        )
    with chrono.phase(f"évaluations {current.annee}"):
        build_evaluations(rng, current, presidents[current.pk], moment)
    return logins
