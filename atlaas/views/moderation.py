"""Staff moderation of the Atlaas: the queue of submitted fiches, one fiche with its diff against
the published version, « Publier » and « Renvoyer pour correction » through workflow.set_fiche_state.

Staff only: everybody else, anonymous included, gets the 404 of a page that does not exist; staff
without a TOTP authenticator activate one first.
"""

from itertools import groupby

from django import forms
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop
from django.views.decorators.http import require_http_methods, require_safe

from accounts.rules import staff_view
from atlaas import catalogue, diff, rules, selectors, workflow
from atlaas.forms import RenvoiForm
from atlaas.models import Departement, FicheAction, FicheTransition, Region

State = FicheAction.State
PER_PAGE = 50
PUBLIER, RENVOYER = "publier", "renvoyer"
# A revision is deleted once published: a colleague or a double click was first.
GONE = gettext_noop("Cette fiche n'est plus en attente de modération : rien n'a été changé.")


class FiltreForm(forms.Form):
    """The queue's search, filters and order, read from the query string: a value that does not
    fit is said next to its field and left out of the search, the others still apply."""

    NOUVELLES, MODIFICATIONS = "nouvelles", "modifications"

    q = forms.CharField(
        label=gettext_lazy("Rechercher"),
        help_text=gettext_lazy("Mots du titre de la fiche ou du nom de la collectivité."),
        required=False,
        max_length=200,
    )
    type = forms.ChoiceField(
        label=gettext_lazy("Type de demande"),
        required=False,
        choices=[
            ("", gettext_lazy("Toutes les fiches")),
            (NOUVELLES, gettext_lazy("Nouvelles fiches")),
            (MODIFICATIONS, gettext_lazy("Modifications de fiches publiées")),
        ],
    )
    region = forms.ModelChoiceField(
        Region.objects.order_by("nom"),
        label=gettext_lazy("Région"),
        required=False,
        to_field_name="code",
        empty_label=gettext_lazy("Toutes les régions"),
    )
    departement = forms.ModelChoiceField(
        Departement.objects.order_by("code"),
        label=gettext_lazy("Département"),
        required=False,
        to_field_name="code",
        empty_label=gettext_lazy("Tous les départements"),
    )
    type_collectivite = forms.ChoiceField(
        label=gettext_lazy("Type de collectivité"),
        required=False,
        choices=[("", gettext_lazy("Tous les types")), *catalogue.TYPES.items()],
    )
    depuis = forms.DateField(
        label=gettext_lazy("Soumises depuis le"),
        required=False,
        widget=forms.DateInput(format="%Y-%m-%d", attrs={"type": "date"}),
    )
    tri = forms.ChoiceField(
        label=gettext_lazy("Ordre"),
        required=False,
        choices=[
            ("anciennes", gettext_lazy("La plus anciennement soumise d'abord")),
            ("recentes", gettext_lazy("La plus récemment soumise d'abord")),
            ("collectivite", gettext_lazy("Par collectivité")),
        ],
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["departement"].label_from_instance = lambda d: f"{d.code} — {d.nom}"

    def filtres(self):
        """The values that fit, by name (an empty one left out)."""
        self.is_valid()
        return {name: value for name, value in self.cleaned_data.items() if value not in ("", None)}


@require_safe
@staff_view(peut=rules.peut_moderer)
def file(request):
    """The fiches waiting for a decision, the oldest submission first unless another order is
    asked for; searched, filtered and paginated without JavaScript, in a fixed number of queries."""
    filtre = FiltreForm(request.GET)
    filtres = filtre.filtres()
    fiches = selectors.file_de_moderation(
        q=filtres.get("q", ""),
        demande=filtres.get("type", ""),
        region=filtres.get("region"),
        departement=filtres.get("departement"),
        type_collectivite=filtres.get("type_collectivite", ""),
        depuis=filtres.get("depuis"),
        tri=filtres.get("tri", ""),
    )
    page = Paginator(fiches, PER_PAGE).get_page(request.GET.get("page"))
    users = get_user_model().objects.in_bulk({f.submitted_by_id for f in page if f.submitted_by_id})
    for fiche in page:
        fiche.submitted_by = users.get(fiche.submitted_by_id)
    cherche = bool(set(filtres) - {"tri"})
    return render(
        request, "atlaas/moderation/file.html", {"page": page, "filtre": filtre, "cherche": cherche}
    )


@require_http_methods(["GET", "POST"])
@staff_view(peut=rules.peut_moderer)
def fiche(request, pk):
    """A fiche as the public would see it, its changes if it revises a published fiche, its
    history, and the decision while it is submitted. Staff may look at a fiche in any state."""
    fiche = (
        FicheAction.objects.select_related("collectivite__departement", "revision_of").filter(pk=pk).first()
    )
    if request.method == "GET":
        if fiche is None:
            raise Http404
        return _render(request, fiche, RenvoiForm())

    action = request.POST.get("action")
    if action not in (PUBLIER, RENVOYER):
        return redirect("atlaas:moderation_fiche", pk) if fiche else redirect("atlaas:moderation")
    if fiche is None:
        messages.error(request, _(GONE))
        return redirect("atlaas:moderation")
    if fiche.state != State.SOUMISE:
        return _already_moderated(request, fiche)
    form = RenvoiForm(request.POST) if action == RENVOYER else RenvoiForm()
    if action == RENVOYER and not form.is_valid():
        return _render(request, fiche, form)
    titre, is_revision = fiche.titre, bool(fiche.revision_of_id)
    try:
        if action == PUBLIER:
            workflow.set_fiche_state(fiche, State.PUBLIEE, by=request.user)
        else:
            workflow.set_fiche_state(
                fiche, State.A_CORRIGER, by=request.user, message=form.cleaned_data["message"]
            )
    except FicheAction.DoesNotExist:
        messages.error(request, _(GONE))
        return redirect("atlaas:moderation")
    except workflow.TransitionError:
        fiche.refresh_from_db()
        return _already_moderated(request, fiche)
    if action == RENVOYER:
        text = _("Fiche « %(titre)s » renvoyée à la collectivité pour correction.")
    elif is_revision:
        text = _("Modification de la fiche « %(titre)s » publiée.")
    else:
        text = _("Fiche « %(titre)s » publiée.")
    messages.success(request, text % {"titre": titre})
    return redirect("atlaas:moderation")


def _already_moderated(request, fiche):
    messages.error(
        request,
        _(
            "La fiche « %(titre)s » n'est plus en attente de modération (état : %(etat)s) : "
            "quelqu'un l'a sans doute déjà traitée. Rien n'a été changé."
        )
        % {"titre": fiche.titre, "etat": fiche.get_state_display()},
    )
    return redirect("atlaas:moderation_fiche", fiche.pk)


def _services(fiche):
    return list(
        fiche.services.select_related("enjeu__categorie").order_by(
            "enjeu__categorie__ordre", "enjeu__ordre", "enjeu__nom", "ordre", "nom"
        )
    )


def _liste(titre, libelles, changes, texte):
    """Items of a list taken out and put in by a revision, as the texts the page shows."""
    return {
        "titre": titre,
        "retires": libelles[0],
        "ajoutes": libelles[1],
        "removed": [texte(item) for item in changes.removed],
        "added": [texte(item) for item in changes.added],
    }


def _contact_key(contact):
    return (contact.nom, contact.fonction, contact.email.lower())


def _render(request, fiche, renvoi_form):
    published = fiche.revision_of  # set when the fiche is a revision of a published fiche
    pending = (
        FicheAction.objects.filter(revision_of=fiche).first()
        if fiche.state == State.PUBLIEE and not published
        else None
    )
    services = _services(fiche)
    contacts = list(fiche.contacts.all())
    fichiers = list(fiche.fichiers.all())
    changes = None
    if published:
        listes = [
            _liste(
                _("Services"),
                (_("Services retirés :"), _("Services ajoutés :")),
                diff.list_changes(_services(published), services, key=lambda s: s.pk),
                lambda s: f"{s.nom} ({s.enjeu.nom})",
            ),
            _liste(
                _("Contacts"),
                (_("Contacts retirés :"), _("Contacts ajoutés :")),
                diff.list_changes(list(published.contacts.all()), contacts, key=_contact_key),
                lambda c: " — ".join(part for part in (c.nom, c.fonction, c.email) if part),
            ),
            _liste(
                _("Photos et documents"),
                (_("Fichiers retirés :"), _("Fichiers ajoutés :")),
                diff.list_changes(list(published.fichiers.all()), fichiers, key=lambda f: f.fichier.name),
                lambda f: f.nom,
            ),
        ]
        changes = {
            "fields": diff.field_changes(published, fiche, FicheAction.CONTENT_FIELDS),
            "listes": [liste for liste in listes if liste["removed"] or liste["added"]],
        }
        changes["any"] = bool(changes["fields"] or changes["listes"])
    original = published or fiche
    revision = fiche if published else pending
    transitions = list(
        FicheTransition.objects.filter(fiche__in=[f.pk for f in (original, revision) if f])
        .select_related("by")
        .order_by("at", "pk")
    )
    submissions = [t for t in transitions if t.fiche_id == fiche.pk and t.to_state == State.SOUMISE]
    return render(
        request,
        "atlaas/moderation/fiche.html",
        {
            "fiche": fiche,
            "collectivite": fiche.collectivite,
            "published": published,
            "pending": pending,
            "original": original,
            "changes": changes,
            "services_by_enjeu": [
                (enjeu, list(of_enjeu)) for enjeu, of_enjeu in groupby(services, key=lambda s: s.enjeu)
            ],
            "contacts": contacts,
            "fichiers": fichiers,
            "transitions": transitions,
            "submitted": submissions[-1] if submissions else None,
            "renvoi_form": renvoi_form,
            "decidable": fiche.state == State.SOUMISE,
            "PUBLIER": PUBLIER,
            "RENVOYER": RENVOYER,
        },
    )
