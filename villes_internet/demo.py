"""A realistic, deterministic demo built on the real referential of territories.

Each part of the portal adds its step to ``build``; the same seed gives the same data (the
calendar of the open edition is set relative to today so that it is open when you try it).
"""

import datetime
import random
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import transaction
from django.utils import timezone

from atlaas.models import Collectivite, ContactFiche, FicheAction, FicheTransition, Membership, Service
from label.models import (
    Candidature,
    CandidatureTransition,
    Edition,
    Mention,
    Question,
    Reponse,
    Section,
    TypeCandidature,
)

DEMO_PASSWORD = "Demo-Villes-Internet-2026"
DEMO_DOMAIN = "demo.villes-internet.net"
PARIS = ZoneInfo("Europe/Paris")

FIRST_NAMES = [
    "Camille",
    "Dominique",
    "Claude",
    "Sandrine",
    "Karim",
    "Nathalie",
    "Thomas",
    "Léa",
    "Hugo",
    "Mathilde",
    "Yannick",
    "Sophie",
    "Julien",
    "Aïcha",
    "Pierre",
    "Élodie",
    "Marc",
    "Inès",
]
LAST_NAMES = [
    "Martin",
    "Bernard",
    "Dubois",
    "Thomas",
    "Robert",
    "Richard",
    "Petit",
    "Durand",
    "Leroy",
    "Moreau",
    "Simon",
    "Laurent",
    "Lefèbvre",
    "Michel",
    "Garcia",
    "David",
    "Bertrand",
    "Roux",
]
FONCTIONS = [
    "Maire",
    "Adjoint au numérique",
    "Directrice générale des services",
    "Chargé de mission numérique",
    "Responsable informatique",
    "Conseillère numérique",
    "Secrétaire de mairie",
    "Chargée de communication",
]

# Fiche texts are assembled from parts: varied, plausible, and searchable in French.
ACTIONS = [
    "Ateliers de",
    "Mise en place d'un service de",
    "Plateforme de",
    "Programme de",
    "Espace de",
    "Déploiement de",
    "Accompagnement à la",
    "Lancement d'un dispositif de",
    "Création d'un portail de",
    "Formation à la",
]
SUJETS = [
    "médiation numérique",
    "démarches en ligne",
    "participation citoyenne",
    "budget participatif",
    "données ouvertes",
    "cybersécurité",
    "inclusion numérique",
    "école numérique",
    "télémédecine",
    "réservation des équipements sportifs",
    "consultation publique",
    "signalement des incidents de voirie",
    "sobriété numérique",
    "numérisation des archives",
    "cartographie participative",
    "intelligence artificielle",
    "accessibilité des services",
    "prêt de matériel informatique",
    "visioconférence pour les conseils municipaux",
    "tiers-lieu numérique",
]
PUBLICS = [
    "pour les seniors",
    "pour les familles",
    "pour les jeunes",
    "pour les agents",
    "pour les élus",
    "pour les associations",
    "pour les commerçants",
    "dans les quartiers populaires",
    "pour tous les habitants",
    "pour les demandeurs d'emploi",
]
CONTEXTES = [
    "Constatant qu'une partie des habitants renonçait à ses droits faute d'accès aux démarches en ligne,",
    "À la demande du conseil municipal des jeunes,",
    "Dans le cadre du schéma directeur numérique,",
    "Avec l'appui du conseiller numérique France Services,",
    "Après une consultation des habitants,",
    "Pour répondre à la fermeture de guichets de proximité,",
]
REALISATIONS = [
    "la collectivité a ouvert des permanences hebdomadaires à la médiathèque",
    "un outil libre a été installé et paramétré par le service informatique",
    "les agents d'accueil ont été formés pendant trois demi-journées",
    "une association locale anime les séances avec des bénévoles",
    "le service est accessible en ligne et au guichet de la mairie",
    "des tablettes sont prêtées aux habitants qui n'en ont pas",
]
RESULTATS = [
    "Plus de {n} personnes accompagnées la première année.",
    "{n} démarches réalisées en ligne.",
    "Un taux de satisfaction de {p} % mesuré par questionnaire.",
    "{n} participants aux ateliers.",
    "Le temps d'attente au guichet a baissé de {p} %.",
]
OUTILS = [
    "Logiciel libre",
    "Nextcloud",
    "Decidim",
    "OpenStreetMap",
    "LibreOffice",
    "Moodle",
    "Jitsi",
    "Tablettes",
    "Bornes interactives",
    "Site internet de la commune",
]
PARTENAIRES = [
    "Médiathèque municipale",
    "Centre communal d'action sociale",
    "France Services",
    "Association Emmaüs Connect",
    "Département",
    "Région",
    "Syndicat mixte numérique",
    "La Poste",
]


