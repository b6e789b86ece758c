"""Forms of a candidature's dossier: the edition's questionnaire, the selection of fiches, the
attachments; and the filters of the public palmarès."""

from decimal import Decimal, InvalidOperation

from django import forms
from django.conf import settings
from django.core.exceptions import ValidationError
from django.template.defaultfilters import filesizeformat
from django.urls import reverse
from django.utils.html import format_html, linebreaks
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from atlaas import catalogue
from atlaas.champs import DepartementField
from atlaas.francais import sans_accents
from atlaas.uploads import ALL_TYPES, check_upload, upload_help

from .models import Question, TypeCandidature
from .palmares.filtres import PAR, Q_MAX, niveau_lu

ACCEPT = "application/pdf,image/png,image/jpeg,image/webp"
YES_NO = [("oui", gettext_lazy("Oui")), ("non", gettext_lazy("Non"))]
RADIO_MAX_CHOICES = 5
# The longest answer of a short text: one line of the form. An answer allowed more (a long text,
# 20,000 characters) is typed in a text area, higher for the longest.
SHORT_TEXT_MAX = 300
LONG_TEXT_MAX = 20_000
NON_APPLICABLES = "filtres-non-applicables"  # id of the palmarès' notice on its disabled filters


class Draft:
    """A field that shows whether its question is required but lets a draft stay incomplete:
    required answers are checked when the candidature is filed, not at each save."""

    def validate(self, value):
        if value in self.empty_values:
            return
        super().validate(value)


class DraftCharField(Draft, forms.CharField):
    pass


class DraftDecimalField(Draft, forms.DecimalField):
    def to_python(self, value):
        # "1 200,50" as typed in French: spaces (plain, non-breaking, narrow) group the digits.
        if isinstance(value, str):
            value = "".join(value.split()).replace("\u202f", "")
        return super().to_python(value)


class DraftChoiceField(Draft, forms.ChoiceField):
    pass


class DraftFileField(Draft, forms.FileField):
    pass


def field_name(question):
    return f"q_{question.pk}"


def text_field(max_length, **common):
    """A text answer: a line when it is short, a text area when it may run over several lines."""
    if max_length <= SHORT_TEXT_MAX:
        return DraftCharField(max_length=max_length, **common)
    rows = 4 if max_length <= 2000 else 8
    return DraftCharField(max_length=max_length, widget=forms.Textarea(attrs={"rows": rows}), **common)


def question_field(question):
    """The form field of one question of the questionnaire."""
    common = {"label": question.libelle, "required": question.required}
    if question.aide:
        common["help_text"] = mark_safe(linebreaks(question.aide, autoescape=True))  # escaped first
    kind = question.kind
    if kind == Question.Kind.LONG_TEXT:
        field = text_field(LONG_TEXT_MAX, **common)
    elif kind == Question.Kind.NUMBER:
        field = DraftDecimalField(
            max_digits=15,
            decimal_places=2,
            localize=True,
            widget=forms.TextInput(attrs={"inputmode": "decimal"}),
            **common,
        )
    elif kind == Question.Kind.YES_NO:
        field = DraftChoiceField(choices=YES_NO, widget=forms.RadioSelect, **common)
    elif kind == Question.Kind.CHOICE:
        options = [(choice, choice) for choice in question.choice_list()]
        if len(options) <= RADIO_MAX_CHOICES:
            field = DraftChoiceField(choices=options, widget=forms.RadioSelect, **common)
        else:
            field = DraftChoiceField(choices=[("", _("— Choisir —")), *options], **common)
    elif kind == Question.Kind.FILE:
        common["help_text"] = format_html("{}<p>{}</p>", common.get("help_text", ""), upload_help())
        field = DraftFileField(widget=forms.FileInput(attrs={"accept": ACCEPT}), **common)
    else:
        field = text_field(SHORT_TEXT_MAX, **common)
    # Too long an answer is refused with a message, never cut by the browser without a word.
    field.widget.attrs.pop("maxlength", None)
    field.question = question
    return field


