"""The rising and falling themes of a span, said in words:

« Le thème « Cybersécurité » passe de 4 % à 17 % des fiches des villages entre 2019 et 2026. »

A theme is a service of the referential. Its share of the fiches is compared between the first
and the last year of the span that have fiches; the three largest rises and the three largest
falls (in percentage points, rounded shares that differ) are named. French typography: no-break
spaces inside the guillemets, a narrow one before « % ».
"""

from django.utils.translation import gettext as _

from label.palmares import niveau_lu

NOMBRE = 3

TYPES = {
    "village": lambda: _("des villages"),
    "ville": lambda: _("des villes"),
    "territoire": lambda: _("des territoires"),
}
STRATES = {
    "moins-3000": lambda: _("de moins de 3 000 habitants"),
    "3000-20000": lambda: _("de 3 000 à 20 000 habitants"),
    "20000-100000": lambda: _("de 20 000 à 100 000 habitants"),
    "plus-100000": lambda: _("de plus de 100 000 habitants"),
}


def pourcent(valeur):
    """« 17 % » (a narrow no-break space), the share rounded to the unit."""
    return _("%(n)s %%") % {"n": round(valeur)}


def des_fiches(choix, regions=None, departements=None):
    """« des fiches », « des fiches des villages de la région Occitanie »…: whose fiches the
    figures count. ``regions``, ``departements``: {code: name}."""
    parties = []
    nom = TYPES[choix["type"]]() if "type" in choix else None
    if "strate" in choix or "niveau" in choix:
        nom = nom or _("des collectivités")
    if nom:
        parties.append(nom)
    if "strate" in choix:
        parties.append(STRATES[choix["strate"]]())
    if "niveau" in choix:
        parties.append(_("de niveau %(niveau)s") % {"niveau": niveau_lu(choix["niveau"])})
    if "region" in choix:
        nom_region = (regions or {}).get(choix["region"], choix["region"])
        parties.append(_("de la région %(region)s") % {"region": nom_region})
    if "departement" in choix:
        nom_departement = (departements or {}).get(choix["departement"], choix["departement"])
        parties.append(_("du département %(departement)s") % {"departement": nom_departement})
    if not parties:
        return _("des fiches")
    return _("des fiches %(de_qui)s") % {"de_qui": " ".join(parties)}


def bornes(themes):
    """(first, last) years of the span with fiches, or None when fewer than two have any."""
    annees = [annee for annee in themes.annees if themes.fiches.get(annee)]
    return (annees[0], annees[-1]) if len(annees) >= 2 else None


def ecarts(themes):
    """[(points, service, share before, share after)] of the services whose rounded share
    differs between the span's first and last years with fiches."""
    limites = bornes(themes)
    if limites is None:
        return []
    debut, fin = limites
    resultat = []
    for service in themes.services:
        avant, apres = themes.part(service, debut), themes.part(service, fin)
        if round(avant) != round(apres):
            resultat.append((apres - avant, service, avant, apres))
    return resultat


def tendances(themes, choix, regions=None, departements=None, nombre=NOMBRE):
    """([(sentence, service)] of the rising themes, [...] of the falling ones), largest change
    first."""
    limites = bornes(themes)
    if limites is None:
        return [], []
    debut, fin = limites
    qui = des_fiches(choix, regions, departements)
    liste = ecarts(themes)
    hausses = sorted((e for e in liste if e[0] > 0), key=lambda e: (-e[0], e[1].nom))[:nombre]
    baisses = sorted((e for e in liste if e[0] < 0), key=lambda e: (e[0], e[1].nom))[:nombre]

    def phrase(ecart):
        _points, service, avant, apres = ecart
        return _(
            "Le thème « %(theme)s » passe de %(avant)s à %(apres)s %(des_fiches)s entre %(debut)s et %(fin)s."
        ) % {
            "theme": service.nom,
            "avant": pourcent(avant),
            "apres": pourcent(apres),
            "des_fiches": qui,
            "debut": debut,
            "fin": fin,
        }

    return [(phrase(e), e[1]) for e in hausses], [(phrase(e), e[1]) for e in baisses]
