"""The jury president's steering: progress per juror and per dossier, aggregated scores with
disagreements flagged, every evaluation of a dossier, exports, reminders to jurors.

President and staff only. A dossier the viewing president is in conflict with shows no score,
level, mention or comment, here as in the exports; its own page answers 404. The aggregation
always runs over every submitted dossier (the calibrated score depends on all
of them); sorting, filtering and the pages of the table happen afterwards (``jury.pilotage``).
The exports hold every dossier, whatever the table shows.
"""

import csv
import io
from collections import defaultdict

from django.contrib import messages
from django.db.models import Count, OuterRef, Q, Subquery
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST, require_safe
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font

from label.models import Candidature
from villes_internet.tableur import cellule

from .. import rules
from ..agregation import synthese
from ..models import Critere, Evaluation, Jure, RappelJure
from ..pilotage import FiltreForm, filtrer, page
from ..rappels import rappeler
from ..rules import jury_view

DEPOSEE = Candidature.State.DEPOSEE
MASQUE = gettext_lazy("conflit d'intérêts : notes masquées")


# --- Shared reads -------------------------------------------------------------------------


def _candidatures(edition):
    return list(
        Candidature.objects.filter(edition=edition, state=DEPOSEE)
        .select_related("collectivite__departement", "collectivite__region")
        .order_by("collectivite__nom", "pk")
    )


def _syntheses(request):
    """Every dossier's Synthese, marked ``masque`` when the viewer is in conflict with it."""
    candidatures = _candidatures(request.edition)
    masques = rules.masques(request, candidatures)
    request.jury.edition = request.edition  # already loaded: spares synthese a query
    syntheses = synthese(request.jury, candidatures)
    for item in syntheses:
        item.masque = item.candidature.pk in masques
        item.niveaux_arobases = [(n, "@" * n) for n in sorted(item.niveaux)]
        item.mentions_triees = sorted(item.mentions.items(), key=lambda m: (-m[1], m[0]))
        item.incomplet = item.affectees == 0 or item.soumises < item.affectees
    return syntheses


def _round(value):
    return None if value is None else round(value, 2)


# --- The steering page --------------------------------------------------------------------


def _progression_jures(edition):
    """The edition's jurors with their counts over submitted dossiers and last reminder."""
    on = Q(evaluations__candidature__state=DEPOSEE)
    dernier = RappelJure.objects.filter(jure=OuterRef("pk")).order_by("-sent_at").values("sent_at")[:1]
    jures = list(
        Jure.objects.filter(edition=edition)
        .annotate(
            affectees=Count("evaluations", filter=on),
            soumises=Count("evaluations", filter=on & Q(evaluations__state=Evaluation.State.SOUMISE)),
            brouillons=Count("evaluations", filter=on & Q(evaluations__state=Evaluation.State.BROUILLON)),
            dernier_rappel=Subquery(dernier),
        )
        .order_by("nom", "pk")
    )
    for jure in jures:
        jure.restants = jure.affectees - jure.soumises
        jure.a_faire = jure.restants - jure.brouillons
    return jures


@require_safe
@jury_view(president=True)
def pilotage(request, annee):
    syntheses = _syntheses(request)
    regions = sorted(
        {
            (s.candidature.collectivite.region.code, s.candidature.collectivite.region.nom)
            for s in syntheses
            if s.candidature.collectivite.region_id
        },
        key=lambda r: r[1],
    )
    jures = _progression_jures(request.edition)
    form = FiltreForm(request.GET, regions=regions, jures=jures)
    lignes = filtrer(syntheses, form.filtres())
    return render(
        request,
        "jury/pilotage/pilotage.html",
        {
            "edition": request.edition,
            "jury": request.jury,
            "jures": jures,
            "page": page(lignes, request.GET.get("page")),
            "total": len(syntheses),
            "form": form,
            "masque": MASQUE,
        },
    )


# --- One dossier --------------------------------------------------------------------------


