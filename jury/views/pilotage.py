"""Placeholder: replaced by the real views."""

from django.http import Http404


def pilotage(request, *args, **kwargs):
    raise Http404


def dossier(request, *args, **kwargs):
    raise Http404


def export_csv(request, *args, **kwargs):
    raise Http404


def export_xlsx(request, *args, **kwargs):
    raise Http404


def rappels(request, *args, **kwargs):
    raise Http404
