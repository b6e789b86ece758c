from django.contrib import admin, messages
from django.db import IntegrityError, transaction
from django.db.models import Count, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from outbox import envois

from . import documents, publication, workflow
from .models import (
    Candidature,
    CandidatureTransition,
    Document,
    Edition,
    HistoriqueComplet,
    Mention,
    PieceJointe,
    Question,
    Rappel,
    Reponse,
    Section,
)


class MentionInline(admin.TabularInline):
    model = Mention
    extra = 0


class SectionInline(admin.TabularInline):
    model = Section
    extra = 0
    fields = ["titre", "type_candidature", "ordre"]
    show_change_link = True


@admin.register(Edition)
class EditionAdmin(admin.ModelAdmin):
    list_display = ["annee", "numero", "state", "ouverture", "cloture", "ceremonie_date", "ceremonie_lieu"]
    list_filter = ["state"]
    search_fields = ["annee", "ceremonie_lieu"]
    readonly_fields = ["state", "resultats_clos_at", "publie_at", "avancement_documents"]
    inlines = [MentionInline, SectionInline]
    actions = ["open_edition", "close_edition", "copy_to_next_year", "publish_palmares"]
    fieldsets = [
        (None, {"fields": ["annee", "numero", "state"]}),
        (
            _("Calendrier"),
            {
                "fields": [
                    "ouverture",
                    "cloture",
                    "jury_date",
                    "ceremonie_date",
                    "ceremonie_lieu",
                    "publication_at",
                ]
            },
        ),
        (_("Règles"), {"fields": ["seuil_village", "note_adhesion"]}),
        (
            _("Résultats"),
            {
                "fields": [
                    "resultats_clos_at",
                    "publie_at",
                    "avancement_documents",
                    "president_association",
                    "president_jury",
                ]
            },
        ),
    ]

    @admin.display(description=_("avancement des documents"))
    def avancement_documents(self, obj):
        """Generated files of the publication: x/y ready, failures linked to their list."""
        if obj is None or obj.pk is None:
            return "—"
        compte = Document.objects.filter(edition=obj).aggregate(
            total=Count("pk"),
            prets=Count("pk", filter=Q(state=Document.State.PRET)),
            echecs=Count("pk", filter=Q(state=Document.State.ECHEC)),
        )
        if not compte["total"]:
            return _("Aucun document : le palmarès n'est pas publié.")
        liste = reverse("admin:label_document_changelist") + f"?edition__id__exact={obj.pk}"
        prets = format_html('<a href="{}">{}</a>', liste, _("%(prets)s / %(total)s prêts") % compte)
        if not compte["echecs"]:
            return prets
        echecs = ngettext("%(n)s en échec", "%(n)s en échec", compte["echecs"]) % {"n": compte["echecs"]}
        return format_html('{} · <a href="{}&amp;state__exact=echec">{}</a>', prets, liste, echecs)

    def _move(self, request, queryset, to_state):
        for edition in queryset:
            try:
                workflow.set_edition_state(edition, to_state)
            except workflow.TransitionError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request, _("%(e)s : %(s)s.") % {"e": edition, "s": Edition.State(to_state).label}
                )

    @admin.action(description=_("Ouvrir les candidatures"))
    def open_edition(self, request, queryset):
        self._move(request, queryset, Edition.State.OUVERTE)

    @admin.action(description=_("Clore les candidatures"))
    def close_edition(self, request, queryset):
        self._move(request, queryset, Edition.State.CLOSE)

    @admin.action(description=_("Préparer l'édition suivante (copie)"))
    def copy_to_next_year(self, request, queryset):
        for edition in queryset:
            try:
                copy = workflow.copy_edition(edition)
            except IntegrityError:
                self.message_user(
                    request,
                    _("Le label %(annee)s existe déjà.") % {"annee": edition.annee + 1},
                    messages.ERROR,
                )
            else:
                self.message_user(
                    request,
                    _("%(copy)s préparé à partir de %(edition)s.") % {"copy": copy, "edition": edition},
                )

    @admin.action(description=_("Publier le palmarès maintenant"))
    def publish_palmares(self, request, queryset):
        for edition in queryset:
            try:
                publication.publier(edition)
            except workflow.TransitionError as error:
                self.message_user(request, str(error), messages.ERROR)
            else:
                self.message_user(
                    request,
                    _("Palmarès du %(edition)s publié : certificats et fichiers en préparation.")
                    % {"edition": edition},
                )


