"""Writing a candidature's dossier: start it, save answers and the selection of fiches under an
optimistic lock, add and remove attachments.

Several members of a collectivité may edit one dossier at once, from pages opened at some
version of it. Each save states the version it was made from, and is decided under a lock:

- it first locks the candidature's row (``SELECT … FOR UPDATE``), so the saves of one dossier
  take turns, each one reading what the previous one committed. Only then does it compare: the
  candidature's version, and for answers the version that wrote each one (``Reponse.version``).
  Comparing before the lock, even with a conditional UPDATE after it, lets a save judge on
  answers read before the other save committed, and overwrite it;
- when someone else saved since the page's version and wrote something this save changes (one
  of its answers, the selection of fiches, any file question), nothing is written and the
  caller gets a ``Conflict`` carrying both versions (the conflict screen, « Garder ma version »
  then saves again from the version it showed). Answers the others did not touch are written:
  both edits stand;
- a cleared answer keeps its row, empty, with the version that cleared it, so that a page that
  still shows the old text meets the clearing as a conflict instead of silently writing it back.

One lock per candidature rather than per answer: a save takes milliseconds, the members of a
collectivité are few, and one row to lock keeps the version, the state (a filed dossier takes
the same lock) and the answers consistent together. On SQLite, transactions start with
``BEGIN IMMEDIATE`` (settings), which gives the same turns.
"""

from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _

from atlaas.storage import atomic_with_files
from atlaas.uploads import original_name

from .models import Candidature, Edition, PieceJointe, Reponse
from .selectors import answers_of, eligible_fiches, questions_for, selected_ids

NOM_MAX = 200


class NotEditable(Exception):
    """The candidature can't change any more (closed edition, filed or withdrawn dossier)."""


@dataclass
class Saved:
    version: int
    at: object
    ok: bool = True


@dataclass
class Conflict:
    """Someone else saved since ``expected_version``: who, when, what is stored now (theirs)
    and what this user sent (mine)."""

    by: object
    at: object
    version: int
    theirs: object
    mine: object
    ok: bool = False

    @property
    def by_name(self):
        return str(self.by) if self.by else _("un autre membre")


@dataclass
class Difference:
    """One question (or list of fiches) on which the two versions differ."""

    label: str
    theirs: object
    mine: object


def answer_differences(conflict, questions):
    """The questions whose stored answer differs from what this user sent, in order."""
    differences = []
    for question in questions:
        if question.pk not in conflict.mine:
            continue
        theirs, mine = conflict.theirs.get(question.pk, ""), conflict.mine[question.pk]
        if theirs != mine:
            differences.append(Difference(label=question.libelle, theirs=theirs, mine=mine))
    return differences


def selection_differences(conflict, fiches):
    """The fiches selected in only one of the two versions: (only theirs, only mine)."""
    return (
        [fiche for fiche in fiches if fiche.pk in conflict.theirs and fiche.pk not in conflict.mine],
        [fiche for fiche in fiches if fiche.pk in conflict.mine and fiche.pk not in conflict.theirs],
    )


def closed_reason(candidature, now=None):
    """Why the candidature can't be edited, in French, or None when it can."""
    now = now or timezone.now()
    edition = candidature.edition
    if candidature.state == Candidature.State.DEPOSEE:
        return _("Cette candidature est déposée : elle ne peut plus être modifiée.")
    if candidature.state == Candidature.State.RETIREE:
        return _("Cette candidature est retirée : elle ne peut plus être modifiée.")
    return edition_closed_reason(edition, now)


def edition_closed_reason(edition, now=None):
    now = now or timezone.now()
    if edition is None:
        return _("Aucune édition du label n'est ouverte aux candidatures en ce moment.")
    if now >= edition.cloture:
        return _("Les candidatures sont closes depuis le %(date)s.") % {"date": _format(edition.cloture)}
    if edition.state != Edition.State.OUVERTE:
        return _("Les candidatures ne sont pas ouvertes.")
    if now < edition.ouverture:
        return _("Les candidatures ouvriront le %(date)s.") % {"date": _format(edition.ouverture)}
    return None


