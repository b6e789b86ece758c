"""A collectivité's fiches actions: list, create, edit, files, submit for moderation."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db import transaction
from django.db.models import OuterRef, Prefetch, Q, Subquery
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from django.views.decorators.http import require_POST, require_safe

from atlaas import workflow
from atlaas.forms import ContactFormSet, FicheFiltreForm, FicheForm, FichierForm
from atlaas.models import ContactFiche, FicheAction, FicheTransition, FichierFiche, Service
from atlaas.rules import membership_or_404
from atlaas.storage import atomic_with_files
from atlaas.uploads import NOT_STORED, file_response, not_stored_message, original_name

State = FicheAction.State
PER_PAGE = 50
# States of the version a member works on that let them change it; editing a published fiche
# creates its revision (workflow.revision_for_edit).
EDITABLE = {State.BROUILLON, State.A_CORRIGER, State.PUBLIEE}
SUBMITTABLE = {State.BROUILLON, State.A_CORRIGER}
IN_MODERATION = gettext_noop(
    "Cette fiche est en cours de modération : retirez-la de la modération pour la modifier."
)


def _fiche_or_404(membership, pk):
    return get_object_or_404(FicheAction.objects.originals(), pk=pk, collectivite=membership.collectivite)


def _pending_revision(fiche):
    """The revision waiting to replace a published fiche, or None."""
    if fiche.state != State.PUBLIEE:
        return None
    return FicheAction.objects.filter(revision_of=fiche).first()


def _to_fiche(fiche):
    return redirect("atlaas:fiche", fiche.collectivite.code, fiche.pk)


@login_required
def liste(request, code):
    membership = membership_or_404(request.user, code)
    collectivite = membership.collectivite
    filtre = FicheFiltreForm(request.GET or None)
    etat = filtre.cleaned_data["etat"] if filtre.is_valid() else ""
    fiches = (
        FicheAction.objects.originals()
        .filter(collectivite=collectivite)
        .annotate(
            revision_state=Subquery(
                FicheAction.objects.filter(revision_of=OuterRef("pk")).values("state")[:1]
            )
        )
        .prefetch_related(Prefetch("services", queryset=Service.objects.order_by("nom")))
        .order_by("-updated_at", "-pk")
    )
    if etat == FicheFiltreForm.MODIFICATION:
        fiches = fiches.filter(revision__isnull=False)
    elif etat:
        fiches = fiches.filter(state=etat)
    page = Paginator(fiches, PER_PAGE).get_page(request.GET.get("page"))
    for fiche in page:
        fiche.revision_state_label = State(fiche.revision_state).label if fiche.revision_state else ""
    return render(
        request,
        "atlaas/fiches/liste.html",
        {
            "collectivite": collectivite,
            "membership": membership,
            "page": page,
            "filtre": filtre,
            "etat": etat,
        },
    )


@login_required
def nouvelle(request, code):
    membership = membership_or_404(request.user, code)
    fiche = FicheAction(collectivite=membership.collectivite, created_by=request.user)
    return _edit(request, membership, fiche, original=None)


@login_required
def modifier(request, code, pk):
    membership = membership_or_404(request.user, code)
    fiche = _fiche_or_404(membership, pk)
    working = _pending_revision(fiche) or fiche
    if working.state not in EDITABLE:
        messages.error(request, _(IN_MODERATION))
        return _to_fiche(fiche)
    return _edit(request, membership, working, original=fiche)


def _edit(request, membership, instance, original):
    """Create (original is None) or edit a fiche; a published fiche is edited through its
    revision, created on the first save so that opening the form changes nothing."""
    if request.method == "POST":
        form = FicheForm(request.POST, instance=instance)
        formset = ContactFormSet(request.POST, instance=instance, prefix="contacts")
        if form.is_valid() and formset.is_valid():
            with transaction.atomic():
                target = instance
                if instance.pk:
                    target = workflow.revision_for_edit(instance, request.user)
                for name in FicheAction.CONTENT_FIELDS:
                    setattr(target, name, form.cleaned_data[name])
                target.save()
                target.services.set(form.cleaned_data["services"])
                target.contacts.all().delete()
                ContactFiche.objects.bulk_create(
                    ContactFiche(fiche=target, **contact) for contact in formset.contacts()
                )
            if original is None:
                messages.success(
                    request,
                    _("Fiche enregistrée en brouillon. Soumettez-la à la modération quand elle est prête."),
                )
            elif target.revision_of_id:
                messages.success(
                    request,
                    _(
                        "Modifications enregistrées. La version publiée reste en ligne jusqu'à la validation "
                        "de vos modifications : soumettez-les à la modération quand elles sont prêtes."
                    ),
                )
            else:
                messages.success(request, _("Modifications enregistrées."))
            return _to_fiche(original or target)
    else:
        form = FicheForm(instance=instance)
        formset = ContactFormSet(instance=instance, prefix="contacts")
    return render(
        request,
        "atlaas/fiches/form.html",
        {
            "collectivite": membership.collectivite,
            "membership": membership,
            "fiche": original,
            "form": form,
            "formset": formset,
            "published": original is not None and original.state == State.PUBLIEE,
        },
    )


@login_required
def detail(request, code, pk):
    membership = membership_or_404(request.user, code)
    fiche = _fiche_or_404(membership, pk)
    return _render_detail(request, membership, fiche, FichierForm())


def _render_detail(request, membership, fiche, upload_form, status=200):
    revision = _pending_revision(fiche)
    working = revision or fiche
    services = list(working.services.select_related("enjeu__categorie").order_by("enjeu__nom", "nom"))
    transitions = (
        FicheTransition.objects.filter(fiche__in=[f for f in (fiche, revision) if f])
        .select_related("by")
        .order_by("at", "pk")
    )
    return render(
        request,
        "atlaas/fiches/detail.html",
        {
            "collectivite": membership.collectivite,
            "membership": membership,
            "fiche": fiche,
            "revision": revision,
            "working": working,
            "services": services,
            "contacts": list(working.contacts.all()),
            "fichiers": list(working.fichiers.all()),
            "transitions": list(transitions),
            "upload_form": upload_form,
            "editable": working.state in EDITABLE,
            "submittable": working.state in SUBMITTABLE,
            "withdrawable": working.state == State.SOUMISE,
        },
        status=status,
    )


@login_required
@require_POST
def soumettre(request, code, pk):
    membership = membership_or_404(request.user, code)
    fiche = _fiche_or_404(membership, pk)
    working = _pending_revision(fiche) or fiche
    try:
        workflow.set_fiche_state(working, State.SOUMISE, request.user)
    except workflow.TransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request, _("Fiche soumise à la modération : l'équipe de Villes Internet va la relire.")
        )
    return _to_fiche(fiche)


@login_required
@require_POST
def retirer(request, code, pk):
    """Withdraw from moderation: the fiche (or its revision) goes back to draft."""
    membership = membership_or_404(request.user, code)
    fiche = _fiche_or_404(membership, pk)
    working = _pending_revision(fiche) or fiche
    try:
        workflow.set_fiche_state(working, State.BROUILLON, request.user)
    except workflow.TransitionError as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("Fiche retirée de la modération : elle est de nouveau en brouillon."))
    return _to_fiche(fiche)


@login_required
@require_POST
def fichier_ajouter(request, code, pk):
    membership = membership_or_404(request.user, code)
    fiche = _fiche_or_404(membership, pk)
    working = _pending_revision(fiche) or fiche
    if working.state not in EDITABLE:
        messages.error(request, _(IN_MODERATION))
        return _to_fiche(fiche)
    form = FichierForm(request.POST, request.FILES)
    if not form.is_valid():
        return _render_detail(request, membership, fiche, form)
    uploaded = form.cleaned_data["fichier"]
    try:
        with atomic_with_files():
            target = workflow.revision_for_edit(working, request.user)
            fichier = FichierFiche(
                fiche=target,
                nom=original_name(uploaded.name),
                content_type=form.content_type,
                taille=uploaded.size,
                legende=form.cleaned_data["legende"],
            )
            # The stored name is generated by fiche_upload_to from the extension of the content found.
            fichier.fichier.save(f"fichier{form.extension}", uploaded, save=False)
            fichier.save()
    except OSError as error:  # a full disk, a folder that refuses writes: nothing was kept
        form.add_error("fichier", not_stored_message(error))
        return _render_detail(request, membership, fiche, form, status=NOT_STORED)
    messages.success(request, _("Fichier « %(nom)s » ajouté.") % {"nom": fichier.nom})
    return _to_fiche(fiche)


@login_required
@require_POST
def fichier_supprimer(request, code, pk, file_id):
    membership = membership_or_404(request.user, code)
    fiche = _fiche_or_404(membership, pk)
    working = _pending_revision(fiche) or fiche
    fichier = get_object_or_404(FichierFiche, pk=file_id, fiche=working)
    if working.state not in EDITABLE:
        messages.error(request, _(IN_MODERATION))
        return _to_fiche(fiche)
    with transaction.atomic():
        target = workflow.revision_for_edit(working, request.user)
        if target.pk != working.pk:  # the revision just created holds its own copy of the row
            fichier = target.fichiers.filter(fichier=fichier.fichier.name).first()
            if fichier is None:
                raise Http404
        name, storage = fichier.fichier.name, fichier.fichier.storage
        fichier.delete()
        if not FichierFiche.objects.filter(fichier=name).exists():
            transaction.on_commit(lambda: storage.delete(name), robust=True)
    messages.success(request, _("Fichier « %(nom)s » supprimé.") % {"nom": fichier.nom})
    return _to_fiche(fiche)


@require_safe
def fichier(request, code, pk, file_id):
    """A file of a fiche (or of its pending revision), for the collectivité's members only.
    Anonymous users get the same 404 as everybody else: nothing tells the file exists."""
    membership = membership_or_404(request.user, code)
    fiche = _fiche_or_404(membership, pk)
    fichier = get_object_or_404(
        FichierFiche.objects.filter(Q(fiche=fiche) | Q(fiche__revision_of=fiche)), pk=file_id
    )
    return file_response(fichier, inline=fichier.is_image)
