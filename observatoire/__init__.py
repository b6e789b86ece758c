"""The observatoire: the label's and the Atlaas' figures across years. Reads label and atlaas,
writes nothing (DESIGN.md §2).

The parts: ``forms`` (the query string), ``resume`` (the catalogue's summary, built once per
version), ``chiffres`` (the fiches' figures summed over it) and ``labels`` (the labels'), plain
values kept in the cache by ``donnees`` until the next publication; ``phrases`` (the rising and
falling themes said in words), ``svg`` (the charts), ``tableaux`` (their data tables and the heat
tables), ``fichiers`` (CSV and JSON of the same figures), ``views`` and ``tasks`` (the default
page built after a publication).
"""
