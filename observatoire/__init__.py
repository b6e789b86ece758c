"""The observatoire: the label's and the Atlaas' figures across years. Reads label and atlaas,
writes nothing (DESIGN.md §2).

The parts: ``forms`` (the query string), ``chiffres`` (the fiches' SQL aggregations) and
``labels`` (the labels'), plain values kept in the cache by ``donnees`` until the next
publication; ``phrases`` (the rising and falling themes said in words), ``svg`` (the charts),
``tableaux`` (their data tables), ``fichiers`` (CSV and JSON of the same figures) and ``views``.
"""
