"""Placeholder: replaced by the real views."""

from django.http import Http404


def accueil(request, *args, **kwargs):
    raise Http404


def dashboard(request, *args, **kwargs):
    raise Http404
