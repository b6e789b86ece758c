"""A realistic, deterministic demo built on the real referential of territories.

Each part of the portal adds its step to ``build``; the same seed gives the same data (the
calendar of the open edition is set relative to today so that the chosen moment of the year,
``demo_moments``, is live when you try it).
"""

import contextlib
import datetime
import itertools
import math
import random
import time
from collections import defaultdict
from dataclasses import dataclass, field
from zoneinfo import ZoneInfo

from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from allauth.mfa.utils import decrypt
from celery import current_app
from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.core.management import call_command
from django.db import DEFAULT_DB_ALIAS, connection, connections, transaction
from django.utils import timezone

from atlaas import catalogue
from atlaas.models import Collectivite, ContactFiche, FicheAction, FicheTransition, Membership, Service
from jury.models import Evaluation
from label import documents
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
from outbox import envois

from . import demo_jury, demo_moments
from .demo_textes import (
    ACTIONS,
    CONTEXTES,
    FIRST_NAMES,
    FONCTIONS,
    LAST_NAMES,
    OUTILS,
    PARTENAIRES,
    PUBLICS,
    REALISATIONS,
    RESULTATS,
    SUJETS,
    TENDANCES,
)

DEMO_PASSWORD = "Demo-Villes-Internet-2026"
DEMO_DOMAIN = "demo.villes-internet.net"
PARIS = ZoneInfo("Europe/Paris")


@dataclass
class DemoResult:
    logins: list = field(default_factory=list)  # (role, email)
    totp: dict = field(default_factory=dict)  # email: TOTP secret of the demo's staff and jurors
    counts: dict = field(default_factory=dict)
    edition: Edition | None = None  # the open edition
    moment: str = demo_moments.CANDIDATURES


# The tasks that write files: the certificates and palmarès files of the published edition, the
# Atlaas' full export (``fichiers_aux_workers``).
TACHES_FICHIERS = (documents.TACHE, catalogue.export.TACHE)


def fichiers_aux_workers():
    """In full mode (a broker, served by workers), the demo's files are the workers' to write, as
    after any publication: a process that runs tasks eagerly all the same (a bench, a test)
    leaves them waiting instead of rendering them itself (the worker's beat takes them within a
    minute or two). In embedded mode (no broker, no worker) the demo renders them after its
    commit: `make run` shows them."""
    if settings.CELERY_BROKER_URL and current_app.conf.task_always_eager:
        return envois.aux_workers(*TACHES_FICHIERS)
    return contextlib.nullcontext()


class Chrono:
    """The time of each phase of the build, written to ``stdout`` (``manage.py demo --verbosity
    2``): where a slow demo spends it. Without ``stdout``, nothing is written."""

    def __init__(self, stdout=None):
        self.stdout = stdout

    @contextlib.contextmanager
    def phase(self, nom):
        debut = time.monotonic()
        yield
        self._ecrire(nom, debut)

    def jusqu_apres_validation(self, nom):
        """From now to the end of what the commit of the current transaction runs (its hooks:
        the outbox's hand-overs, the tasks themselves when Celery runs them eagerly)."""
        debut = time.monotonic()
        transaction.on_commit(lambda: self._ecrire(nom, debut))

    def _ecrire(self, nom, debut):
        if self.stdout:
            self.stdout.write(f"  {time.monotonic() - debut:6.1f} s  {nom}")


