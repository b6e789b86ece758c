"""Joining a collectivité, inviting colleagues, managing members."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from atlaas.forms import DemandeAdhesionForm, InvitationForm, RechercheCollectiviteForm, RoleForm
from atlaas.models import Collectivite, Invitation, Membership
from atlaas.rules import membership_or_404
from atlaas.search import search_collectivites
from atlaas.typographie import de, de_personne
from atlaas.workflow import (
    INVITATION_DAYS,
    InvitationError,
    LastReferentError,
    accept_invitation,
    approve_membership,
    change_role,
    invitation_status,
    invite,
    refuse_membership,
    remove_membership,
    request_membership,
)

Role = Membership.Role
MState = Membership.State


# --- Views --------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def rejoindre(request):
    """Find a collectivité of the referential and ask to join it."""
    chosen = None
    if request.method == "POST":
        form = DemandeAdhesionForm(request.POST)
        if form.is_valid():
            collectivite = form.cleaned_data["collectivite"]
            membership, created = request_membership(
                request.user,
                collectivite,
                form.cleaned_data["role"],
                form.cleaned_data["fonction"],
                form.cleaned_data["message"],
            )
            if created:
                messages.success(
                    request,
                    _(
                        "Votre demande pour %(collectivite)s est envoyée. "
                        "Vous recevrez un e-mail dès qu'elle sera examinée."
                    )
                    % {"collectivite": collectivite},
                )
            elif membership.is_active:
                messages.info(
                    request,
                    _("Vous êtes déjà membre %(de_collectivite)s.") % {"de_collectivite": de(collectivite)},
                )
            else:
                messages.info(
                    request,
                    _("Vous avez déjà demandé à rejoindre %(collectivite)s : votre demande est en attente.")
                    % {"collectivite": collectivite},
                )
            return redirect("atlaas:rejoindre")
        chosen = form.cleaned_data.get("collectivite")
    elif request.GET.get("code"):
        chosen = get_object_or_404(
            Collectivite.objects.actives().select_related("departement"), code=request.GET["code"]
        )
        form = DemandeAdhesionForm(initial={"collectivite": chosen})
    else:
        form = None

    search_form = RechercheCollectiviteForm(request.GET if "q" in request.GET else None)
    results = None
    if search_form.is_bound and search_form.is_valid():
        results = search_collectivites(search_form.cleaned_data["q"])

    memberships = list(
        Membership.objects.filter(user=request.user)
        .select_related("collectivite__departement")
        .order_by("collectivite__nom")
    )
    mine = {m.collectivite_id: m for m in memberships}
    for collectivite in results or []:
        collectivite.my_membership = mine.get(collectivite.pk)
    return render(
        request,
        "atlaas/membres/rejoindre.html",
        {
            "search_form": search_form,
            "results": results,
            "chosen": chosen,
            "chosen_membership": mine.get(chosen.pk) if chosen else None,
            "form": form,
            "memberships": memberships,
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def membres(request, code):
    """The members of a collectivité, its pending requests and invitations; référents invite
    (POST), approve, refuse, change roles and remove members."""
    me = membership_or_404(request.user, code)
    collectivite = me.collectivite
    invitation_form = None
    if me.is_referent:
        invitation_form = InvitationForm(request.POST or None, collectivite=collectivite)
    if request.method == "POST":
        if invitation_form is None:
            raise Http404
        if invitation_form.is_valid():
            invitation = invite(
                collectivite,
                invitation_form.cleaned_data["email"],
                invitation_form.cleaned_data["role"],
                request.user,
            )
            messages.success(
                request,
                _("Invitation envoyée à %(email)s ; le lien est valable %(days)s jours.")
                % {"email": invitation.email, "days": INVITATION_DAYS},
            )
            return redirect("atlaas:membres", code)

    rows = list(
        collectivite.memberships.select_related("user").order_by(
            "-role",  # "referent" sorts after "contributeur": référents first
            "user__last_name",
            "user__email",
        )
    )
    members = [m for m in rows if m.is_active]
    referents = sum(1 for m in members if m.role == Role.REFERENT)
    for member in members:
        member.last_referent = member.role == Role.REFERENT and referents == 1
        if me.is_referent:
            member.role_form = RoleForm(membership=member)
    invitations = list(
        collectivite.invitations.filter(accepted_at__isnull=True, expires_at__gt=timezone.now())
        .select_related("invited_by")
        .order_by("-created_at")
    )
    return render(
        request,
        "atlaas/membres/membres.html",
        {
            "collectivite": collectivite,
            "me": me,
            "members": members,
            "pending": [m for m in rows if not m.is_active],
            "invitations": invitations,
            "invitation_form": invitation_form,
            "invitation_days": INVITATION_DAYS,
        },
    )


def _pending_request(referent, pk):
    return get_object_or_404(
        Membership.objects.select_related("user", "collectivite"),
        pk=pk,
        collectivite=referent.collectivite,
        state=MState.PENDING,
    )


def _active_member(collectivite, pk):
    return get_object_or_404(
        Membership.objects.select_related("user", "collectivite"),
        pk=pk,
        collectivite=collectivite,
        state=MState.ACTIVE,
    )


@login_required
@require_POST
def approuver(request, code, pk):
    referent = membership_or_404(request.user, code, referent=True)
    membership = approve_membership(_pending_request(referent, pk), request.user)
    messages.success(request, _("%(nom)s est désormais membre.") % {"nom": membership.user})
    return redirect("atlaas:membres", code)


@login_required
@require_POST
def refuser(request, code, pk):
    referent = membership_or_404(request.user, code, referent=True)
    membership = refuse_membership(_pending_request(referent, pk), request.user)
    if membership is not None:
        messages.success(
            request, _("La demande %(de_nom)s est refusée.") % {"de_nom": de_personne(membership.user)}
        )
    return redirect("atlaas:membres", code)


@login_required
@require_POST
def changer_role(request, code, pk):
    referent = membership_or_404(request.user, code, referent=True)
    membership = _active_member(referent.collectivite, pk)
    form = RoleForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Choisissez un rôle de la liste."))
        return redirect("atlaas:membres", code)
    try:
        membership = change_role(membership, form.cleaned_data["role"], request.user)
    except LastReferentError as error:
        messages.error(request, str(error))
    else:
        messages.success(
            request,
            _("%(nom)s est désormais %(role)s.")
            % {"nom": membership.user, "role": membership.get_role_display().lower()},
        )
    return redirect("atlaas:membres", code)


@login_required
@require_POST
def retirer(request, code, pk):
    me = membership_or_404(request.user, code)
    membership = _active_member(me.collectivite, pk)
    leaving = membership.pk == me.pk
    if not leaving and not me.is_referent:
        raise Http404
    try:
        remove_membership(membership, request.user)
    except LastReferentError as error:
        messages.error(request, str(error))
        return redirect("atlaas:membres", code)
    if leaving:
        messages.success(request, _("Vous avez quitté %(collectivite)s.") % {"collectivite": me.collectivite})
        return redirect("atlaas:rejoindre")
    messages.success(request, _("%(nom)s ne fait plus partie des membres.") % {"nom": membership.user})
    return redirect("atlaas:membres", code)


@login_required
@require_POST
def annuler_invitation(request, code, pk):
    referent = membership_or_404(request.user, code, referent=True)
    invitation = get_object_or_404(
        Invitation, pk=pk, collectivite=referent.collectivite, accepted_at__isnull=True
    )
    invitation.delete()
    messages.success(request, _("L'invitation de %(email)s est annulée.") % {"email": invitation.email})
    return redirect("atlaas:membres", code)


@require_http_methods(["GET", "POST"])
def invitation(request, token):
    """The page an invitation e-mail links to: anyone holding the link sees it; a signed-in user
    accepts it, whatever the address they signed in with."""
    invitation = get_object_or_404(
        Invitation.objects.select_related("collectivite__departement", "invited_by"), token=token
    )
    status = invitation_status(invitation)
    if request.method == "POST":
        if not request.user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if status == "pending":
            try:
                membership = accept_invitation(invitation, request.user)
            except InvitationError:
                invitation.refresh_from_db()
                status = invitation_status(invitation)
            else:
                messages.success(
                    request,
                    _("Bienvenue : vous êtes %(role)s %(de_collectivite)s.")
                    % {
                        "role": membership.get_role_display().lower(),
                        "de_collectivite": de(invitation.collectivite),
                    },
                )
                return redirect("atlaas:membres", invitation.collectivite.code)
    return render(
        request,
        "atlaas/membres/invitation.html",
        {
            "invitation": invitation,
            "status": status,
            "other_address": request.user.is_authenticated
            and request.user.email.lower() != invitation.email.lower(),
            "accepted_by_me": invitation.accepted_by_id is not None
            and invitation.accepted_by_id == request.user.pk,
        },
        status=200 if status == "pending" else 410,
    )
