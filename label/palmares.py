"""The public palmarès of an edition and its files."""


def palmares_csv(document):
    raise NotImplementedError


def palmares_json(document):
    raise NotImplementedError


def palmares_pdf(document):
    raise NotImplementedError
