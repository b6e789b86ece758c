"""Placeholder: replaced by the real views."""

from django.http import Http404


def retour(request, *args, **kwargs):
    raise Http404


def retour_pdf(request, *args, **kwargs):
    raise Http404