def _format(moment):
    return timezone.localtime(moment).strftime("%d/%m/%Y à %H:%M")


def check_editable(candidature, now=None):
    reason = closed_reason(candidature, now)
    if reason:
        raise NotEditable(reason)


def start_candidature(edition, collectivite, user):
    """Create the collectivité's candidature for the edition with all its eligible fiches
    selected; return (candidature, created). Starting twice returns the existing one."""
    reason = edition_closed_reason(edition)
    if reason:
        raise NotEditable(reason)
    existing = Candidature.objects.filter(edition=edition, collectivite=collectivite).first()
    if existing:
        return existing, False
    try:
        with transaction.atomic():
            candidature = Candidature.objects.create(
                edition=edition,
                collectivite=collectivite,
                type=edition.type_for(collectivite),
                created_by=user,
                updated_by=user,
            )
            candidature.fiches.set(eligible_fiches(collectivite, edition.closing_date()))
    except IntegrityError:  # a colleague started it at the same moment
        return Candidature.objects.get(edition=edition, collectivite=collectivite), False
    return candidature, True


def _lock(candidature):
    """Inside a transaction: lock the candidature's row until commit and return it as it is
    now; ``NotEditable`` when it is no longer a draft (filed or withdrawn meanwhile)."""
    current = (
        Candidature.objects.select_for_update(of=("self",))
        .select_related("updated_by", "edition")
        .get(pk=candidature.pk)
    )
    if current.state != Candidature.State.BROUILLON:
        raise NotEditable(closed_reason(current))
    return current


def _bump(candidature, version, user, now):
    """Under the lock: record the save (new version, who, when), in the database and the object."""
    Candidature.objects.filter(pk=candidature.pk).update(version=version, updated_by=user, updated_at=now)
    candidature.version = version
    candidature.updated_by = user
    candidature.updated_at = now
    return Saved(version=version, at=now)


def _conflict(current, theirs, mine):
    return Conflict(
        by=current.updated_by, at=current.updated_at, version=current.version, theirs=theirs, mine=mine
    )


def save_answers(candidature, expected_version, data, user, files=None, now=None):
    """Save questionnaire answers made from ``expected_version``.

    ``data`` maps question ids to text values (an empty value clears the answer); only the
    questions given are written, the others keep their stored answer. ``files`` maps question
    ids of file questions to ``(uploaded_file, content_type, extension)`` already checked.
    Returns ``Saved`` or, when someone else saved meanwhile an answer this save changes (or
    anything, when it sends a file), a ``Conflict`` (nothing written); raises ``NotEditable``
    when the candidature can't change, and ``OSError`` when a file could not be stored (then
    nothing is written, no file is left). A save that changes nothing writes nothing and reports
    no conflict; the page keeps its version, so that its next real change still meets any save
    made meanwhile.
    """
    now = now or timezone.now()
    files = files or {}
    check_editable(candidature, now)
    allowed = set(questions_for(candidature).values_list("pk", flat=True))
    data = {int(qid): value for qid, value in data.items() if int(qid) in allowed}
    files = {int(qid): upload for qid, upload in files.items() if int(qid) in allowed}
    with atomic_with_files():
        current = _lock(candidature)
        stored = {
            r.question_id: r for r in Reponse.objects.filter(candidature=candidature, question_id__in=data)
        }
        changes = _answer_changes(stored, data)
        if not files and not changes:
            return Saved(version=expected_version, at=now)
        if current.version != expected_version:
            theirs = [qid for qid in changes if qid in stored and stored[qid].version > expected_version]
            if theirs or files:
                return _conflict(current, answers_of(candidature), data)
        saved = _bump(candidature, current.version + 1, user, now)
        _write_answers(candidature, stored, changes, saved.version)
        for qid, (uploaded, content_type, extension) in files.items():
            _replace_question_file(candidature, qid, uploaded, content_type, extension, user, saved.version)
    return saved


def _answer_changes(stored, data):
    return {
        qid: value for qid, value in data.items() if value != (stored[qid].valeur if qid in stored else "")
    }


