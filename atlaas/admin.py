import datetime

from django.contrib import admin, messages
from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import catalogue, search
from .forms import RenvoiForm
from .francais import normaliser_nom
from .models import (
    Categorie,
    Collectivite,
    ContactFiche,
    Departement,
    Enjeu,
    FicheAction,
    FicheTransition,
    FichierFiche,
    Invitation,
    Membership,
    Region,
    Service,
)
from .notifications import notify_invitation
from .uploads import file_response
from .workflow import INVITATION_DAYS, TransitionError, approve_membership, set_fiche_state


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    list_display = ["nom", "code", "zone"]
    list_filter = ["zone"]
    search_fields = ["nom", "code"]


@admin.register(Departement)
class DepartementAdmin(admin.ModelAdmin):
    list_display = ["code", "nom", "region", "zone"]
    list_filter = ["zone", "region"]
    search_fields = ["nom", "code"]
    list_select_related = ["region"]


@admin.register(Collectivite)
class CollectiviteAdmin(admin.ModelAdmin):
    list_display = ["nom", "code", "nature", "type_epci", "departement", "population", "active"]
    list_filter = ["nature", "type_epci", "zone", "active", "region"]
    search_fields = ["nom", "code", "siren", "codes_postaux"]
    list_select_related = ["departement"]
    raw_id_fields = ["epci"]
    readonly_fields = ["nature", "code", "siren", "nom_normalise"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False  # the referential comes from import_territoires, never typed in by hand

    def get_search_results(self, request, queryset, search_term):
        """The search of the rest of the portal: a name typed with « oe », without accents or
        hyphens, « St » for Saint, an INSEE code, a SIREN or a postcode."""
        found = search.filtrer_collectivites(queryset, search_term)
        if found is None:
            return super().get_search_results(request, queryset, search_term)
        return found, False

    def save_model(self, request, obj, form, change):
        obj.nom_normalise = normaliser_nom(obj.nom)
        super().save_model(request, obj, form, change)
        # Its name and level are part of its fiches in the Atlaas.
        catalogue.indexer(obj.fiches.published().values_list("pk", flat=True))


class EnjeuInline(admin.TabularInline):
    model = Enjeu
    extra = 0
    prepopulated_fields = {"slug": ["nom"]}


class ServiceInline(admin.TabularInline):
    model = Service
    extra = 0
    fields = ["nom", "slug", "ordre", "actif"]
    prepopulated_fields = {"slug": ["nom"]}


class TaxonomieAdmin(admin.ModelAdmin):
    """The Atlaas' facets show these names and count the fiches under them: a change is shown
    there at once (on PostgreSQL the fiches' codes of enjeux and catégories are rewritten)."""

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)  # after the inlines: a service deleted there
        catalogue.invalider(referentiel=True)

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        catalogue.invalider(referentiel=True)

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        catalogue.invalider(referentiel=True)


@admin.register(Categorie)
class CategorieAdmin(TaxonomieAdmin):
    list_display = ["nom", "ordre"]
    search_fields = ["nom"]
    prepopulated_fields = {"slug": ["nom"]}
    inlines = [EnjeuInline]


@admin.register(Enjeu)
class EnjeuAdmin(TaxonomieAdmin):
    list_display = ["nom", "categorie", "ordre"]
    list_filter = ["categorie"]
    search_fields = ["nom"]
    prepopulated_fields = {"slug": ["nom"]}
    inlines = [ServiceInline]


@admin.register(Service)
class ServiceAdmin(TaxonomieAdmin):
    list_display = ["nom", "enjeu", "ordre", "actif"]
    list_filter = ["actif", "enjeu__categorie", "enjeu"]
    search_fields = ["nom", "description"]
    list_select_related = ["enjeu"]
    prepopulated_fields = {"slug": ["nom"]}


# --- Membres -------------------------------------------------------------------------------------


@admin.register(Membership)
class MembershipAdmin(admin.ModelAdmin):
    list_display = ["user", "user__email", "collectivite", "role", "state", "fonction", "requested_at"]
    list_filter = ["state", "role"]
    search_fields = ["user__email", "user__last_name", "collectivite__nom", "collectivite__code"]
    list_select_related = ["user", "collectivite__departement"]
    raw_id_fields = ["user", "collectivite", "approved_by"]
    readonly_fields = ["requested_at", "approved_at", "approved_by"]
    date_hierarchy = "requested_at"
    actions = ["approve"]

    @admin.action(description=_("Approuver les demandes sélectionnées"))
    def approve(self, request, queryset):
        approved = 0
        for membership in queryset.filter(state=Membership.State.PENDING):
            approve_membership(membership, request.user)
            approved += 1
        self.message_user(
            request,
            ngettext("%(count)d demande approuvée.", "%(count)d demandes approuvées.", approved)
            % {"count": approved},
            messages.SUCCESS,
        )


@admin.register(Invitation)
class InvitationAdmin(admin.ModelAdmin):
    list_display = ["email", "collectivite", "role", "invited_by", "created_at", "expires_at", "accepted_at"]
    list_filter = ["role", "accepted_at", "expires_at"]
    search_fields = ["email", "collectivite__nom", "collectivite__code"]
    list_select_related = ["collectivite__departement", "invited_by"]
    raw_id_fields = ["collectivite"]
    readonly_fields = ["token", "invited_by", "created_at", "accepted_at", "accepted_by"]

    def get_changeform_initial_data(self, request):
        initial = super().get_changeform_initial_data(request)
        initial.setdefault("expires_at", timezone.now() + datetime.timedelta(days=INVITATION_DAYS))
        return initial

    def save_model(self, request, obj, form, change):
        """An invitation created here is sent like one made by a référent, in the staff's name."""
        if not change:
            obj.invited_by = request.user
        super().save_model(request, obj, form, change)
        if not change:
            notify_invitation(obj)