@require_safe
@jury_view(president=True)
def dossier(request, annee, pk):
    """Every juror's evaluation of the dossier, whatever its state, with its aggregated figures."""
    item = next((s for s in _syntheses(request) if s.candidature.pk == pk), None)
    if item is None or item.masque:  # not submitted to this edition, or the viewer is conflicted
        raise Http404
    candidature = item.candidature
    avis = {a.evaluation.pk: a for a in item.avis}
    criteres = list(Critere.objects.filter(edition=request.edition))
    evaluations = list(
        Evaluation.objects.filter(candidature=candidature)
        .select_related("jure")
        .prefetch_related("notes", "mentions_proposees")
        .order_by("jure__nom", "pk")
    )
    for evaluation in evaluations:
        notes = {note.critere_id: note for note in evaluation.notes.all()}
        evaluation.lignes = [(critere, notes.get(critere.pk)) for critere in criteres]
        evaluation.avis = avis.get(evaluation.pk)
        evaluation.niveau_arobases = "@" * (evaluation.niveau_propose or 0)
    return render(
        request,
        "jury/pilotage/dossier.html",
        {
            "edition": request.edition,
            "candidature": candidature,
            "synthese": item,
            "evaluations": evaluations,
        },
    )


# --- Exports ------------------------------------------------------------------------------


def _tableau(request):
    """The header and rows of the exports: one row per (dossier, evaluation), a dossier without
    evaluation on one row, a masked dossier on one row without any score."""
    criteres = list(Critere.objects.filter(edition=request.edition))
    syntheses = _syntheses(request)
    par_dossier = defaultdict(list)
    evaluations = (
        Evaluation.objects.filter(candidature__edition=request.edition, candidature__state=DEPOSEE)
        .select_related("jure")
        .prefetch_related("notes", "mentions_proposees")
        .order_by("jure__nom", "pk")
    )
    for evaluation in evaluations:
        par_dossier[evaluation.candidature_id].append(evaluation)
    entete = [
        _("Collectivité"),
        _("Code INSEE ou SIREN"),
        _("Type"),
        _("Département"),
        _("Région"),
        _("Moyenne (sur 100)"),
        _("Médiane (sur 100)"),
        _("Note calibrée (sur 100)"),
        _("Note calibrée, bas de l'intervalle (sur 100)"),
        _("Note calibrée, haut de l'intervalle (sur 100)"),
        _("Écart (points)"),
        _("Désaccord"),
        _("Juré"),
        _("État de l'évaluation"),
        _("Note du juré (sur 100)"),
    ]
    for critere in criteres:
        entete += [
            _("%(critere)s (note sur %(echelle)s)")
            % {"critere": critere.libelle, "echelle": critere.echelle},
            _("%(critere)s (commentaire)") % {"critere": critere.libelle},
        ]
    entete += [
        _("Niveau proposé"),
        _("Mentions proposées"),
        _("Commentaire pour la collectivité"),
        _("Note pour le jury"),
    ]
    largeur = len(entete)
    lignes = []
    for item in syntheses:
        collectivite = item.candidature.collectivite
        dossier = [
            collectivite.nom,
            collectivite.code,
            item.candidature.get_type_display(),
            str(collectivite.departement) if collectivite.departement_id else None,
            collectivite.region.nom if collectivite.region_id else None,
        ]
        if item.masque:
            lignes.append(_complete([*dossier, str(MASQUE)], largeur))
            continue
        dossier += [
            _round(item.moyenne),
            _round(item.mediane),
            _round(item.calibree),
            *(map(_round, item.intervalle or (None, None))),
            _round(item.ecart),
            "\u202f; ".join(item.desaccords) or None,
        ]
        scores = {a.evaluation.pk: a.score for a in item.avis}
        evaluations = par_dossier[item.candidature.pk]
        if not evaluations:
            lignes.append(_complete(dossier, largeur))
        for evaluation in evaluations:
            notes = {note.critere_id: note for note in evaluation.notes.all()}
            ligne = [
                *dossier,
                evaluation.jure.nom,
                evaluation.get_state_display()
                + (
                    _(" (rouverte après consultation des autres notes)")
                    if evaluation.rouverte_apres_consultation
                    else ""
                ),
                _round(scores.get(evaluation.pk)),
            ]
            for critere in criteres:
                note = notes.get(critere.pk)
                ligne += [note.score, note.commentaire or None] if note else [None, None]
            ligne += [
                evaluation.niveau_propose,
                " | ".join(m.nom for m in evaluation.mentions_proposees.all()) or None,
                evaluation.commentaire_collectivite or None,
                evaluation.note_jury or None,
            ]
            lignes.append(ligne)
    return entete, lignes


