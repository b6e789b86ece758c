"""Placeholder: replaced by the real views."""

from django.http import Http404


def mfa_requise(request, *args, **kwargs):
    raise Http404


def invitation(request, *args, **kwargs):
    raise Http404


def profil(request, *args, **kwargs):
    raise Http404


def conflit_supprimer(request, *args, **kwargs):
    raise Http404