def initial_value(question, stored):
    if question.kind == Question.Kind.NUMBER:
        try:
            return Decimal(stored)
        except (InvalidOperation, TypeError):
            return None
    return stored


def stored_value(question, value):
    """The text stored in ``Reponse.valeur`` for a cleaned value."""
    if value in (None, ""):
        return ""
    if question.kind == Question.Kind.NUMBER:
        return format(value.normalize(), "f")
    return str(value)


class QuestionnaireForm(forms.Form):
    """All the questions of the candidature's sections as one form. ``version`` is the
    candidature's version the page was made from (optimistic locking)."""

    use_required_attribute = False  # a draft may be saved incomplete
    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)

    def __init__(
        self,
        *args,
        sections,
        answers,
        version,
        include_files=True,
        current_files=None,
        candidature=None,
        used_bytes=0,
        **kwargs,
    ):
        initial = {"version": version}
        for section in sections:
            for question in section.questions.all():
                if question.pk in answers and question.kind != Question.Kind.FILE:
                    initial[field_name(question)] = initial_value(question, answers[question.pk])
        super().__init__(*args, initial=initial, **kwargs)
        self.used_bytes = used_bytes
        self.sections = []
        current_files = current_files or {}
        for section in sections:
            names = []
            for question in section.questions.all():
                if question.kind == Question.Kind.FILE and not include_files:
                    continue
                field = question_field(question)
                piece = current_files.get(question.pk)
                if piece is not None and candidature is not None:
                    current = format_html(
                        '{} <a href="{}">{}</a> — {}',
                        _("Fichier actuel :"),
                        reverse("label:piece", args=[candidature.pk, piece.pk]),
                        piece.nom,
                        _("en choisir un autre le remplace."),
                    )
                    field.help_text = format_html("{}<p>{}</p>", field.help_text, current)
                self.fields[field_name(question)] = field
                names.append(field_name(question))
            self.sections.append((section, names))

    def section_fields(self):
        """[(section, [bound fields])] in the questionnaire's order, for the template."""
        return [(section, [self[name] for name in names]) for section, names in self.sections if names]

    def file_field_names(self):
        return [name for name, field in self.fields.items() if isinstance(field, forms.FileField)]

    def clean(self):
        cleaned = super().clean()
        new_bytes = 0
        for name in self.file_field_names():
            uploaded = cleaned.get(name)
            if not uploaded:
                continue
            try:
                content_type, extension, stored = check_upload(uploaded, allowed=ALL_TYPES)
                check_dossier_room(self.used_bytes + new_bytes, stored.size)
            except ValidationError as error:
                self.add_error(name, error)
                continue
            new_bytes += stored.size
            cleaned[name] = (stored, content_type, extension)
        return cleaned

    def answers(self):
        """{question id: stored text} of the valid, non-file fields: a draft keeps what is right
        even when another field needs correcting."""
        cleaned = getattr(self, "cleaned_data", {})
        return {
            field.question.pk: stored_value(field.question, cleaned[name])
            for name, field in self.fields.items()
            if hasattr(field, "question") and not isinstance(field, forms.FileField) and name in cleaned
        }

    def uploads(self):
        """{question id: (file, content type, extension)} of the valid new files."""
        cleaned = getattr(self, "cleaned_data", {})
        return {
            self.fields[name].question.pk: cleaned[name]
            for name in self.file_field_names()
            if isinstance(cleaned.get(name), tuple)
        }


def check_dossier_room(used, size):
    """Raise a French ValidationError when a new file would take the dossier over its limit."""
    limit = settings.UPLOAD_MAX_DOSSIER_BYTES
    if used + size > limit:
        raise ValidationError(
            _(
                "Ce fichier dépasserait la limite de %(max)s pour l'ensemble des pièces du dossier "
                "(%(used)s déjà utilisés)."
            )
            % {"max": filesizeformat(limit), "used": filesizeformat(used)}
        )