def inserer(objets, batch_size=2000):
    """Write new rows of one model, their ids set on the objects as ``bulk_create`` does. On
    PostgreSQL, by COPY, the ids drawn first from the table's sequence, in the objects' order:
    the demo's tens of thousands of rows, several times faster than INSERTs whose SQL Django
    builds and psycopg parses again for every value."""
    if not objets:
        return objets
    if connection.vendor != "postgresql":
        return type(objets[0]).objects.bulk_create(objets, batch_size=batch_size)
    meta = objets[0]._meta
    champs = [champ for champ in meta.concrete_fields if not champ.generated]
    base = connections[DEFAULT_DB_ALIAS]  # not the proxy: read once per value below
    quote = base.ops.quote_name
    with base.cursor() as cursor:
        sans_id = [objet for objet in objets if objet.pk is None]
        if sans_id:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s) ORDER BY 1",
                [meta.db_table, meta.pk.column, len(sans_id)],
            )
            for objet, (pk,) in zip(sans_id, cursor.fetchall(), strict=True):
                objet.pk = pk
        colonnes = ", ".join(quote(champ.column) for champ in champs)
        with cursor.copy(f"COPY {quote(meta.db_table)} ({colonnes}) FROM STDIN") as copie:
            for objet in objets:
                objet._prepare_related_fields_for_save(operation_name="inserer")
                copie.write_row(
                    [champ.get_db_prep_save(champ.pre_save(objet, True), base) for champ in champs]
                )
                objet._state.adding, objet._state.db = False, base.alias
    return objets


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


def cle_totp(user, rng):
    """The user's TOTP key, activated on first use: the admin asks staff for its code."""
    authenticator = Authenticator.objects.filter(user=user, type=Authenticator.Type.TOTP).first()
    if authenticator:
        return decrypt(authenticator.data["secret"])
    cle = demo_jury.secret(rng)
    TOTP.activate(user, cle)
    return cle


def ensure_referential(stdout=None):
    if not Collectivite.objects.exists():
        call_command("import_territoires", stdout=stdout)
    if not Service.objects.exists():
        call_command("import_taxonomie", stdout=stdout)


def paris(year, month, day, hour=0, minute=0):
    return datetime.datetime(year, month, day, hour, minute, tzinfo=PARIS)


def build_editions(today, moment=demo_moments.CANDIDATURES):
    """Label 2026 (closed, ceremony in Agen) and the open edition, its calendar set for ``moment``
    (for applications: closing three weeks from today)."""
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
    calendrier = demo_moments.calendrier(moment, today)
    current, created = Edition.objects.get_or_create(
        annee=today.year + 1,
        defaults={
            "numero": today.year - 1998,
            "state": Edition.State.OUVERTE,
            "ouverture": calendrier.ouverture,
            "cloture": calendrier.cloture,
            "jury_date": calendrier.jury_date,
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
                ("Quelle action vous rend le plus fier cette année ?", Q.LONG_TEXT, False),
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


def fiche_text(rng, sujet):
    titre = f"{sujet.capitalize()} {rng.choice(PUBLICS)} : {rng.choice(ACTIONS)}"
    description = (
        f"{rng.choice(CONTEXTES)} {rng.choice(REALISATIONS)}. "
        f"Le projet « {sujet} » s'appuie sur {rng.choice(OUTILS).lower()} "
        f"et sur {rng.choice(PARTENAIRES).lower()}. "
        f"{rng.choice(REALISATIONS).capitalize()}."
    )
    resultats = rng.choice(RESULTATS).format(n=rng.randint(20, 2000), p=rng.randint(10, 95))
    return titre[:200], description, resultats


def poids_des_sujets(annee, today):
    """The cumulative weights of the subjects (``SUJETS``' order) for a fiche starting in
    ``annee``: ``TENDANCES`` from four years before ``today``'s year."""
    ecart = annee - today.year + 4
    return list(itertools.accumulate(math.exp(TENDANCES.get(sujet, 0) * ecart) for sujet in SUJETS))


def build_fiches(rng, collectivites, users_by_collectivite, total, today):
    services = list(Service.objects.filter(actif=True).values_list("pk", flat=True))
    by_name = dict(Service.objects.values_list("nom", "pk"))
    sujets = {sujet: [by_name[n] for n in names if n in by_name] for sujet, names in SUJETS.items()}
    noms, poids = list(sujets), {}
    weights = [rng.lognormvariate(0, 0.7) for _ in collectivites]
    scale = total / sum(weights)
    fiches, tags, service_links, contacts = [], [], [], []
    State = FicheAction.State
    states = [State.PUBLIEE] * 17 + [State.SOUMISE, State.BROUILLON, State.A_CORRIGER]
    for collectivite, weight in zip(collectivites, weights, strict=True):
        for _ in range(max(3, round(weight * scale))):
            debut = today - datetime.timedelta(days=rng.randint(30, 8 * 365))
            if debut.year not in poids:
                poids[debut.year] = poids_des_sujets(debut.year, today)
            sujet = rng.choices(noms, cum_weights=poids[debut.year])[0]
            titre, description, resultats = fiche_text(rng, sujet)
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
                    published_at=published_at(rng, debut, today) if state == State.PUBLIEE else None,
                )
            )
            tags.append(sujets[sujet])
    # Written in the order of their publication (drafts at their start), as years of use write
    # them: a search reading the most recent first finds them side by side.
    ordre = sorted(range(len(fiches)), key=lambda i: cle_chronologique(fiches[i]))
    fiches, tags = [fiches[i] for i in ordre], [tags[i] for i in ordre]
    inserer(fiches)
    through = FicheAction.services.through
    for fiche, tagged in zip(fiches, tags, strict=True):
        chosen = set(rng.sample(tagged, rng.choice([1, 2]))) if tagged else set()
        if not chosen or rng.random() < 0.2:
            chosen.add(rng.choice(services))
        for service in chosen:
            service_links.append(through(ficheaction_id=fiche.pk, service_id=service))
        contacts.append(
            ContactFiche(
                fiche=fiche,
                nom=f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                fonction=rng.choice(FONCTIONS),
                email=f"contact{fiche.pk}@{DEMO_DOMAIN}",
            )
        )
    inserer(service_links)
    inserer(contacts)
    inserer(
        [
            FicheTransition(fiche=f, from_state=State.SOUMISE, to_state=f.state)
            for f in fiches
            if f.state in (State.PUBLIEE, State.A_CORRIGER)
        ],
        batch_size=2000,
    )
    return fiches


