"""Placeholder: replaced by the real views."""

from django.http import Http404


def verification(request, *args, **kwargs):
    raise Http404


def badge(request, *args, **kwargs):
    raise Http404


def certificat(request, *args, **kwargs):
    raise Http404


def badge_code(request, *args, **kwargs):
    raise Http404