# --- Fiches actions: moderation -----------------------------------------------------------------


class ContactFicheInline(admin.TabularInline):
    model = ContactFiche
    extra = 0
    fields = ["nom", "fonction", "email"]


class FichierFicheInline(admin.TabularInline):
    """The files of the fiche, opened through the staff-only view of FicheActionAdmin."""

    model = FichierFiche
    extra = 0
    fields = ["lien", "content_type", "taille", "legende"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    @admin.display(description=_("fichier"))
    def lien(self, obj):
        url = reverse("admin:atlaas_ficheaction_fichier", args=[obj.fiche_id, obj.pk])
        return format_html('<a href="{}">{}</a>', url, obj.nom)


class FicheTransitionInline(admin.TabularInline):
    model = FicheTransition
    extra = 0
    fields = ["at", "from_state", "to_state", "by", "message"]
    readonly_fields = fields
    can_delete = False
    ordering = ["at", "pk"]

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(FicheAction)
class FicheActionAdmin(admin.ModelAdmin):
    """Staff moderate here: « Publier » and « Renvoyer à corriger » go through set_fiche_state."""

    list_display = ["titre", "collectivite", "state", "revision_of", "updated_at"]
    list_filter = ["state", ("revision_of", admin.EmptyFieldListFilter)]
    search_fields = ["titre", "collectivite__nom"]
    list_select_related = ["collectivite__departement", "revision_of"]
    raw_id_fields = ["collectivite", "revision_of", "created_by"]
    autocomplete_fields = ["services"]
    readonly_fields = ["state", "moderation_message", "published_at", "created_at", "updated_at"]
    inlines = [ContactFicheInline, FichierFicheInline, FicheTransitionInline]
    actions = ["publier", "renvoyer_a_corriger"]
    show_full_result_count = False

    def save_related(self, request, form, formsets, change):
        super().save_related(request, form, formsets, change)
        if form.instance.state == FicheAction.State.PUBLIEE:
            catalogue.indexer([form.instance.pk])  # a correction by staff is searchable at once

    def delete_model(self, request, obj):
        super().delete_model(request, obj)
        catalogue.invalider()  # no search goes on counting it

    def delete_queryset(self, request, queryset):
        super().delete_queryset(request, queryset)
        catalogue.invalider()

    def get_urls(self):
        view = self.admin_site.admin_view(self.fichier_view)
        return [
            path("<int:pk>/fichiers/<int:file_id>/", view, name="atlaas_ficheaction_fichier"),
            *super().get_urls(),
        ]

    def fichier_view(self, request, pk, file_id):
        if not self.has_view_permission(request):
            raise PermissionDenied
        fichier = get_object_or_404(FichierFiche, pk=file_id, fiche_id=pk)
        return file_response(fichier, inline=fichier.is_image)

    @admin.action(description=_("Publier"))
    def publier(self, request, queryset):
        published, skipped = 0, 0
        for fiche in queryset.select_related("collectivite"):
            try:
                fiche = set_fiche_state(fiche, FicheAction.State.PUBLIEE, request.user)
            except TransitionError:
                skipped += 1
                continue
            published += 1
        self._report(request, published, skipped)

    @admin.action(description=_("Renvoyer à corriger"))
    def renvoyer_a_corriger(self, request, queryset):
        """Asks the message on an intermediate page, then sends the fiches back."""
        form = RenvoiForm(request.POST if "apply" in request.POST else None)
        if form.is_valid():
            sent, skipped = 0, 0
            for fiche in queryset.select_related("collectivite"):
                try:
                    fiche = set_fiche_state(
                        fiche,
                        FicheAction.State.A_CORRIGER,
                        request.user,
                        message=form.cleaned_data["message"],
                    )
                except TransitionError:
                    skipped += 1
                    continue
                sent += 1
            self._report(request, sent, skipped)
            return None  # back to the list
        context = {
            **self.admin_site.each_context(request),
            "title": _("Renvoyer à corriger"),
            "opts": self.model._meta,
            "fiches": queryset.select_related("collectivite__departement"),
            "form": form,
            "action": "renvoyer_a_corriger",
            "action_checkbox_name": helpers.ACTION_CHECKBOX_NAME,
            "select_across": request.POST.get("select_across", "0"),
        }
        return TemplateResponse(request, "admin/atlaas/ficheaction/send_back.html", context)

    def _report(self, request, done, skipped):
        if done:
            self.message_user(
                request,
                ngettext("%(count)d fiche traitée.", "%(count)d fiches traitées.", done) % {"count": done},
                messages.SUCCESS,
            )
        if skipped:
            self.message_user(
                request,
                ngettext(
                    "%(count)d fiche ignorée : seule une fiche soumise à la modération peut être publiée "
                    "ou renvoyée.",
                    "%(count)d fiches ignorées : seule une fiche soumise à la modération peut être publiée "
                    "ou renvoyée.",
                    skipped,
                )
                % {"count": skipped},
                messages.WARNING,
            )