def _complete(ligne, largeur):
    return ligne + [None] * (largeur - len(ligne))


def _nom_fichier(request, extension):
    return f"jury-{request.edition.annee}-notes.{extension}"


def _csv(valeur):
    if isinstance(valeur, float):
        return f"{valeur:.2f}".replace(".", ",")  # the decimal comma of French spreadsheets
    return cellule(valeur)


@require_safe
@jury_view(president=True)
def export_csv(request, annee):
    entete, lignes = _tableau(request)
    sortie = io.StringIO()
    writer = csv.writer(sortie, delimiter=";")
    writer.writerow([cellule(titre) for titre in entete])
    for ligne in lignes:
        writer.writerow([_csv(valeur) for valeur in ligne])
    # The BOM tells spreadsheets the file is UTF-8.
    response = HttpResponse("\ufeff" + sortie.getvalue(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_nom_fichier(request, "csv")}"'
    return response


def _xlsx(valeur):
    if isinstance(valeur, str):
        return cellule(ILLEGAL_CHARACTERS_RE.sub("", valeur))  # stripped first: "\x01=…" is a formula
    return valeur


@require_safe
@jury_view(president=True)
def export_xlsx(request, annee):
    entete, lignes = _tableau(request)
    classeur = Workbook(write_only=True)
    feuille = classeur.create_sheet(_("Notes du jury %(annee)s") % {"annee": request.edition.annee})
    feuille.freeze_panes = "A2"
    gras = Font(bold=True)
    cellules = []
    for titre in entete:
        case = WriteOnlyCell(feuille, value=_xlsx(titre))
        case.font = gras
        cellules.append(case)
    feuille.append(cellules)
    for ligne in lignes:
        feuille.append([_xlsx(valeur) for valeur in ligne])
    sortie = io.BytesIO()
    classeur.save(sortie)
    response = HttpResponse(
        sortie.getvalue(),
        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    )
    response["Content-Disposition"] = f'attachment; filename="{_nom_fichier(request, "xlsx")}"'
    return response


# --- Reminders ----------------------------------------------------------------------------


def _noms(jures):
    return ", ".join(jure.nom for jure in jures)


@require_POST
@jury_view(president=True)
def rappels(request, annee):
    """Remind the jurors ticked on the steering page who still have dossiers to evaluate."""
    retour = redirect("jury:pilotage", annee)
    if not request.jury.evaluations_ouvertes:
        messages.error(request, _("Les évaluations sont closes : aucun rappel n'a été envoyé."))
        return retour
    ids = [value for value in request.POST.getlist("jures") if value.isdigit()]
    jures = Jure.objects.filter(edition=request.edition, pk__in=ids)
    if not ids or not jures.exists():
        messages.error(request, _("Cochez au moins un juré à qui envoyer un rappel."))
        return retour
    envoi = rappeler(jures, by=request.user)
    if envoi.envoyes:
        count = len(envoi.envoyes)
        messages.success(
            request,
            ngettext(
                "Rappel envoyé à %(count)s juré : %(noms)s.",
                "Rappels envoyés à %(count)s jurés : %(noms)s.",
                count,
            )
            % {"count": count, "noms": _noms(envoi.envoyes)},
        )
    if envoi.deja_rappeles:
        messages.info(
            request,
            _("Déjà relancé il y a moins d'une heure, pas de nouveau rappel : %(noms)s.")
            % {"noms": _noms(envoi.deja_rappeles)},
        )
    if envoi.rien_a_faire:
        messages.info(
            request,
            _("Plus aucun dossier à évaluer, pas de rappel : %(noms)s.")
            % {"noms": _noms(envoi.rien_a_faire)},
        )
    return retour
