"""Placeholder: replaced by the real views."""

from django.http import Http404


def suivant(request, *args, **kwargs):
    raise Http404


def evaluer(request, *args, **kwargs):
    raise Http404


def autosave(request, *args, **kwargs):
    raise Http404


def soumettre(request, *args, **kwargs):
    raise Http404


def rouvrir(request, *args, **kwargs):
    raise Http404


def piece(request, *args, **kwargs):
    raise Http404
