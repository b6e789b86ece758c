from django import forms
from django.utils.translation import gettext_lazy as _

from atlaas.models import Membership


class SuppressionForm(forms.Form):
    confirmation = forms.BooleanField(
        label=_("J'ai lu ce qui précède et je supprime mon compte, définitivement."),
        error_messages={"required": _("Cochez cette case pour confirmer la suppression de votre compte.")},
    )

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("label_suffix", "")
        super().__init__(*args, **kwargs)


class ConfierForm(forms.Form):
    """The last référent names another active member référent before leaving."""

    membre = forms.ModelChoiceField(
        queryset=Membership.objects.none(),
        label=_("Confier le rôle de référent à"),
        empty_label=_("Choisissez un membre"),
        error_messages={
            "required": _("Choisissez le membre qui devient référent."),
            "invalid_choice": _("Choisissez un membre actif de la collectivité dans la liste."),
        },
    )

    def __init__(self, *args, membership, **kwargs):
        kwargs.setdefault("label_suffix", "")
        kwargs.setdefault("prefix", f"confier-{membership.collectivite.code}")
        super().__init__(*args, **kwargs)
        self.fields["membre"].queryset = (
            Membership.objects.filter(collectivite=membership.collectivite_id, state=Membership.State.ACTIVE)
            .exclude(pk=membership.pk)
            .select_related("user")
            .order_by("user__last_name", "user__email")
        )
        self.fields["membre"].label_from_instance = lambda m: f"{m.user} ({m.user.email})"
