"""Renewing last year's dossier, reviewing, submitting, reopening and withdrawing a candidature."""