@dataclass
class DemoResult:
    logins: list = field(default_factory=list)  # (role, email)
    counts: dict = field(default_factory=dict)


def demo_user(email, password_hash, *, first_name="", last_name="", staff=False):
    """A user with a verified address and the demo password (created once)."""
    user, created = get_user_model().objects.get_or_create(
        email=email,
        defaults={
            "first_name": first_name,
            "last_name": last_name,
            "is_staff": staff,
            "is_superuser": staff,
            "password": password_hash,
        },
    )
    if created:
        EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def ensure_referential(stdout=None):
    if not Collectivite.objects.exists():
        call_command("import_territoires", stdout=stdout)
    if not Service.objects.exists():
        call_command("import_taxonomie", stdout=stdout)


def paris(year, month, day, hour=0, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def build_editions(today):
    """Label 2026 (closed, ceremony in Agen) and an open edition closing three weeks from today."""
    previous, _ = Edition.objects.get_or_create(
        annee=today.year,
        defaults={
            "numero": today.year - 1999,
            "state": Edition.State.CLOSE,
            "ouverture": paris(today.year - 1, 3, 2, 9),
            "cloture": paris(today.year - 1, 11, 14, 18),
            "jury_date": datetime.date(today.year - 1, 12, 4),
            "ceremonie_date": datetime.date(today.year, 1, 29),
            "ceremonie_lieu": "Agen",
        },
    )
    closing = datetime.datetime.combine(today + datetime.timedelta(days=21), datetime.time(18), tzinfo=PARIS)
    current, created = Edition.objects.get_or_create(
        annee=today.year + 1,
        defaults={
            "numero": today.year - 1998,
            "state": Edition.State.OUVERTE,
            "ouverture": closing - datetime.timedelta(days=260),
            "cloture": closing,
            "jury_date": (closing + datetime.timedelta(days=20)).date(),
            "ceremonie_date": datetime.date(today.year + 1, 1, 28),
            "ceremonie_lieu": "Paris",
            "note_adhesion": (
                "La participation au label est liée à l'adhésion à l'association, selon la population."
            ),
        },
    )
    if created:
        for edition in (previous, current):
            build_questionnaire(edition)
    return previous, current


def build_questionnaire(edition):
    if edition.sections.exists():
        return
    for i, nom in enumerate(
        ["Démocratie locale", "Médiation numérique", "Numérique éducatif", "Arobase verte"]
    ):
        Mention.objects.create(edition=edition, nom=nom, ordre=i)
    Q = Question.Kind
    layout = [
        (
            "",
            "Contexte",
            [
                ("Présentez votre politique numérique en quelques lignes.", Q.LONG_TEXT, True),
                (
                    "Combien d'agents travaillent sur le numérique (en équivalent temps plein) ?",
                    Q.NUMBER,
                    True,
                ),
                ("Quel budget annuel consacrez-vous au numérique (en euros) ?", Q.NUMBER, False),
            ],
        ),
        (
            "",
            "Gouvernance numérique",
            [
                ("Un élu est-il délégué au numérique ?", Q.YES_NO, True),
                ("Où en est la dématérialisation de vos démarches ?", Q.CHOICE, True),
                ("Délibération du conseil autorisant la candidature", Q.FILE, False),
            ],
        ),
        (
            TypeCandidature.TERRITOIRE,
            "Territoire",
            [
                (
                    "Comment les communes membres sont-elles associées à la politique numérique ?",
                    Q.LONG_TEXT,
                    True,
                ),
            ],
        ),
        (
            "",
            "Auto-évaluation",
            [
                ("Quelle action vous rend le plus fier cette année ?", Q.TEXT, False),
            ],
        ),
    ]
    for s, (type_candidature, titre, questions) in enumerate(layout):
        section = Section.objects.create(
            edition=edition, type_candidature=type_candidature, titre=titre, ordre=s
        )
        for q, (libelle, kind, required) in enumerate(questions):
            Question.objects.create(
                section=section,
                libelle=libelle,
                kind=kind,
                required=required,
                ordre=q,
                choices="Débutant\nIntermédiaire\nAvancé" if kind == Q.CHOICE else "",
            )


def pick_collectivites(rng, count):
    """Mostly towns and villages of every size, a few intercommunalités; the same for a seed."""
    communes = list(
        Collectivite.objects.communes()
        .actives()
        .filter(population__gte=400)
        .order_by("code")
        .values_list("pk", flat=True)
    )
    epcis = list(Collectivite.objects.epcis().actives().order_by("code").values_list("pk", flat=True))
    chosen = rng.sample(communes, count - count // 20) + rng.sample(epcis, count // 20)
    agen = Collectivite.objects.filter(code="47001").values_list("pk", flat=True).first()
    if agen and agen not in chosen:
        chosen[0] = agen
    # Agen first: the first demo login acts for a familiar example.
    return sorted(Collectivite.objects.filter(pk__in=chosen), key=lambda c: (c.code != "47001", c.nom))


def build_members(rng, collectivites, password_hash, staff):
    User = get_user_model()
    users, memberships = [], []
    for i, collectivite in enumerate(collectivites):
        for j in range(1 + (i % 3 == 0)):
            email = f"membre{len(users) + 1:03}@{DEMO_DOMAIN}"
            users.append(
                User(
                    email=email,
                    password=password_hash,
                    first_name=rng.choice(FIRST_NAMES),
                    last_name=rng.choice(LAST_NAMES),
                )
            )
            memberships.append((len(users) - 1, collectivite, j))
    User.objects.bulk_create(users, batch_size=1000)
    users = {u.email: u for u in User.objects.filter(email__endswith=DEMO_DOMAIN)}
    EmailAddress.objects.bulk_create(
        [
            EmailAddress(user=u, email=u.email, verified=True, primary=True)
            for u in users.values()
            if not u.is_staff
        ],
        batch_size=1000,
    )
    now = timezone.now()
    rows = []
    for index, collectivite, j in memberships:
        user = users[f"membre{index + 1:03}@{DEMO_DOMAIN}"]
        rows.append(
            Membership(
                user=user,
                collectivite=collectivite,
                fonction=rng.choice(FONCTIONS),
                role=Membership.Role.REFERENT if j == 0 else Membership.Role.CONTRIBUTEUR,
                state=Membership.State.ACTIVE,
                approved_at=now,
                approved_by=staff,
            )
        )
    Membership.objects.bulk_create(rows, batch_size=1000)
    return users


def fiche_text(rng):
    sujet = rng.choice(SUJETS)
    titre = f"{rng.choice(ACTIONS)} {sujet} {rng.choice(PUBLICS)}"
    description = (
        f"{rng.choice(CONTEXTES)} {rng.choice(REALISATIONS)}. "
        f"Le projet de {sujet} s'appuie sur {rng.choice(OUTILS).lower()} "
        f"et sur {rng.choice(PARTENAIRES).lower()}. "
        f"{rng.choice(REALISATIONS).capitalize()}."
    )
    resultats = rng.choice(RESULTATS).format(n=rng.randint(20, 2000), p=rng.randint(10, 95))
    return titre[:200], description, resultats


def build_fiches(rng, collectivites, users_by_collectivite, total, today):
    services = list(Service.objects.filter(actif=True).values_list("pk", flat=True))
    weights = [rng.lognormvariate(0, 0.7) for _ in collectivites]
    scale = total / sum(weights)
    fiches, service_links, contacts = [], [], []
    State = FicheAction.State
    states = [State.PUBLIEE] * 17 + [State.SOUMISE, State.BROUILLON, State.A_CORRIGER]
    for collectivite, weight in zip(collectivites, weights, strict=True):
        for _ in range(max(3, round(weight * scale))):
            titre, description, resultats = fiche_text(rng)
            debut = today - datetime.timedelta(days=rng.randint(30, 8 * 365))
            en_cours = rng.random() < 0.6
            fin = None if en_cours else min(today, debut + datetime.timedelta(days=rng.randint(60, 900)))
            state = rng.choice(states)
            fiches.append(
                FicheAction(
                    collectivite=collectivite,
                    state=state,
                    titre=titre,
                    description=description,
                    sous_titre=description.split(",")[0][:300],
                    resultats=resultats,
                    outils=", ".join(rng.sample(OUTILS, 2)),
                    partenaires=rng.choice(PARTENAIRES),
                    public_cible=rng.choice(PUBLICS).removeprefix("pour ").removeprefix("dans "),
                    date_debut=debut,
                    date_fin=fin,
                    en_cours=en_cours,
                    budget=rng.choice([None, rng.randint(1, 200) * 500]),
                    created_by=users_by_collectivite[collectivite.pk],
                    moderation_message="Précisez les résultats obtenus." if state == State.A_CORRIGER else "",
                    published_at=timezone.now() if state == State.PUBLIEE else None,
                )
            )
    FicheAction.objects.bulk_create(fiches, batch_size=2000)
    through = FicheAction.services.through
    for fiche in fiches:
        for service in rng.sample(services, rng.choice([1, 1, 2, 2, 3])):
            service_links.append(through(ficheaction_id=fiche.pk, service_id=service))
        contacts.append(
            ContactFiche(
                fiche=fiche,
                nom=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                fonction=rng.choice(FONCTIONS),
                email=f"contact{fiche.pk}@{DEMO_DOMAIN}",
            )
        )
    through.objects.bulk_create(service_links, batch_size=5000)
    ContactFiche.objects.bulk_create(contacts, batch_size=2000)
    FicheTransition.objects.bulk_create(
        [
            FicheTransition(fiche=f, from_state=State.SOUMISE, to_state=f.state)
            for f in fiches
            if f.state in (State.PUBLIEE, State.A_CORRIGER)
        ],
        batch_size=2000,
    )
    return fiches


def build_candidatures(rng, previous, current, collectivites, users_by_collectivite, fiches):
    """Last year's dossiers (all submitted) and this year's in every state, with their history."""
    by_collectivite = {}
    for fiche in fiches:
        by_collectivite.setdefault(fiche.collectivite_id, []).append(fiche)
    questions = {
        e.pk: list(Question.objects.filter(section__edition=e).select_related("section"))
        for e in (previous, current)
    }
    State = Candidature.State
    plan = []
    for i, collectivite in enumerate(collectivites):
        if i % 5 != 4:  # four in five applied last year
            plan.append((previous, collectivite, State.DEPOSEE))
        plan.append(
            (
                current,
                collectivite,
                [
                    State.BROUILLON,
                    State.BROUILLON,
                    State.DEPOSEE,
                    State.DEPOSEE,
                    State.BROUILLON,
                    State.RETIREE,
                ][i % 6]
                if i
                else State.BROUILLON,
            )
        )
    candidatures = []
    for edition, collectivite, state in plan:
        candidatures.append(
            Candidature(
                edition=edition,
                collectivite=collectivite,
                type=edition.type_for(collectivite),
                state=state,
                created_by=users_by_collectivite[collectivite.pk],
                updated_by=users_by_collectivite[collectivite.pk],
                submitted_at=edition.cloture - datetime.timedelta(days=rng.randint(1, 60))
                if state == State.DEPOSEE
                else None,
            )
        )
    Candidature.objects.bulk_create(candidatures, batch_size=1000)
    through = Candidature.fiches.through
    links, answers, history = [], [], []
    for candidature in candidatures:
        closing = candidature.edition.closing_date()
        for fiche in by_collectivite.get(candidature.collectivite_id, []):
            if fiche.is_eligible(closing):
                links.append(through(candidature_id=candidature.pk, ficheaction_id=fiche.pk))
        for question in questions[candidature.edition_id]:
            if question.section.type_candidature not in ("", candidature.type) or question.kind == "file":
                continue
            if candidature.state == State.BROUILLON and rng.random() < 0.4:
                continue  # drafts are incomplete
            answers.append(
                Reponse(candidature=candidature, question=question, valeur=demo_answer(rng, question))
            )
        by = users_by_collectivite[candidature.collectivite_id]
        if candidature.state != State.BROUILLON:
            history.append(
                CandidatureTransition(
                    candidature=candidature,
                    from_state=State.BROUILLON,
                    to_state=State.DEPOSEE,
                    by=by,
                    at=candidature.submitted_at
                    or candidature.edition.ouverture + datetime.timedelta(days=30),
                )
            )
        if candidature.state == State.RETIREE:
            history.append(
                CandidatureTransition(
                    candidature=candidature,
                    from_state=State.DEPOSEE,
                    to_state=State.RETIREE,
                    by=by,
                    at=candidature.edition.ouverture + datetime.timedelta(days=40),
                )
            )
    through.objects.bulk_create(links, batch_size=5000)
    Reponse.objects.bulk_create(answers, batch_size=2000)
    CandidatureTransition.objects.bulk_create(history, batch_size=2000)
    return candidatures


def demo_answer(rng, question):
    kind = question.kind
    if kind == Question.Kind.NUMBER:
        return str(rng.randint(1, 40) if "agents" in question.libelle else rng.randint(5, 900) * 1000)
    if kind == Question.Kind.YES_NO:
        return rng.choice(["oui", "oui", "non"])
    if kind == Question.Kind.CHOICE:
        return rng.choice(question.choice_list())
    return fiche_text(rng)[1]


@transaction.atomic
def build(*, seed=2026, small=False, fiches=None, today=None):
    """Build the demo; running it again adds nothing twice."""
    rng = random.Random(seed)
    today = today or timezone.localdate()
    result = DemoResult()
    password_hash = make_password(DEMO_PASSWORD)  # slow on purpose: once for every demo account

    staff = demo_user(
        f"equipe@{DEMO_DOMAIN}", password_hash, first_name="Équipe", last_name="Villes Internet", staff=True
    )
    result.logins.append(("Équipe de l'association (administration)", f"equipe@{DEMO_DOMAIN}"))
    previous, current = build_editions(today)

    if not Membership.objects.filter(user__email__endswith=DEMO_DOMAIN).exists():
        collectivites = pick_collectivites(rng, 20 if small else 500)
        users = build_members(rng, collectivites, password_hash, staff)
        referents = {
            m.collectivite_id: m.user
            for m in Membership.objects.filter(
                role=Membership.Role.REFERENT, user__email__endswith=DEMO_DOMAIN
            ).select_related("user")
        }
        total = fiches if fiches is not None else (300 if small else 15_000)
        all_fiches = build_fiches(rng, collectivites, referents, total, today)
        build_candidatures(rng, previous, current, collectivites, referents, all_fiches)
        newcomer = demo_user(f"nouveau@{DEMO_DOMAIN}", password_hash, first_name="Hugo", last_name="Nouveau")
        Membership.objects.create(
            user=newcomer,
            collectivite=collectivites[1],
            role=Membership.Role.CONTRIBUTEUR,
            message="Je suis le nouveau chargé de communication.",
        )
        del users

    first = (
        Membership.objects.filter(user__email__endswith=DEMO_DOMAIN, role=Membership.Role.REFERENT)
        .select_related("user", "collectivite")
        .order_by("user__email")
        .first()
    )
    contributor = (
        Membership.objects.filter(collectivite=first.collectivite, role=Membership.Role.CONTRIBUTEUR)
        .exclude(state=Membership.State.PENDING)
        .select_related("user")
        .first()
    )
    result.logins.append((f"Référent — {first.collectivite.nom} (candidature en cours)", first.user.email))
    if contributor:
        result.logins.append((f"Contributeur — {first.collectivite.nom}", contributor.user.email))
    result.logins.append(("Nouvel utilisateur (demande d'adhésion en attente)", f"nouveau@{DEMO_DOMAIN}"))
    result.counts = {
        "utilisateurs": get_user_model().objects.filter(email__endswith=DEMO_DOMAIN).count(),
        "collectivités participantes": Candidature.objects.values("collectivite").distinct().count(),
        "fiches actions": FicheAction.objects.count(),
        "candidatures": Candidature.objects.count(),
    }
    return result
