"""The legal pages, and « Mes données »: a person's archive and the deletion of their account.

Asking for the archive, downloading it, handing over a référent role and deleting the account
each ask for the password again (allauth's reauthentication, ``ACCOUNT_REAUTHENTICATION_TIMEOUT``):
a session left open on a shared computer opens none of them.
"""

from allauth.account.adapter import get_adapter
from allauth.account.decorators import reauthentication_required
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.cache import patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from atlaas.models import Membership
from atlaas.rules import membership_or_404
from atlaas.workflow import change_role, last_referent_of

from . import conservation, effacement, export
from .forms import ConfierForm, SuppressionForm
from .models import Archive


def _durees():
    return {
        "inactivite_ans": conservation.INACTIVITE.days // 365,
        "preavis_jours": conservation.PREAVIS.days,
        "archives_jours": conservation.ARCHIVES.days,
        "invitations_jours": conservation.INVITATIONS.days,
        "courriels_jours": conservation.COURRIELS.days,
        "session_jours": settings.SESSION_COOKIE_AGE // 86400,
    }


def mentions_legales(request):
    return render(request, "rgpd/mentions_legales.html", _contacts())


def donnees_personnelles(request):
    return render(request, "rgpd/donnees_personnelles.html", {**_contacts(), **_durees()})


def _contacts():
    return {
        "editeur": settings.EDITEUR,
        "hebergeur": settings.HEBERGEUR,
        "contact": settings.CONTACT_DONNEES,
    }


@login_required
def mes_donnees(request):
    """The page, and (htmx) its list of archives while one is being prepared."""
    archives = list(request.user.archives.all()[:5])
    context = {
        "archives": archives,
        "en_preparation": any(a.state == Archive.State.ATTENTE for a in archives),
        "format": export.FORMAT,
        "contact": settings.CONTACT_DONNEES,
        **_durees(),
    }
    partiel = bool(request.htmx) and not request.htmx.history_restore_request
    template = "rgpd/_archives.html" if partiel else "rgpd/mes_donnees.html"
    response = render(request, template, context)
    patch_vary_headers(response, ["HX-Request"])
    return response


@login_required
@reauthentication_required
@require_POST
def demander_archive(request):
    _archive, created = export.demander(request.user)
    if created:
        messages.success(
            request,
            _("Votre archive est en préparation. Vous recevrez un e-mail dès qu'elle sera prête."),
        )
    else:
        messages.info(request, _("Votre archive est déjà en préparation."))
    return redirect("rgpd:mes_donnees")


@login_required
@reauthentication_required
def telecharger_archive(request, uuid):
    archive = get_object_or_404(Archive, uuid=uuid, user=request.user, state=Archive.State.PRETE)
    return FileResponse(
        archive.fichier.open("rb"),
        as_attachment=True,
        filename=f"mes-donnees-villes-internet-{archive.created_at:%Y-%m-%d}.zip",
        content_type="application/zip",
    )


def _seuls_referents(user, bound=None):
    """The collectivités ``user`` is the only référent of, each with its form to hand over."""
    seuls = last_referent_of(user)
    for membership in seuls:
        if bound is not None and bound.membership.pk == membership.pk:
            membership.form = bound
        else:
            membership.form = ConfierForm(membership=membership)
    return seuls


@login_required
@reauthentication_required
@require_http_methods(["GET", "POST"])
def supprimer(request):
    """What deleting the account means for this person, then the deletion once confirmed."""
    form = SuppressionForm(request.POST if request.method == "POST" else None)
    user = request.user
    if request.method == "POST" and effacement.peut_supprimer(user) and form.is_valid():
        effacement.supprimer_compte(user)
        get_adapter(request).logout(request)
        messages.success(request, _("Votre compte est supprimé. Merci d'avoir participé au label."))
        return redirect("home")
    return _page_suppression(request, form)


def _page_suppression(request, form, bound=None):
    user = request.user
    return render(
        request,
        "rgpd/supprimer.html",
        {
            "form": form,
            "peut_supprimer": effacement.peut_supprimer(user),
            "seuls_referents": _seuls_referents(user, bound),
            "memberships": Membership.objects.filter(user=user).select_related("collectivite"),
            "jures": user.jures.select_related("edition").order_by("-edition__annee"),
            "contact": settings.CONTACT_DONNEES,
        },
    )


@login_required
@reauthentication_required
@require_POST
def confier_referent(request, code):
    """The only référent of a collectivité names another member référent (before deleting their
    account, or leaving)."""
    membership = membership_or_404(request.user, code, referent=True)
    form = ConfierForm(request.POST, membership=membership)
    if not form.is_valid():
        form.membership = membership
        return _page_suppression(request, SuppressionForm(), bound=form)
    successor = change_role(form.cleaned_data["membre"], Membership.Role.REFERENT, request.user)
    messages.success(
        request,
        _("%(nom)s est désormais référent de %(collectivite)s.")
        % {"nom": successor.user, "collectivite": membership.collectivite},
    )
    return redirect("rgpd:supprimer")
