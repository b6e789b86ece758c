"""Placeholder: replaced by the real views."""

from django.http import Http404


def deliberation(request, *args, **kwargs):
    raise Http404


def ouvrir(request, *args, **kwargs):
    raise Http404


def clore(request, *args, **kwargs):
    raise Http404


def decider(request, *args, **kwargs):
    raise Http404
