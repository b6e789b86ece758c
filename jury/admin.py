from django import forms
from django.contrib import admin, messages
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import affectation, grille, invitations
from .models import AffectationJournal, ConflitDeclare, Critere, Evaluation, Jure, Jury, Note, RappelJure


class ReadOnlyAdmin(admin.ModelAdmin):
    """Staff audit: rows are written by the jury's pages, never here. The scores and notes are
    confidential, as on the jury's pages: the admin opens only to staff with a TOTP authenticator."""

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Jury)
class JuryAdmin(admin.ModelAdmin):
    """The phase moves through the president's deliberation pages, never here."""

    list_display = ["edition", "phase", "jures_par_dossier", "ecart_max", "notes_visibles_apres_soumission"]
    list_filter = ["phase"]
    readonly_fields = ["phase", "deliberation_ouverte_at"]
    actions = ["grille_par_defaut"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "edition"] if obj else self.readonly_fields

    @admin.action(description=_("Créer la grille par défaut"))
    def grille_par_defaut(self, request, queryset):
        for jury in queryset.select_related("edition"):
            avant = Critere.objects.filter(edition=jury.edition).count()
            criteres = grille.criteres(jury.edition)
            if avant:
                self.message_user(
                    request,
                    ngettext(
                        "%(edition)s a déjà une grille (%(count)d critère) : elle est gardée.",
                        "%(edition)s a déjà une grille (%(count)d critères) : elle est gardée.",
                        avant,
                    )
                    % {"edition": jury.edition, "count": avant},
                    messages.WARNING,
                )
            else:
                self.message_user(
                    request,
                    ngettext(
                        "%(edition)s : grille par défaut créée (%(count)d critère).",
                        "%(edition)s : grille par défaut créée (%(count)d critères).",
                        len(criteres),
                    )
                    % {"edition": jury.edition, "count": len(criteres)},
                    messages.SUCCESS,
                )


class JureAdminForm(forms.ModelForm):
    """The e-mail staff type is the invitation's; one president per edition, said plainly."""

    class Meta:
        model = Jure
        fields = ["edition", "nom", "email", "president", "organisation", "expertises", "departement"]

    def clean_email(self):
        return self.cleaned_data["email"].strip().lower()

    def clean(self):
        cleaned = super().clean()
        edition, email = cleaned.get("edition"), cleaned.get("email")
        if edition is None:
            return cleaned
        autres = Jure.objects.filter(edition=edition).exclude(pk=self.instance.pk)
        if email and autres.filter(email__iexact=email).exists():
            self.add_error("email", _("Cette adresse est déjà invitée au jury de cette édition."))
        if cleaned.get("president"):
            president = autres.filter(president=True).first()
            if president is not None:
                self.add_error(
                    "president",
                    _("%(nom)s préside déjà le jury de cette édition : décochez d'abord sa présidence.")
                    % {"nom": president.nom},
                )
        return cleaned


class ConflitDeclareInlineForm(forms.ModelForm):
    class Meta:
        model = ConflitDeclare
        fields = ["collectivite", "departement", "motif"]

    def clean(self):
        cleaned = super().clean()
        collectivite, departement = cleaned.get("collectivite"), cleaned.get("departement")
        # On the field, so that the model's own check (a message naming the constraint) is skipped.
        if collectivite and departement:
            self.add_error("collectivite", _("Indiquez une collectivité ou un département, pas les deux."))
        elif not collectivite and not departement and "collectivite" not in self.errors:
            self.add_error("collectivite", _("Indiquez une collectivité ou un département."))
        return cleaned


class ConflitDeclareInline(admin.TabularInline):
    model = ConflitDeclare
    form = ConflitDeclareInlineForm
    extra = 0
    fields = ["collectivite", "departement", "motif", "created_at", "declare_par"]
    readonly_fields = ["created_at", "declare_par"]
    raw_id_fields = ["collectivite"]

    def get_queryset(self, request):
        return super().get_queryset(request).select_related("collectivite__departement", "declare_par")


