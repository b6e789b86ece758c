"""Certificates of the laureates."""


def certificat_pdf(document):
    raise NotImplementedError