def build_levels(rng, edition):
    """The current level of the collectivités whose dossier was filed for ``edition`` (the
    distribution of a real palmarès: every participant gets at least 1@)."""
    filed = Candidature.objects.filter(edition=edition, state=Candidature.State.DEPOSEE)
    by_level = defaultdict(list)
    for collectivite_id in filed.values_list("collectivite_id", flat=True).order_by("collectivite_id"):
        by_level[rng.choices([1, 2, 3, 4, 5], weights=[31, 38, 48, 37, 36])[0]].append(collectivite_id)
    for level, ids in by_level.items():
        Collectivite.objects.filter(pk__in=ids).update(niveau=level, niveau_millesime=edition.annee)


def cle_chronologique(fiche):
    moment = fiche.published_at or timezone.make_aware(
        datetime.datetime.combine(fiche.date_debut, datetime.time())
    )
    return moment, fiche.collectivite_id


def published_at(rng, debut, today):
    """Some weeks after the action started, never in the future."""
    day = min(today, debut + datetime.timedelta(days=rng.randint(20, 400)))
    return timezone.make_aware(datetime.datetime.combine(day, datetime.time(9 + rng.randint(0, 8))))


def build_candidatures(rng, previous, current, collectivites, users_by_collectivite, fiches):
    """Last year's dossiers (all submitted) and this year's in every state, with their history.
    One collectivité in seven that applied last year has not started this year's dossier yet:
    its référent can take over last year's."""
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
            if i % 7 == 3:
                continue  # this year's dossier not started yet: last year's can be taken over
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
    now = timezone.now()
    for edition, collectivite, state in plan:
        candidatures.append(
            Candidature(
                edition=edition,
                collectivite=collectivite,
                type=edition.type_for(collectivite),
                state=state,
                created_by=users_by_collectivite[collectivite.pk],
                updated_by=users_by_collectivite[collectivite.pk],
                # Before the closing, and never in the future while applications are open.
                submitted_at=min(edition.cloture, now) - datetime.timedelta(days=rng.randint(1, 60))
                if state == State.DEPOSEE
                else None,
            )
        )
    inserer(candidatures)
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
    inserer(links)
    inserer(answers)
    inserer(history)
    return candidatures