class FichesForm(forms.Form):
    """The selection of fiches: only the collectivité's eligible fiches can be chosen."""

    version = forms.IntegerField(widget=forms.HiddenInput, min_value=1)
    fiches = forms.TypedMultipleChoiceField(
        label=gettext_lazy("Fiches retenues"),
        coerce=int,
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(self, *args, eligible, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fiches"].choices = [(fiche.pk, fiche.titre) for fiche in eligible]


class PieceForm(forms.Form):
    fichier = forms.FileField(
        label=gettext_lazy("Fichier"),
        widget=forms.FileInput(attrs={"accept": ACCEPT}),
    )
    description = forms.CharField(
        label=gettext_lazy("Description"),
        max_length=200,
        required=False,
        help_text=gettext_lazy("Par exemple : délibération du conseil municipal du 12 mars."),
    )

    def __init__(self, *args, used_bytes=0, **kwargs):
        super().__init__(*args, **kwargs)
        self.used_bytes = used_bytes
        self.fields["fichier"].help_text = upload_help()
        self.fields["description"].widget.attrs.pop("maxlength", None)

    def clean_fichier(self):
        """The file to store: an image re-encoded without its metadata, a PDF as sent."""
        content_type, extension, stored = check_upload(self.cleaned_data["fichier"], allowed=ALL_TYPES)
        check_dossier_room(self.used_bytes, stored.size)
        self.checked = (content_type, extension)
        return stored


class FiltresForm(forms.Form):
    """The palmarès' query string. An unknown value is shown as an error and ignored. On a year
    of imported history type and population are not known: their filters are disabled, described
    by the notice whose id is ``NON_APPLICABLES``, and what the query string says of them is
    ignored."""

    niveau = forms.TypedChoiceField(
        label=gettext_lazy("Niveau"), coerce=int, required=False, empty_value=None
    )
    region = forms.ChoiceField(label=gettext_lazy("Région"), required=False)
    departement = DepartementField()
    type = forms.ChoiceField(label=gettext_lazy("Type"), required=False)
    strate = forms.ChoiceField(label=gettext_lazy("Population"), required=False)
    q = forms.CharField(label=gettext_lazy("Nom de la collectivité"), required=False)
    par = forms.ChoiceField(
        label=gettext_lazy("Regrouper par"), choices=PAR.items(), required=False, widget=forms.RadioSelect
    )

    def __init__(self, data, palmares):
        data = data.copy()
        data.setdefault("par", "niveau")
        super().__init__(data)
        tous = [("", pgettext_lazy("filtre", "Tous"))]
        toutes = [("", pgettext_lazy("filtre", "Toutes"))]
        laureats = palmares.laureats
        self.fields["niveau"].choices = tous + [(n, niveau_lu(n)) for n in range(5, 0, -1)]
        regions = {x.region_code: x.region for x in laureats if x.region_code}
        self.fields["region"].choices = toutes + sorted(regions.items(), key=lambda c: sans_accents(c[1]))
        if palmares.historique:  # type and population of that year are not known: shown, disabled
            for nom, choix in (("type", tous), ("strate", toutes)):
                self.fields[nom].choices = choix
                self.fields[nom].disabled = True
                self.fields[nom].widget.attrs["aria-describedby"] = NON_APPLICABLES
        else:
            self.fields["type"].choices = tous + list(TypeCandidature.choices)
            self.fields["strate"].choices = toutes + [(k, v[0]) for k, v in catalogue.STRATES.items()]

    def clean_q(self):
        return " ".join(self.cleaned_data["q"].split())[:Q_MAX]

    def filtres(self):
        """The valid filters that are set."""
        self.is_valid()
        return {nom: valeur for nom, valeur in self.cleaned_data.items() if valeur not in (None, "")}

    @property
    def actifs(self):
        return any(nom != "par" for nom in self.filtres())