@admin.register(Jure)
class JureAdmin(admin.ModelAdmin):
    form = JureAdminForm
    list_display = ["nom", "edition", "email", "organisation", "president", "invited_at", "accepted_at"]
    list_filter = ["edition", "president", ("accepted_at", admin.EmptyFieldListFilter)]
    search_fields = ["nom", "email", "organisation", "user__email"]
    list_select_related = ["edition"]
    raw_id_fields = ["user"]
    autocomplete_fields = ["expertises", "departement"]
    readonly_fields = ["user", "lien_invitation", "invited_at", "accepted_at"]
    fields = [
        "edition",
        "nom",
        "email",
        "president",
        "organisation",
        "expertises",
        "departement",
        "user",
        "lien_invitation",
        "invited_at",
        "accepted_at",
    ]
    inlines = [ConflitDeclareInline]
    actions = ["envoyer_invitation"]

    def save_formset(self, request, form, formset, change):
        """A conflict added or changed here is recorded as the team's: the juror cannot remove it."""
        if formset.model is not ConflitDeclare:
            return super().save_formset(request, form, formset, change)
        for conflit in formset.save(commit=False):
            conflit.declare_par = request.user
            conflit.save()
        for conflit in formset.deleted_objects:
            conflit.delete()
        return None

    def save_related(self, request, form, formsets, change):
        """A new conflict (declared, or a new home département) takes the juror off the dossiers
        concerned at once, as on the juror's profile."""
        super().save_related(request, form, formsets, change)
        retirees = affectation.retirer_conflits(form.instance, request.user) if change else []
        if retirees:
            self.message_user(
                request,
                ngettext(
                    "%(jure)s est retiré(e) d'un dossier pour conflit d'intérêts : %(dossiers)s.",
                    "%(jure)s est retiré(e) de %(count)d dossiers pour conflit d'intérêts : %(dossiers)s.",
                    len(retirees),
                )
                % {
                    "jure": form.instance.nom,
                    "count": len(retirees),
                    "dossiers": ", ".join(str(c.collectivite) for c in retirees),
                },
                messages.WARNING,
            )

    @admin.display(description=_("lien d'invitation"))
    def lien_invitation(self, obj):
        if not obj.pk:
            return "—"
        url = invitations.lien(obj)
        return format_html('<a href="{}">{}</a>', url, url)

    @admin.action(description=_("Envoyer l'invitation"))
    def envoyer_invitation(self, request, queryset):
        envoyees = deja = 0
        for jure in queryset.select_related("edition"):
            try:
                invitations.inviter(jure, request)
            except invitations.InvitationError:
                deja += 1
            else:
                envoyees += 1
        if envoyees:
            self.message_user(
                request,
                ngettext("%(count)d invitation envoyée.", "%(count)d invitations envoyées.", envoyees)
                % {"count": envoyees},
                messages.SUCCESS,
            )
        if deja:
            self.message_user(
                request,
                ngettext(
                    "%(count)d juré a déjà accepté : pas de nouvel envoi.",
                    "%(count)d jurés ont déjà accepté : pas de nouvel envoi.",
                    deja,
                )
                % {"count": deja},
                messages.WARNING,
            )


def _grille_notee(edition_id):
    """Jurors have scored with the edition's grid: its weights, scales and criteria are fixed."""
    return Note.objects.filter(critere__edition_id=edition_id).exists()


class CritereAdminForm(forms.ModelForm):
    class Meta:
        model = Critere
        fields = ["edition", "libelle", "aide", "categorie", "poids", "echelle", "ordre"]

    def clean_edition(self):
        edition = self.cleaned_data["edition"]
        if edition.pk != self.instance.edition_id and _grille_notee(edition.pk):
            raise forms.ValidationError(
                _(
                    "Des jurés ont déjà noté des dossiers du %(edition)s avec sa grille : elle ne peut "
                    "plus recevoir de nouveau critère (les notes déjà données ne seraient plus comparables)."
                )
                % {"edition": edition}
            )
        return edition


@admin.register(Critere)
class CritereAdmin(admin.ModelAdmin):
    """The edition's scoring grid: the default one is made by JuryAdmin's action. Once jurors
    have scored with it, weights and scales are read-only and criteria are neither added nor
    deleted: the scores already given would change meaning."""

    form = CritereAdminForm
    list_display = ["libelle", "edition", "categorie", "ordre", "poids", "echelle"]
    list_editable = ["ordre"]
    list_filter = ["edition"]
    search_fields = ["libelle", "aide"]
    list_select_related = ["edition", "categorie"]
    fields = ["edition", "libelle", "aide", "categorie", "poids", "echelle", "ordre"]

    def get_readonly_fields(self, request, obj=None):
        if obj is not None and _grille_notee(obj.edition_id):
            return ["edition", "poids", "echelle"]
        return []

    def has_delete_permission(self, request, obj=None):
        # Checked for each selected criterion by the bulk « delete » action too.
        if obj is not None and _grille_notee(obj.edition_id):
            return False
        return super().has_delete_permission(request, obj)


class NoteInline(admin.TabularInline):
    model = Note
    extra = 0
    fields = ["critere", "score", "commentaire"]
    readonly_fields = fields
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(Evaluation)
class EvaluationAdmin(ReadOnlyAdmin):
    list_display = [
        "candidature",
        "jure",
        "state",
        "origine",
        "niveau_propose",
        "submitted_at",
        "rouverte_apres_consultation",
    ]
    list_filter = ["candidature__edition", "state", "origine", "rouverte_apres_consultation"]
    search_fields = ["candidature__collectivite__nom", "candidature__collectivite__code", "jure__nom"]
    list_select_related = ["candidature__collectivite", "candidature__edition", "jure"]
    inlines = [NoteInline]


@admin.register(AffectationJournal)
class AffectationJournalAdmin(ReadOnlyAdmin):
    list_display = ["at", "action", "jure", "candidature", "motif", "by"]
    list_filter = ["action", "candidature__edition"]
    search_fields = ["jure__nom", "candidature__collectivite__nom", "motif"]
    list_select_related = ["jure", "candidature__collectivite", "candidature__edition", "by"]
    date_hierarchy = "at"


@admin.register(RappelJure)
class RappelJureAdmin(ReadOnlyAdmin):
    list_display = ["jure", "jours", "sent_at", "by"]
    list_filter = ["jure__edition", "jours"]
    search_fields = ["jure__nom", "jure__email"]
    list_select_related = ["jure", "by"]
