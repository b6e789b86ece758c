"""French typography in templates: ``{% load typographie %}``, then ``{{ collectivite.nom|de }}``
(« d'Agen », « du Havre »), ``{{ lieu|a }}`` (« au Havre »), ``{{ jure.nom|de_personne }}``
(« d'Anne Martin ») and ``{{ habitants|grand_nombre }}`` (« 1,0 million »). The rules are in
atlaas/typographie.py.

The library is also a builtin of the templates (settings.TEMPLATES), for its ``date``: Django's
own, whose French dates then write the first of a month « 1er janvier », in every template."""

from django import template
from django.template import defaultfilters
from django.template.defaultfilters import stringfilter

from atlaas import typographie

register = template.Library()

register.filter("de", stringfilter(typographie.de))
register.filter("a", stringfilter(typographie.a))
register.filter("de_personne", stringfilter(typographie.de_personne))
register.filter("grand_nombre", typographie.grand_nombre)


@register.filter(expects_localtime=True, is_safe=False)
def date(value, arg=None):
    return typographie.premier_du_mois(defaultfilters.date(value, arg))
