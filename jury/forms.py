from itertools import groupby

from django import forms
from django.utils.html import format_html
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from atlaas.models import Collectivite, Departement, Enjeu
from atlaas.search import filtrer_collectivites
from label.models import TypeCandidature

from .evaluation import TEXTE_MAX
from .models import ConflitDeclare, Evaluation, Jure

# --- Evaluation -----------------------------------------------------------------------------
# A juror's evaluation form, one score and comment per criterion of the grid, and the filters of
# the juror's dashboard.

RADIO_MAX_ECHELLE = 10  # up to 0..10, a radio group (arrow keys); beyond, a number field


def score_name(critere):
    return f"score_{critere.pk}"


def commentaire_name(critere):
    return f"commentaire_{critere.pk}"


def _texte(label, help_text=""):
    field = forms.CharField(
        label=label,
        help_text=help_text,
        required=False,
        max_length=TEXTE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    field.widget.attrs.pop("maxlength", None)  # too long is refused with a message, not cut silently
    return field


class DraftIntegerField(forms.IntegerField):
    """Needed to submit the evaluation (so not marked « facultatif »), but a draft may leave it
    empty: completeness is checked on submission."""

    def validate(self, value):
        if value in self.empty_values:
            return
        super().validate(value)


def score_field(critere):
    message = _("La note doit être un nombre entier de 0 à %(max)s.") % {"max": critere.echelle}
    if critere.echelle <= RADIO_MAX_ECHELLE:
        widget = forms.RadioSelect(choices=[(n, str(n)) for n in range(critere.echelle + 1)])
    else:
        widget = forms.NumberInput(attrs={"inputmode": "numeric", "class": "score-nombre"})
    return DraftIntegerField(
        label=_("Note sur %(max)s") % {"max": critere.echelle},
        min_value=0,
        max_value=critere.echelle,
        widget=widget,
        error_messages={"invalid": message, "min_value": message, "max_value": message},
    )


def niveau_choices():
    return [
        (
            n,
            format_html(
                '<span aria-hidden="true">{}</span> {}', "@" * n, ngettext("%d arobase", "%d arobases", n) % n
            ),
        )
        for n in range(1, 6)
    ]


class EvaluationForm(forms.Form):
    """The evaluation of one dossier. ``version`` is the evaluation's version the page was made
    from (optimistic locking); a draft may be saved incomplete."""

    use_required_attribute = False
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(self, *args, evaluation, criteres, mentions, notes, **kwargs):
        initial = {
            "version": evaluation.version,
            "niveau_propose": evaluation.niveau_propose,
            "commentaire_collectivite": evaluation.commentaire_collectivite,
            "note_jury": evaluation.note_jury,
        }
        if evaluation.pk:
            initial["mentions_proposees"] = [m.pk for m in evaluation.mentions_proposees.all()]
        for critere in criteres:
            note = notes.get(critere.pk)
            if note is not None:
                initial[score_name(critere)] = note.score
                initial[commentaire_name(critere)] = note.commentaire
        super().__init__(*args, initial=initial, **kwargs)
        self.criteres = criteres
        for critere in criteres:
            self.fields[score_name(critere)] = score_field(critere)
            self.fields[commentaire_name(critere)] = _texte(_("Commentaire sur ce critère"))
        message = _("Le niveau proposé doit être compris entre 1@ et 5@.")
        self.fields["niveau_propose"] = DraftIntegerField(
            label=_("Niveau proposé"),
            help_text=_(
                "L'amplitude de la politique numérique sur l'ensemble des enjeux ; "
                "chaque participant obtient au moins 1@."
            ),
            min_value=1,
            max_value=5,
            widget=forms.RadioSelect(choices=niveau_choices()),
            error_messages={"invalid": message, "min_value": message, "max_value": message},
        )
        self.fields["mentions_proposees"] = forms.ModelMultipleChoiceField(
            label=_("Mentions proposées"),
            queryset=mentions,
            required=False,
            widget=forms.CheckboxSelectMultiple,
            error_messages={
                "invalid_choice": _("Seules les mentions de cette édition peuvent être proposées."),
                "invalid_pk_value": _("Seules les mentions de cette édition peuvent être proposées."),
            },
        )
        self.fields["commentaire_collectivite"] = _texte(
            _("Commentaire pour la collectivité"),
            _("Transmis à la collectivité après la publication du palmarès, sans votre nom."),
        )
        self.fields["note_jury"] = _texte(_("Note pour le jury"), _("Lue par le jury seulement."))

    def criteres_fields(self):
        """[(critere, score field, comment field)] in the grid's order, for the template."""
        return [(c, self[score_name(c)], self[commentaire_name(c)]) for c in self.criteres]

    def erreurs(self):
        """[(label, messages)] of the invalid fields, a criterion's fields named after it."""
        labels = {}
        for critere in self.criteres:
            for name in (score_name(critere), commentaire_name(critere)):
                labels[name] = f"{critere.libelle} : {self.fields[name].label}"
        return [
            (labels.get(name, self.fields[name].label), errors)
            for name, errors in self.errors.items()
            if name in self.fields
        ]

    def donnees(self):
        """What ``jury.evaluation.enregistrer`` takes, from a valid form."""
        cleaned = self.cleaned_data
        return {
            "notes": {
                critere.pk: {
                    "score": cleaned[score_name(critere)],
                    "commentaire": cleaned[commentaire_name(critere)],
                }
                for critere in self.criteres
            },
            "niveau_propose": cleaned["niveau_propose"],
            "mentions_proposees": [mention.pk for mention in cleaned["mentions_proposees"]],
            "commentaire_collectivite": cleaned["commentaire_collectivite"],
            "note_jury": cleaned["note_jury"],
        }


class FiltresForm(forms.Form):
    """The filters of the juror's dashboard (GET); an unknown value is ignored."""

    type = forms.ChoiceField(
        label=gettext_lazy("Type"),
        required=False,
        choices=[("", gettext_lazy("Tous")), *TypeCandidature.choices],
    )
    region = forms.ChoiceField(label=gettext_lazy("Région"), required=False)
    etat = forms.ChoiceField(
        label=gettext_lazy("État"),
        required=False,
        choices=[("", gettext_lazy("Tous")), *Evaluation.State.choices],
    )

    def __init__(self, *args, regions, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].choices = [("", _("Toutes"))] + [(r.code, r.nom) for r in regions]

    def valeurs(self):
        """The valid filters only: {name: value}."""
        self.is_valid()
        return {name: value for name, value in getattr(self, "cleaned_data", {}).items() if value}


# --- Profile and conflicts ------------------------------------------------------------------------
# A juror's profile (organisation, expertise, home département) and declared conflicts of interest.


class ProfilExpertisesWidget(forms.CheckboxSelectMultiple):
    """Native checkboxes, one fieldset per catégorie (no JavaScript)."""

    template_name = "jury/compte/_expertises_widget.html"
    enjeux = ()

    def get_context(self, name, value, attrs):
        context = forms.Widget.get_context(self, name, value, attrs)  # no optgroups: no query
        checked = {str(v) for v in context["widget"]["value"]}
        base_id = context["widget"]["attrs"].get("id", "id_" + name)
        context["widget"]["categories"] = [
            {
                "categorie": categorie,
                "options": [
                    {
                        "id": f"{base_id}_{enjeu.pk}",
                        "value": enjeu.pk,
                        "label": enjeu.nom,
                        "checked": str(enjeu.pk) in checked,
                    }
                    for enjeu in enjeux
                ],
            }
            for categorie, enjeux in groupby(self.enjeux, key=lambda e: e.categorie)
        ]
        context["widget"]["invalid"] = context["widget"]["attrs"].get("aria-invalid") == "true"
        return context


class ProfilForm(forms.ModelForm):
    """What a juror says of themselves: the president uses it to assign dossiers."""

    expertises = forms.ModelMultipleChoiceField(
        label=gettext_lazy("Domaines d'expertise"),
        queryset=Enjeu.objects.none(),
        required=False,
        widget=ProfilExpertisesWidget,
        help_text=gettext_lazy("Les enjeux du référentiel que vous connaissez le mieux."),
    )

    class Meta:
        model = Jure
        fields = ["organisation", "expertises", "departement"]
        help_texts = {
            "organisation": gettext_lazy("Université, association, entreprise…"),
            "departement": gettext_lazy(
                "Les dossiers des collectivités de ce département ne vous seront pas confiés."
            ),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        enjeux = Enjeu.objects.select_related("categorie").order_by(
            "categorie__ordre", "categorie__nom", "ordre", "nom"
        )
        self.fields["expertises"].queryset = enjeux
        self.fields["expertises"].widget.enjeux = list(enjeux)
        self.fields["departement"].empty_label = _("— Aucun —")
        for field in self.fields.values():
            field.widget.attrs.pop("maxlength", None)


class ConflitForm(forms.Form):
    """A conflict the juror declares: a collectivité (by code or exact name) or a département.
    One of the two is needed: their labels do not say « facultatif »."""

    template_name_label = "jury/compte/_label.html"

    collectivite = forms.CharField(
        label=gettext_lazy("Collectivité"),
        max_length=100,
        required=False,
        help_text=gettext_lazy(
            "Code INSEE d'une commune, SIREN d'une intercommunalité, ou son nom exact. "
            "Le conflit couvre aussi son intercommunalité et ses communes membres."
        ),
    )
    departement = forms.ModelChoiceField(
        label=gettext_lazy("Département entier"),
        queryset=Departement.objects.order_by("code"),
        required=False,
        empty_label=gettext_lazy("— Aucun —"),
    )
    motif = forms.CharField(
        label=gettext_lazy("Motif"),
        max_length=300,
        help_text=gettext_lazy("Par exemple : élu municipal, ancien agent, prestataire de la collectivité."),
        error_messages={"required": gettext_lazy("Indiquez le motif du conflit d'intérêts.")},
    )

    def __init__(self, *args, jure, **kwargs):
        super().__init__(*args, **kwargs)
        self.jure = jure
        for field in self.fields.values():
            field.widget.attrs.pop("maxlength", None)

    def clean_collectivite(self):
        query = self.cleaned_data["collectivite"].strip()
        if not query:
            return None
        base = Collectivite.objects.actives().select_related("departement")
        matches = filtrer_collectivites(base, query)
        if matches is None:
            raise forms.ValidationError(_("Tapez au moins deux caractères."))
        found = list(matches[:6])
        exact = [c for c in found if c.rank == 0]
        if len(exact) == 1:
            return exact[0]
        liste = ", ".join(f"{c}\u00a0: {c.code}" for c in (exact or found)[:5])
        if exact:
            raise forms.ValidationError(
                _("Plusieurs collectivités portent ce nom ; indiquez le code de la vôtre : %(liste)s.")
                % {"liste": liste}
            )
        if found:
            raise forms.ValidationError(
                _("Aucune collectivité ne correspond exactement ; indiquez le code de la vôtre : %(liste)s.")
                % {"liste": liste}
            )
        raise forms.ValidationError(_("Aucune collectivité du référentiel ne correspond."))

    def clean(self):
        cleaned = super().clean()
        collectivite, departement = cleaned.get("collectivite"), cleaned.get("departement")
        if "collectivite" in self.errors:
            return cleaned
        if collectivite and departement:
            raise forms.ValidationError(
                _("Indiquez une collectivité ou un département, pas les deux : un conflit à la fois.")
            )
        if not collectivite and not departement:
            self.add_error("collectivite", _("Indiquez une collectivité ou un département."))
            return cleaned
        declared = ConflitDeclare.objects.filter(
            jure=self.jure, collectivite=collectivite, departement=departement
        )
        if declared.exists():
            raise forms.ValidationError(
                _("Vous avez déjà déclaré un conflit avec %(objet)s.")
                % {"objet": collectivite or departement}
            )
        return cleaned

    def save(self):
        return ConflitDeclare.objects.create(
            jure=self.jure,
            collectivite=self.cleaned_data["collectivite"],
            departement=self.cleaned_data["departement"],
            motif=self.cleaned_data["motif"],
        )
