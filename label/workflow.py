"""State changes of a candidature: one door, history rows, side effects after commit."""

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from . import receipts, submission
from .dossier import edition_closed_reason
from .models import (
    Candidature,
    CandidatureTransition,
    Edition,
    Mention,
    Question,
    Resultat,
    ResultatJournal,
)

State = Candidature.State

ALLOWED = {
    State.BROUILLON: {State.DEPOSEE, State.RETIREE},
    State.DEPOSEE: {State.BROUILLON, State.RETIREE},  # reopened by a référent until closing
    State.RETIREE: {State.BROUILLON},
}


class TransitionError(ValueError):
    pass


def set_candidature_state(candidature, to_state, by, now=None):
    """Move the candidature from its current state to ``to_state`` while the edition is open.

    The UPDATE is conditional on the state read: a double click, or two members at once,
    moves it once; the second call raises TransitionError.
    """
    now = now or timezone.now()
    from_state = candidature.state
    if to_state not in ALLOWED[from_state]:
        raise TransitionError(
            _("Une candidature « %(from)s » ne peut pas passer à « %(to)s ».")
            % {"from": State(from_state).label, "to": State(to_state).label}
        )
    reason = edition_closed_reason(candidature.edition, now)
    if reason:
        raise TransitionError(reason)
    with transaction.atomic():
        changes = {"state": to_state, "updated_by": by, "updated_at": now}
        if to_state == State.DEPOSEE:
            changes["submitted_at"] = now
        moved = Candidature.objects.filter(pk=candidature.pk, state=from_state).update(
            version=F("version") + 1, **changes
        )
        if not moved:
            raise TransitionError(_("Cette candidature vient de changer d'état : rechargez la page."))
        CandidatureTransition.objects.create(
            candidature=candidature, from_state=from_state, to_state=to_state, by=by, at=now
        )
        for name, value in changes.items():
            setattr(candidature, name, value)
        candidature.version = Candidature.objects.values_list("version", flat=True).get(pk=candidature.pk)
    return candidature


def deposer(candidature, by, now=None):
    """Submit a complete dossier, and owe each active member of the collectivité its receipt in
    the same transaction. The row lock makes a colleague's save wait, so what was checked is
    what is filed. Raises TransitionError (incomplete, closed, already moved). Returns the
    number of receipts owed."""
    with transaction.atomic():
        Candidature.objects.select_for_update().filter(pk=candidature.pk).first()
        if submission.missing_items(candidature):
            raise TransitionError(_("Le dossier n'est pas complet : voyez ci-dessous ce qui manque."))
        set_candidature_state(candidature, State.DEPOSEE, by, now=now)
        return receipts.owe_receipts(candidature)


# --- Editions ---------------------------------------------------------------------------------

EDITION_ALLOWED = {
    Edition.State.PREPARATION: {Edition.State.OUVERTE},
    Edition.State.OUVERTE: {Edition.State.CLOSE},
    Edition.State.CLOSE: {Edition.State.OUVERTE},  # reopened by staff, e.g. to extend the deadline
}


@transaction.atomic
def set_edition_state(edition, to_state):
    edition = Edition.objects.select_for_update().get(pk=edition.pk)
    if to_state not in EDITION_ALLOWED[edition.state]:
        raise TransitionError(
            _("Une édition « %(from)s » ne peut pas passer à « %(to)s ».")
            % {"from": edition.get_state_display(), "to": Edition.State(to_state).label}
        )
    if to_state == Edition.State.OUVERTE:
        other = Edition.objects.filter(state=Edition.State.OUVERTE).exclude(pk=edition.pk).first()
        if other:
            raise TransitionError(_("Le %(other)s est encore ouvert : closez-le d'abord.") % {"other": other})
    edition.state = to_state
    edition.save(update_fields=["state"])
    return edition


def _next_year(value, years=1):
    if value is None:
        return None
    try:
        return value.replace(year=value.year + years)
    except ValueError:  # 29 February
        return value.replace(year=value.year + years, day=28)


@transaction.atomic
def copy_edition(previous):
    """Prepare next year's edition from ``previous``: calendar shifted by one year, same
    threshold, membership note, mentions and questionnaire. The copy is en préparation."""
    edition = Edition.objects.create(
        annee=previous.annee + 1,
        numero=previous.numero + 1,
        ouverture=_next_year(previous.ouverture),
        cloture=_next_year(previous.cloture),
        jury_date=_next_year(previous.jury_date),
        ceremonie_date=_next_year(previous.ceremonie_date),
        publication_at=_next_year(previous.publication_at),
        seuil_village=previous.seuil_village,
        note_adhesion=previous.note_adhesion,
    )
    Mention.objects.bulk_create(
        Mention(edition=edition, nom=m.nom, description=m.description, ordre=m.ordre)
        for m in previous.mentions.all()
    )
    for section in previous.sections.prefetch_related("questions"):
        questions = list(section.questions.all())
        section.pk = None
        section.edition = edition
        section.save()
        for question in questions:
            question.pk = None
            question.section = section
        Question.objects.bulk_create(questions)
    return edition


# --- Results (the jury decides through these; the label owns them) ---------------------------


