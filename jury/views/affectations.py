"""Placeholder: replaced by the real views."""

from django.http import Http404


def affectations(request, *args, **kwargs):
    raise Http404


def lancer(request, *args, **kwargs):
    raise Http404


def dossier(request, *args, **kwargs):
    raise Http404
