"""Conflicts of interest between jurors and dossiers: detected, and declared by the juror.

A juror is in conflict with a collectivité when
- they are a member (any state) of it, of its EPCI, or of one of its member communes;
- it lies in their home département, or in a département they declared;
- they declared it, its EPCI, or one of its member communes.
A conflicted juror is never assigned the dossier and gets 404 on it.
"""

from collections import defaultdict

from django.utils.translation import gettext as _

from atlaas.models import Collectivite, Membership
from label.models import Candidature

from .models import ConflitDeclare


def _communes_membres(collectivites):
    """{epci_id: {commune ids}} for the territoires among ``collectivites``: one query."""
    epcis = [c.pk for c in collectivites if c.nature == Collectivite.Nature.EPCI]
    membres = defaultdict(set)
    if epcis:
        for pk, epci_id in Collectivite.objects.filter(epci_id__in=epcis).values_list("pk", "epci_id"):
            membres[epci_id].add(pk)
    return membres


def _proches(collectivite, membres):
    """The collectivité, its EPCI and its member communes: a link with any of them conflicts."""
    return {collectivite.pk, collectivite.epci_id, *membres.get(collectivite.pk, ())} - {None}


def conflits(jures, candidatures):
    """{jure id: {candidature id: reason}} for the given jurors and candidatures: four queries."""
    jures = list(jures)
    candidatures = list(candidatures)
    membres = _communes_membres([c.collectivite for c in candidatures])
    adhesions = defaultdict(set)
    for user_id, collectivite_id in Membership.objects.filter(
        user_id__in=[j.user_id for j in jures if j.user_id]
    ).values_list("user_id", "collectivite_id"):
        adhesions[user_id].add(collectivite_id)
    declares_c, declares_d = defaultdict(dict), defaultdict(dict)
    for conflit in ConflitDeclare.objects.filter(jure__in=jures):
        if conflit.collectivite_id:
            declares_c[conflit.jure_id][conflit.collectivite_id] = conflit.motif
        else:
            declares_d[conflit.jure_id][conflit.departement_id] = conflit.motif
    result = {}
    for jure in jures:
        found = {}
        for candidature in candidatures:
            collectivite = candidature.collectivite
            proches = _proches(collectivite, membres)
            reason = None
            if proches & adhesions.get(jure.user_id, set()):
                reason = _("membre de la collectivité ou d'une collectivité liée")
            elif jure.departement_id and jure.departement_id == collectivite.departement_id:
                reason = _("département de résidence")
            elif declared := proches & declares_c[jure.pk].keys():
                reason = _("déclaré : %(motif)s") % {"motif": declares_c[jure.pk][min(declared)]}
            elif collectivite.departement_id in declares_d[jure.pk]:
                reason = _("déclaré : %(motif)s") % {
                    "motif": declares_d[jure.pk][collectivite.departement_id]
                }
            if reason:
                found[candidature.pk] = reason
        result[jure.pk] = found
    return result


def candidatures_a_evaluer(edition):
    """The submitted candidatures of the edition, with what conflicts need."""
    return Candidature.objects.filter(edition=edition, state=Candidature.State.DEPOSEE).select_related(
        "collectivite"
    )


def raison(jure, candidature):
    """Why the juror is in conflict with this candidature, or None."""
    return conflits([jure], [candidature])[jure.pk].get(candidature.pk)