def a_reprendre(previous, current):
    """The first demo référent (by e-mail) of a collectivité that filed last year and has no
    dossier this year: the one who can try « reprendre le dossier de l'an dernier »."""
    return (
        Membership.objects.filter(
            user__email__endswith=DEMO_DOMAIN,
            role=Membership.Role.REFERENT,
            state=Membership.State.ACTIVE,
            collectivite__candidatures__edition=previous,
            collectivite__candidatures__state=Candidature.State.DEPOSEE,
        )
        .exclude(collectivite__candidatures__edition=current)
        .select_related("user", "collectivite")
        .order_by("user__email")
        .first()
    )


def demo_answer(rng, question):
    kind = question.kind
    if kind == Question.Kind.NUMBER:
        return str(rng.randint(1, 40) if "agents" in question.libelle else rng.randint(5, 900) * 1000)
    if kind == Question.Kind.YES_NO:
        return rng.choice(["oui", "oui", "non"])
    if kind == Question.Kind.CHOICE:
        return rng.choice(question.choice_list())
    return fiche_text(rng, rng.choice(list(SUJETS)))[1]


@transaction.atomic
def build(*, seed=2026, small=False, fiches=None, today=None, moment=demo_moments.CANDIDATURES, chrono=None):
    """Build the demo at ``moment`` of the open edition (``demo_moments``); running it again adds
    nothing twice and keeps the moment it was built at. ``chrono`` (``Chrono``) times its phases."""
    chrono = chrono or Chrono()
    rng = random.Random(seed)
    today = today or timezone.localdate()
    result = DemoResult(moment=moment)
    password_hash = make_password(DEMO_PASSWORD)  # slow on purpose: once for every demo account

    staff = demo_user(
        f"equipe@{DEMO_DOMAIN}", password_hash, first_name="Équipe", last_name="Villes Internet", staff=True
    )
    result.logins.append(("Équipe (administration, double authentification)", staff.email))
    # A generator of its own: the demo's other draws stay what they were.
    result.totp[staff.email] = cle_totp(staff, random.Random(f"equipe-{seed}"))
    previous, current = build_editions(today, moment)
    result.edition = current

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
        with chrono.phase(f"{total} fiches actions"):
            all_fiches = build_fiches(rng, collectivites, referents, total, today)
        with chrono.phase("candidatures"):
            build_candidatures(rng, previous, current, collectivites, referents, all_fiches)
            build_levels(rng, previous)
        with chrono.phase("index du catalogue"):
            catalogue.indexer()
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
    en_cours = current.is_open()  # the moment the demo was built at, whatever asked now
    etat = "candidature en cours" if en_cours else f"candidature {current.annee} restée en brouillon"
    result.logins.append((f"Référent — {first.collectivite.nom} ({etat})", first.user.email))
    if contributor:
        result.logins.append((f"Contributeur — {first.collectivite.nom}", contributor.user.email))
    if en_cours and (renouvellement := a_reprendre(previous, current)):
        result.logins.append(
            (
                f"Référent — {renouvellement.collectivite.nom} (dossier {previous.annee} à reprendre)",
                renouvellement.user.email,
            )
        )
    result.logins.append(("Nouvel utilisateur (demande d'adhésion en attente)", f"nouveau@{DEMO_DOMAIN}"))
    for role, email, secret in demo_jury.build(
        rng, previous, current, password_hash, demo_user, DEMO_DOMAIN, moment=moment, chrono=chrono
    ):
        result.logins.append((role, email))
        result.totp[email] = secret
    result.counts = {
        "utilisateurs": get_user_model().objects.filter(email__endswith=DEMO_DOMAIN).count(),
        "collectivités participantes": Candidature.objects.values("collectivite").distinct().count(),
        "fiches actions": FicheAction.objects.count(),
        "candidatures": Candidature.objects.count(),
        "évaluations du jury": Evaluation.objects.count(),
    }
    chrono.jusqu_apres_validation("validation et tâches qui la suivent")
    return result
