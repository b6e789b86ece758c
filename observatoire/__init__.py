"""The observatoire: the label's and the Atlaas' figures across years. Reads label and atlaas,
writes nothing (DESIGN.md §2).

The parts: ``forms`` (the query string), ``chiffres`` (the SQL aggregations, plain values kept in
the cache), ``phrases`` (the rising and falling themes said in words), ``svg`` (the charts),
``fichiers`` (CSV and JSON of the same figures) and ``views``.
"""
