"""French typography in templates: ``{% load typographie %}``, then ``{{ collectivite.nom|de }}``
(« d'Agen », « du Havre »), ``{{ lieu|a }}`` (« au Havre »), ``{{ jure.nom|de_personne }}``
(« d'Anne Martin ») and ``{{ habitants|grand_nombre }}`` (« 1,0 million »). The rules are in
atlaas/typographie.py."""

from django import template
from django.template.defaultfilters import stringfilter

from atlaas import typographie

register = template.Library()

register.filter("de", stringfilter(typographie.de))
register.filter("a", stringfilter(typographie.a))
register.filter("de_personne", stringfilter(typographie.de_personne))
register.filter("grand_nombre", typographie.grand_nombre)
