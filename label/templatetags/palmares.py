"""The laureates of a palmarès group as the association writes them, one a line:
« Arras (62) @@@ — Arobase verte », the name a link to the collectivité's page (where its
history, type and population are). One element per laureate, its link: the lines are text
that the list's CSS (``white-space: pre-line``) breaks, so that 1,000 laureates stay light."""

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join

register = template.Library()


def _ligne(laureat, adresse):
    distinctions = laureat.distinctions
    return format_html(
        '<a href="{}">{}</a>{}{}',
        adresse.replace("CODE", laureat.code),
        laureat.nom,
        laureat.ligne.removeprefix(laureat.nom),  # « (62) @@@ »: Laureat.ligne is the format
        f" — {', '.join(distinctions)}" if distinctions else "",
    )


@register.filter
def lignes(laureats):
    adresse = reverse("atlaas:collectivite", args=["CODE"])
    return format_html_join("\n", "{}", ((_ligne(laureat, adresse),) for laureat in laureats))


@register.filter
def designations(laureats):
    """« Arras (62) · Agen (47) »: the TEN and mentions lists of the key figures."""
    return " · ".join(laureat.designation for laureat in laureats)
