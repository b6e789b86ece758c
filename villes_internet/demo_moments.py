"""The moment of the year the demo shows: the open edition's calendar set around today so that
one step of the label is live (``manage.py demo --moment``).

- ``candidatures``: applications open, closing in three weeks (the default);
- ``jury``: applications closed a week ago, the jurors scoring, their meeting in two weeks;
- ``deliberation``: every dossier scored, the deliberation open today: the president decides;
- ``palmares``: the deliberation closed a week ago, every dossier decided, the palmarès one
  click away for the staff (not published).

The jury's side of each moment (scores, phase, results) is ``demo_jury.build_evaluations``.
"""

import datetime
from dataclasses import dataclass
from zoneinfo import ZoneInfo

CANDIDATURES, JURY, DELIBERATION, PALMARES = "candidatures", "jury", "deliberation", "palmares"
MOMENTS = (CANDIDATURES, JURY, DELIBERATION, PALMARES)
PARIS = ZoneInfo("Europe/Paris")

# Days from today to the closing of applications, and to the jury meeting.
_DECALAGES = {
    CANDIDATURES: (21, 41),
    JURY: (-7, 14),
    DELIBERATION: (-21, 0),
    PALMARES: (-35, -7),
}


@dataclass(frozen=True)
class Calendrier:
    cloture: datetime.datetime
    jury_date: datetime.date

    @property
    def ouverture(self):
        return self.cloture - datetime.timedelta(days=260)


def calendrier(moment, today):
    """The open edition's closing (18:00, Paris) and jury meeting for ``moment``."""
    cloture, jury = _DECALAGES[moment]
    return Calendrier(
        cloture=datetime.datetime.combine(
            today + datetime.timedelta(days=cloture), datetime.time(18), tzinfo=PARIS
        ),
        jury_date=today + datetime.timedelta(days=jury),
    )


def description(moment, edition):
    """One line for the command's output: what can be tried at this moment."""
    cloture = f"{edition.cloture.astimezone(PARIS):%d/%m/%Y à %H:%M}"
    return {
        CANDIDATURES: f"candidatures ouvertes jusqu'au {cloture}",
        JURY: (
            f"candidatures closes le {cloture}, évaluations du jury en cours, "
            f"réunion du jury le {edition.jury_date:%d/%m/%Y}"
        ),
        DELIBERATION: "dossiers tous notés, délibération ouverte\u00a0: le président du jury décide",
        PALMARES: (
            "délibération close, palmarès à publier par l'équipe (administration, Éditions, "
            "action «\u00a0Publier le palmarès maintenant\u00a0»)"
        ),
    }[moment]