class QuestionInline(admin.StackedInline):
    model = Question
    extra = 0
    fields = [("libelle", "kind", "required", "ordre"), "aide", "choices"]


@admin.register(Section)
class SectionAdmin(admin.ModelAdmin):
    list_display = ["titre", "edition", "type_candidature", "ordre"]
    list_filter = ["edition", "type_candidature"]
    search_fields = ["titre", "questions__libelle"]
    inlines = [QuestionInline]


class ReponseInline(admin.TabularInline):
    model = Reponse
    extra = 0
    readonly_fields = ["question", "valeur"]
    can_delete = False


class TransitionInline(admin.TabularInline):
    model = CandidatureTransition
    extra = 0
    readonly_fields = ["from_state", "to_state", "by", "at"]
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Candidature)
class CandidatureAdmin(admin.ModelAdmin):
    list_display = ["collectivite", "edition", "type", "state", "submitted_at", "updated_at"]
    list_filter = ["edition", "state", "type"]
    search_fields = ["collectivite__nom", "collectivite__code"]
    list_select_related = ["collectivite", "edition"]
    raw_id_fields = ["collectivite", "renewed_from", "fiches"]
    readonly_fields = ["state", "version", "created_by", "updated_by", "submitted_at"]
    inlines = [ReponseInline, TransitionInline]


@admin.register(PieceJointe)
class PieceJointeAdmin(admin.ModelAdmin):
    list_display = ["nom", "candidature", "content_type", "taille", "added_at"]
    list_filter = ["content_type"]
    search_fields = ["nom", "candidature__collectivite__nom"]
    raw_id_fields = ["candidature", "question"]


@admin.register(HistoriqueComplet)
class HistoriqueCompletAdmin(admin.ModelAdmin):
    """The years whose whole palmarès is loaded (see ``import_palmares --complet``): the palmarès
    and the collectivités' pages say « première participation » and « pas de label » only on
    them. Each change moves the palmarès cache on."""

    list_display = ["annee", "declare_at"]

    def save_model(self, request, obj, form, change):
        with transaction.atomic():
            super().save_model(request, obj, form, change)
            envois.tache("label.tasks.invalider_historique")

    def delete_model(self, request, obj):
        with transaction.atomic():
            super().delete_model(request, obj)
            envois.tache("label.tasks.invalider_historique")

    def delete_queryset(self, request, queryset):
        with transaction.atomic():
            super().delete_queryset(request, queryset)
            envois.tache("label.tasks.invalider_historique")


@admin.register(Rappel)
class RappelAdmin(admin.ModelAdmin):
    list_display = ["candidature", "jours", "sent_at"]
    list_filter = ["jours"]
    search_fields = ["candidature__collectivite__nom"]
    raw_id_fields = ["candidature"]


@admin.register(Document)
class DocumentAdmin(admin.ModelAdmin):
    """Generated files: staff follow the generation, read the failures and start it again."""

    list_display = ["edition", "kind", "candidature", "state", "tentatives", "erreur", "updated_at"]
    list_filter = ["edition", "kind", "state"]
    list_select_related = ["edition", "candidature__collectivite", "candidature__edition"]
    search_fields = ["candidature__collectivite__nom", "uuid"]
    readonly_fields = [
        "edition",
        "kind",
        "candidature",
        "uuid",
        "fichier",
        "state",
        "erreur",
        "tentatives",
        "updated_at",
    ]
    actions = ["relancer"]

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Relancer la génération"))
    def relancer(self, request, queryset):
        """Failed rows, and rows « en cours » for too long (a killed worker), go back to
        « en attente »; the generation of their editions is queued after commit."""
        bloque = timezone.now() - documents.BLOQUE_APRES
        with transaction.atomic():
            a_relancer = queryset.filter(
                Q(state=Document.State.ECHEC) | Q(state=Document.State.EN_COURS, updated_at__lt=bloque)
            )
            editions = set(queryset.values_list("edition_id", flat=True))
            n = a_relancer.update(
                state=Document.State.ATTENTE, tentatives=0, erreur="", updated_at=timezone.now()
            )
            for edition_id in editions:
                documents.queue_generation(edition_id)
        self.message_user(
            request,
            ngettext(
                "%(n)s document remis en attente ; la génération est relancée.",
                "%(n)s documents remis en attente ; la génération est relancée.",
                n,
            )
            % {"n": n},
        )