class ResultConflict(TransitionError):
    """Someone else recorded a decision since the form was shown; ``resultat`` is theirs."""

    def __init__(self, message, resultat):
        super().__init__(message)
        self.resultat = resultat


def _etat(resultat):
    if resultat is None:
        return None
    return {
        "niveau": resultat.niveau,
        "mentions": sorted(m.nom for m in resultat.mentions.all()),
        "ten": resultat.ten,
        "motivation": resultat.motivation,
    }


def decider(candidature, *, niveau, mentions=(), ten=False, motivation="", by, version=0, motif="", now=None):
    """Record the decision on a submitted candidature and journal it (who, when, before, after).

    ``version`` is the version of the result the decider saw (0: none yet): if someone decided
    in between, ResultConflict carries their decision and nothing changes. Once the edition's
    deliberation is closed, only staff may change a result, and only with a ``motif``.
    """
    now = now or timezone.now()
    if isinstance(niveau, bool) or niveau not in range(1, 6):
        raise TransitionError(_("Le niveau va de 1 à 5 arobases."))
    mentions = list(mentions)
    with transaction.atomic():
        # Locks the edition row too: decisions of one edition and its closing never overlap.
        candidature = Candidature.objects.select_for_update().select_related("edition").get(pk=candidature.pk)
        edition = candidature.edition
        if candidature.state != State.DEPOSEE:
            raise TransitionError(_("Seule une candidature déposée reçoit un résultat."))
        if any(m.edition_id != edition.pk for m in mentions):
            raise TransitionError(_("Une mention ne fait pas partie du catalogue de cette édition."))
        if edition.resultats_clos_at:
            if not by.is_staff:
                raise TransitionError(
                    _("La délibération est close : seule l'équipe peut changer un résultat.")
                )
            if not motif.strip():
                raise TransitionError(_("La délibération est close : indiquez le motif du changement."))
        resultat = Resultat.objects.filter(candidature=candidature).prefetch_related("mentions").first()
        avant = _etat(resultat)
        champs = {"niveau": niveau, "ten": ten, "motivation": motivation, "decided_by": by, "decided_at": now}
        try:
            # Conditional on the version seen, and a savepoint around the first insert: without
            # a row lock (SQLite), two decisions at once still give one winner and one conflict.
            with transaction.atomic():
                if resultat is None and version == 0:
                    resultat = Resultat.objects.create(candidature=candidature, version=1, **champs)
                elif resultat is None or not Resultat.objects.filter(pk=resultat.pk, version=version).update(
                    version=F("version") + 1, **champs
                ):
                    raise IntegrityError
        except IntegrityError:
            raise ResultConflict(
                _("Un autre membre du jury vient de décider pour ce dossier : voici sa décision."),
                Resultat.objects.filter(candidature=candidature).first(),
            ) from None
        resultat.refresh_from_db()
        resultat.mentions.set(mentions)
        ResultatJournal.objects.create(
            resultat=resultat, by=by, at=now, avant=avant, apres=_etat(resultat), motif=motif.strip()
        )
        if edition.publie_at:
            from .publication import apres_correction  # publication imports this module

            apres_correction(resultat, now=now)
    return resultat


def sans_resultat(edition):
    """The submitted candidatures of the edition that have no decision yet."""
    return Candidature.objects.filter(
        edition=edition, state=State.DEPOSEE, resultat__isnull=True
    ).select_related("collectivite")


@transaction.atomic
def clore_resultats(edition, now=None):
    """Freeze the results of the edition. Every submitted candidature gets at least 1@, so all of
    them need a decision first; a second call changes nothing."""
    edition = Edition.objects.select_for_update().get(pk=edition.pk)
    if edition.resultats_clos_at:
        raise TransitionError(_("La délibération est déjà close."))
    manquants = list(sans_resultat(edition)[:11])
    if manquants:
        noms = ", ".join(c.collectivite.nom for c in manquants[:10])
        raise TransitionError(
            _("Chaque dossier déposé reçoit au moins 1@ : décidez d'abord pour %(noms)s%(suite)s.")
            % {"noms": noms, "suite": "…" if len(manquants) > 10 else ""}
        )
    edition.resultats_clos_at = now or timezone.now()
    edition.save(update_fields=["resultats_clos_at"])
    return edition


SEPARATEUR_RETOURS = "\n\n"


def enregistrer_retours(edition, retours):
    """Store the jurors' comments for each collectivité ({candidature id: [comments]}) on the
    edition's results: anonymous, one comment per paragraph (blank lines inside a comment are
    folded so that the blank line only separates comments). Called by the jury when the
    deliberation closes, inside its transaction. Returns the number of results with comments."""
    resultats = list(Resultat.objects.filter(candidature__edition=edition).only("pk", "candidature_id"))
    for resultat in resultats:
        commentaires = (
            "\n".join(line.rstrip() for line in commentaire.strip().splitlines() if line.strip())
            for commentaire in retours.get(resultat.candidature_id, ())
        )
        resultat.retour_jury = SEPARATEUR_RETOURS.join(c for c in commentaires if c)
    Resultat.objects.bulk_update(resultats, ["retour_jury"], batch_size=500)
    return sum(1 for resultat in resultats if resultat.retour_jury)
