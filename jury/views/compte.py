"""A juror's account: the invitation, the required two-factor authentication, the profile and
the declared conflicts of interest."""

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods, require_POST

from accounts.rules import mfa_active

from .. import affectation, conflits, invitations
from ..forms import ConflitForm, ProfilForm
from ..models import ConflitDeclare, Jure
from ..rules import jury_view


def _apres_acceptation(request, jure):
    if not mfa_active(request.user):
        return redirect("jury:mfa_requise")
    return redirect("jury:profil", jure.edition.annee)


@require_http_methods(["GET", "POST"])
def invitation(request, token):
    """The page the invitation e-mail links to. Anyone holding the link sees which jury it is
    for; a signed-in account that verified the invited address accepts it."""
    jure = get_object_or_404(Jure.objects.select_related("edition"), token=token)
    user = request.user
    error = None
    if request.method == "POST":
        if not user.is_authenticated:
            return redirect_to_login(request.get_full_path())
        if jure.user_id == user.pk and jure.accepted_at is not None:
            messages.info(request, _("Vous avez déjà accepté cette invitation."))
            return _apres_acceptation(request, jure)
        try:
            jure = invitations.accepter(jure, user)
        except invitations.InvitationError as refus:
            error = str(refus)
            jure.refresh_from_db()
        else:
            messages.success(request, _("Bienvenue au jury du %(edition)s.") % {"edition": jure.edition})
            return _apres_acceptation(request, jure)
    mine = user.is_authenticated and jure.user_id == user.pk and jure.accepted_at is not None
    used = jure.user_id is not None and not mine
    retour = {"next": request.path}
    return render(
        request,
        "jury/compte/invitation.html",
        {
            "jure": jure,
            "edition": jure.edition,
            "error": error,
            "mine": mine,
            "used": used,
            "adresse_ok": user.is_authenticated and invitations.adresse_verifiee(user, jure.email),
            "login_url": f"{reverse('account_login')}?{urlencode(retour)}",
            "signup_url": f"{reverse('account_signup')}?{urlencode({'email': jure.email, **retour})}",
        },
        status=410 if used else 200,
    )


@login_required
def mfa_requise(request):
    """Why the jury's pages ask for an authenticator app, and where to activate it. allauth's
    activation page ignores ``?next=`` (it goes on to the recovery codes): the page says to
    come back to the jury's space afterwards."""
    if mfa_active(request.user):
        return redirect("jury:accueil")
    return render(request, "jury/compte/mfa_requise.html")


def _signaler_retraits(request, retirees):
    """Tell the juror which dossiers were just taken from them, and what happens next."""
    if retirees:
        messages.warning(
            request,
            ngettext(
                "Ce dossier vous est retiré, avec votre évaluation s'il y en avait une : %(dossiers)s. "
                "La présidence du jury le confiera à un autre juré.",
                "Ces dossiers vous sont retirés, avec vos évaluations s'il y en avait : %(dossiers)s. "
                "La présidence du jury les confiera à d'autres jurés.",
                len(retirees),
            )
            % {"dossiers": ", ".join(str(c.collectivite) for c in retirees)},
        )


@require_http_methods(["GET", "POST"])
@jury_view()
def profil(request, annee):
    """The juror's profile (organisation, expertise, home département) and their conflicts of
    interest: declared ones, and those found among the edition's submitted dossiers. A new
    conflict takes the juror off the dossiers concerned at once, in the same transaction."""
    jure = request.jure
    if jure is None:
        raise Http404
    profil_form = ProfilForm(instance=jure)
    conflit_form = ConflitForm(jure=jure, prefix="conflit")
    if request.method == "POST":
        if request.POST.get("formulaire") == "conflit":
            conflit_form = ConflitForm(request.POST, jure=jure, prefix="conflit")
            if conflit_form.is_valid():
                with transaction.atomic():
                    # As ConflitForm.save, recording who declared it: only they may remove it.
                    conflit = ConflitDeclare.objects.create(
                        jure=jure, declare_par=request.user, **conflit_form.cleaned_data
                    )
                    retirees = affectation.retirer_conflits(jure, request.user)
                messages.success(
                    request,
                    _("Conflit d'intérêts déclaré : %(objet)s.")
                    % {"objet": conflit.collectivite or conflit.departement},
                )
                _signaler_retraits(request, retirees)
                return redirect("jury:profil", annee)
        else:
            profil_form = ProfilForm(request.POST, instance=jure)
            if profil_form.is_valid():
                retirees = []
                with transaction.atomic():
                    profil_form.save()
                    if "departement" in profil_form.changed_data:
                        retirees = affectation.retirer_conflits(jure, request.user)
                messages.success(request, _("Votre profil est enregistré."))
                _signaler_retraits(request, retirees)
                return redirect("jury:profil", annee)
    candidatures = list(
        conflits.candidatures_a_evaluer(request.edition).select_related("collectivite__departement")
    )
    trouves = conflits.conflits([jure], candidatures)[jure.pk]
    return render(
        request,
        "jury/compte/profil.html",
        {
            "jure": jure,
            "edition": request.edition,
            "profil_form": profil_form,
            "conflit_form": conflit_form,
            "declares": jure.conflits.select_related("collectivite__departement", "departement"),
            "detectes": [(c, trouves[c.pk]) for c in candidatures if c.pk in trouves],
        },
    )


@require_POST
@jury_view()
def conflit_supprimer(request, annee, pk):
    jure = request.jure
    if jure is None:
        raise Http404
    deleted = ConflitDeclare.objects.filter(pk=pk, jure=jure, declare_par=request.user).delete()[0]
    if deleted:
        messages.success(request, _("Le conflit d'intérêts déclaré est retiré."))
    elif ConflitDeclare.objects.filter(pk=pk, jure=jure).exists():
        messages.error(
            request,
            _("Ce conflit d'intérêts a été enregistré par l'équipe : seule l'équipe peut le retirer."),
        )
    elif ConflitDeclare.objects.filter(pk=pk).exists():
        raise Http404  # another juror's
    else:
        messages.info(request, _("Ce conflit d'intérêts était déjà retiré."))
    return redirect("jury:profil", annee)
