from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from . import envois
from .models import Envoi


@admin.register(Envoi)
class EnvoiAdmin(admin.ModelAdmin):
    """The outbox for the team: what is waiting, what failed and why, what was sent."""

    list_display = ["__str__", "kind", "state", "attempts", "created_at", "done_at", "next_attempt_at"]
    list_filter = ["state", "kind", "task"]
    search_fields = ["key", "task", "payload__subject"]
    date_hierarchy = "created_at"
    actions = ["reessayer"]
    readonly_fields = [f.name for f in Envoi._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.action(description=_("Réessayer les envois en échec"))
    def reessayer(self, request, queryset):
        count = envois.reessayer(queryset)
        self.message_user(
            request,
            ngettext("%(count)d envoi remis en attente.", "%(count)d envois remis en attente.", count)
            % {"count": count},
            messages.SUCCESS if count else messages.WARNING,
        )