def _write_answers(candidature, stored, changes, version):
    """Write the changed answers with the version that writes them; a cleared answer stays as
    an empty row, so that the clearing has a version too."""
    to_create, to_update = [], []
    for qid, value in changes.items():
        reponse = stored.get(qid)
        if reponse is None:
            to_create.append(Reponse(candidature=candidature, question_id=qid, valeur=value, version=version))
        else:
            reponse.valeur = value
            reponse.version = version
            to_update.append(reponse)
    if to_update:
        Reponse.objects.bulk_update(to_update, ["valeur", "version"])
    if to_create:
        Reponse.objects.bulk_create(to_create)


def _replace_question_file(candidature, qid, uploaded, content_type, extension, user, version):
    """A file question holds one file: the new one replaces the previous one, and the answer
    records its name so that required file questions count as answered."""
    for old in PieceJointe.objects.filter(candidature=candidature, question_id=qid):
        _delete_piece_row(old)
    piece = _store_piece(candidature, uploaded, content_type, extension, user, question_id=qid)
    Reponse.objects.update_or_create(
        candidature=candidature, question_id=qid, defaults={"valeur": piece.nom, "version": version}
    )


def save_fiches(candidature, expected_version, fiche_ids, user, now=None):
    """Replace the selection of fiches, made from ``expected_version``. The ids must already be
    the collectivité's eligible fiches (the form checks them). Returns ``Saved`` or, when someone
    else saved the dossier meanwhile, a ``Conflict`` whose theirs/mine are sets of fiche ids;
    raises ``NotEditable``."""
    now = now or timezone.now()
    check_editable(candidature, now)
    fiche_ids = set(fiche_ids)
    with transaction.atomic():
        current = _lock(candidature)
        stored = selected_ids(candidature)
        if stored == fiche_ids:
            return Saved(version=expected_version, at=now)
        if current.version != expected_version:
            return _conflict(current, stored, fiche_ids)
        saved = _bump(candidature, expected_version + 1, user, now)
        candidature.fiches.set(fiche_ids)
    return saved


def _claim_draft(candidature, user):
    """Inside a transaction: bump the version only if the dossier is still a draft in the
    database (a colleague may have filed it since the page was read); else NotEditable."""
    claimed = Candidature.objects.filter(pk=candidature.pk, state=Candidature.State.BROUILLON).update(
        version=F("version") + 1, updated_by=user, updated_at=timezone.now()
    )
    if not claimed:
        raise NotEditable(_("Ce dossier a été déposé ou retiré entre-temps : il ne peut plus être modifié."))


def add_piece(candidature, uploaded, content_type, extension, user, description=""):
    """Attach an already checked file to the dossier; raises ``NotEditable``, or ``OSError``
    when the file could not be stored (then nothing is written, no file is left)."""
    check_editable(candidature)
    with atomic_with_files():
        _claim_draft(candidature, user)
        return _store_piece(candidature, uploaded, content_type, extension, user, description=description)


def delete_piece(candidature, piece, user=None):
    """Remove an attachment (and the answer it was for); the file goes after commit."""
    check_editable(candidature)
    with transaction.atomic():
        _claim_draft(candidature, user)
        if piece.question_id:
            Reponse.objects.filter(candidature=candidature, question_id=piece.question_id).delete()
        _delete_piece_row(piece)


def _store_piece(candidature, uploaded, content_type, extension, user, question_id=None, description=""):
    nom = original_name(uploaded.name, fallback=f"piece{extension}", limit=NOM_MAX)
    uploaded.name = f"piece{extension}"  # the stored name is generated; the given one stays in ``nom``
    return PieceJointe.objects.create(
        candidature=candidature,
        question_id=question_id,
        fichier=uploaded,
        nom=nom,
        content_type=content_type,
        taille=uploaded.size,
        description=description,
        added_by=user,
    )


def _delete_piece_row(piece):
    storage, name = piece.fichier.storage, piece.fichier.name
    piece.delete()
    transaction.on_commit(lambda: storage.delete(name))
