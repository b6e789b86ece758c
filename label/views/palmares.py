"""Placeholder: replaced by the real views."""

from django.http import Http404


def index(request, *args, **kwargs):
    raise Http404


def palmares(request, *args, **kwargs):
    raise Http404


def fichier(request, *args, **kwargs):
    raise Http404
