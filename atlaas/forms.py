from itertools import groupby

from django import forms
from django.core.exceptions import ValidationError
from django.core.validators import RegexValidator, URLValidator
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from .catalogue.facettes import FACETTES, STRATES, TYPES
from .catalogue.recherche import TRIS
from .catalogue.requete import MAX_QUERY_LENGTH
from .models import (
    Categorie,
    Collectivite,
    ContactFiche,
    Departement,
    Enjeu,
    FicheAction,
    Invitation,
    Membership,
    Region,
    Service,
)
from .search import MIN_LENGTH
from .typographie import de_personne
from .uploads import check_upload, upload_help

# --- Membres ------------------------------------------------------------------------------------

ROLE_HELP = _(
    "Le référent dépose la candidature, approuve les demandes et invite ses collègues ; "
    "le contributeur rédige les fiches actions et le dossier."
)


class RechercheCollectiviteForm(forms.Form):
    q = forms.CharField(
        label=_("Nom, code INSEE, SIREN ou code postal"),
        min_length=2,
        max_length=100,
        help_text=_("Par exemple : Saint-Étienne-du-Rouvray, 76575 ou 76800."),
    )


class DemandeAdhesionForm(forms.Form):
    collectivite = forms.ModelChoiceField(
        queryset=Collectivite.objects.actives(),
        to_field_name="code",
        widget=forms.HiddenInput,
        error_messages={"invalid_choice": _("Cette collectivité n'est pas dans le référentiel.")},
    )
    role = forms.ChoiceField(
        label=_("Rôle demandé"),
        choices=Membership.Role.choices,
        initial=Membership.Role.CONTRIBUTEUR,
        widget=forms.RadioSelect,
        help_text=ROLE_HELP,
    )
    fonction = forms.CharField(
        label=_("Votre fonction"),
        max_length=150,
        required=False,
        help_text=_("Par exemple : chargée de mission numérique, adjoint au maire."),
    )
    message = forms.CharField(
        label=_("Message aux personnes qui examinent la demande"),
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class InvitationForm(forms.Form):
    email = forms.EmailField(label=_("Adresse e-mail de votre collègue"), max_length=254)
    role = forms.ChoiceField(
        label=_("Rôle"),
        choices=Membership.Role.choices,
        initial=Membership.Role.CONTRIBUTEUR,
        widget=forms.RadioSelect,
        help_text=ROLE_HELP,
    )

    def __init__(self, *args, collectivite, **kwargs):
        super().__init__(*args, **kwargs)
        self.collectivite = collectivite

    def clean_email(self):
        email = self.cleaned_data["email"].strip().lower()
        members = Membership.objects.filter(
            collectivite=self.collectivite, user__email__iexact=email, state=Membership.State.ACTIVE
        )
        if members.exists():
            raise forms.ValidationError(_("Cette personne est déjà membre de la collectivité."))
        pending = Invitation.objects.filter(
            collectivite=self.collectivite,
            email__iexact=email,
            accepted_at__isnull=True,
            expires_at__gt=timezone.now(),
        )
        if pending.exists():
            raise forms.ValidationError(
                _(
                    "Une invitation est déjà en attente pour cette adresse : "
                    "annulez-la pour en envoyer une autre."
                )
            )
        return email


class RoleForm(forms.Form):
    """Change the role of one member; one form per row of the members table."""

    role = forms.ChoiceField(
        label=_("Rôle"), choices=Membership.Role.choices, template_name="atlaas/membres/_role_field.html"
    )

    def __init__(self, *args, membership=None, **kwargs):
        if membership is not None:
            kwargs.setdefault("initial", {"role": membership.role})
            kwargs.setdefault("auto_id", f"id_role_{membership.pk}_%s")
        super().__init__(*args, **kwargs)
        if membership is not None:
            self.fields["role"].label = _("Rôle %(de_nom)s") % {"de_nom": de_personne(membership.user)}


# --- Fiches ---------------------------------------------------------------------------------------


class ServicesWidget(forms.CheckboxSelectMultiple):
    """Native checkboxes grouped by catégorie (a fieldset each) and enjeu (a group each): the
    keyboard moves with Tab and ticks with Space, no JavaScript needed."""

    template_name = "atlaas/fiches/services_widget.html"
    services = ()

    def get_context(self, name, value, attrs):
        context = forms.Widget.get_context(self, name, value, attrs)  # no optgroups: one query less
        checked = set(context["widget"]["value"])
        base_id = context["widget"]["attrs"].get("id", "id_" + name)
        categories = []
        for categorie, of_categorie in groupby(self.services, key=lambda s: s.enjeu.categorie):
            enjeux = []
            for enjeu, of_enjeu in groupby(of_categorie, key=lambda s: s.enjeu):
                options = [
                    {
                        "id": f"{base_id}_{service.pk}",
                        "value": service.pk,
                        "label": service.nom,
                        "checked": str(service.pk) in checked,
                    }
                    for service in of_enjeu
                ]
                enjeux.append({"enjeu": enjeu, "id": f"{base_id}_enjeu_{enjeu.pk}", "options": options})
            categories.append({"categorie": categorie, "enjeux": enjeux})
        context["widget"]["categories"] = categories
        context["widget"]["invalid"] = context["widget"]["attrs"].get("aria-invalid") == "true"
        return context


def services_offered(fiche=None):
    """Active services in the order of the taxonomy, plus those the fiche already has."""
    condition = Q(actif=True)
    if fiche is not None and fiche.pk:
        condition |= Q(fiches=fiche)
    return (
        Service.objects.filter(condition)
        .distinct()
        .select_related("enjeu__categorie")
        .order_by(
            "enjeu__categorie__ordre", "enjeu__categorie__nom", "enjeu__ordre", "enjeu__nom", "ordre", "nom"
        )
    )


class FicheForm(forms.ModelForm):
    """The content of a fiche action (FicheAction.CONTENT_FIELDS) and its services."""

    services = forms.ModelMultipleChoiceField(
        label=_("Services"),
        queryset=Service.objects.none(),
        widget=ServicesWidget,
        help_text=_("Cochez au moins un service du référentiel, rangés par catégorie puis par enjeu."),
        error_messages={
            "required": _("Choisissez au moins un service."),
            "invalid_choice": _("Ce service n'est plus proposé : choisissez-en un autre."),
            "invalid_pk_value": _("Ce service n'est plus proposé : choisissez-en un autre."),
        },
    )

    class Meta:
        model = FicheAction
        fields = [
            "titre",
            "sous_titre",
            "description",
            "synthese",
            "resultats",
            "recommandations",
            "services",
            "date_debut",
            "en_cours",
            "date_fin",
            "public_cible",
            "budget",
            "outils",
            "partenaires",
            "liens",
        ]
        labels = {
            "sous_titre": _("Résumé court"),
            "description": _("Ce qui a été fait"),
            "date_debut": _("Date de début"),
            "en_cours": _("L'action est toujours en cours"),
            "date_fin": _("Date de fin"),
            "budget": _("Budget (euros)"),
        }
        help_texts = {
            "sous_titre": _("Une phrase qui résume l'action."),
            "date_fin": _("Facultative si l'action est toujours en cours."),
            "liens": _("Une adresse par ligne, commençant par https:// ou http://."),
            "outils": _("Logiciels, plateformes, matériels."),
        }
        widgets = {
            "date_debut": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "date_fin": forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
            "synthese": forms.Textarea(attrs={"rows": 4}),
            "outils": forms.Textarea(attrs={"rows": 3}),
            "partenaires": forms.Textarea(attrs={"rows": 3}),
            "liens": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        services = services_offered(self.instance)
        self.fields["services"].queryset = services
        self.fields["services"].widget.services = list(services)
        self.fields["date_fin"].required = False
        self.fields["en_cours"].label_suffix = ""
        for field in self.fields.values():
            # Too long a text is refused with a message, never cut by the browser without a word.
            field.widget.attrs.pop("maxlength", None)

    def clean_liens(self):
        lines = [line.strip() for line in self.cleaned_data["liens"].splitlines()]
        validate = URLValidator(schemes=["http", "https"])
        for number, line in enumerate(lines, start=1):
            if not line:
                continue
            try:
                validate(line)
            except ValidationError:
                raise ValidationError(
                    _(
                        "Ligne %(numero)s : « %(ligne)s » n'est pas une adresse web valide "
                        "(elle doit commencer par https:// ou http://)."
                    ),
                    code="invalid_url",
                    params={"numero": number, "ligne": line if len(line) <= 80 else line[:79] + "…"},
                ) from None
        return "\n".join(line for line in lines if line)

    def clean(self):
        cleaned = super().clean()
        debut, fin = cleaned.get("date_debut"), cleaned.get("date_fin")
        if debut and fin and fin < debut:
            self.add_error("date_fin", _("La date de fin ne peut pas précéder la date de début."))
        elif not fin and not cleaned.get("en_cours") and "date_fin" not in self.errors:
            self.add_error("date_fin", _("Indiquez la date de fin ou cochez « en cours »."))
        return cleaned


CONTACT_FIELDS = ("nom", "fonction", "email")


class ContactForm(forms.ModelForm):
    class Meta:
        model = ContactFiche
        fields = list(CONTACT_FIELDS)  # the inline formset appends the foreign key to this list


class BaseContactFormSet(forms.BaseInlineFormSet):
    def clean(self):
        super().clean()
        if any(self.errors):
            return
        if not self.contacts():
            raise ValidationError(
                _("Indiquez au moins un contact : son nom et son adresse e-mail."), code="no_contact"
            )

    def contacts(self):
        """The contacts kept, as dictionaries (nom, fonction, email)."""
        return [
            {name: form.cleaned_data[name] for name in CONTACT_FIELDS}
            for form in self.forms
            if form.cleaned_data and not self._should_delete_form(form)
        ]


ContactFormSet = forms.inlineformset_factory(
    FicheAction,
    ContactFiche,
    form=ContactForm,
    formset=BaseContactFormSet,
    extra=1,
    max_num=20,
    validate_max=True,
    can_delete=True,
)


class FichierForm(forms.Form):
    """A photo (PNG, JPEG, WebP) or a PDF added to a fiche, checked by its content."""

    fichier = forms.FileField(
        label=_("Photo ou document PDF"),
        widget=forms.FileInput(attrs={"accept": "image/png,image/jpeg,image/webp,application/pdf"}),
    )
    legende = forms.CharField(label=_("Légende"), max_length=200, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["fichier"].help_text = upload_help()

    def clean_fichier(self):
        """The file to store: a photo re-encoded without its metadata, a PDF as sent."""
        self.content_type, self.extension, stored = check_upload(self.cleaned_data["fichier"])
        return stored


class FicheFiltreForm(forms.Form):
    MODIFICATION = "modification"

    etat = forms.ChoiceField(
        label=_("État"),
        required=False,
        choices=[
            ("", _("Tous les états")),
            *FicheAction.State.choices,
            (MODIFICATION, _("Modification en attente")),
        ],
    )


class RenvoiForm(forms.Form):
    """Staff send fiches back to their collectivité with a message."""

    message = forms.CharField(
        label=_("Message à la collectivité"),
        max_length=5000,
        widget=forms.Textarea(attrs={"rows": 6}),
        help_text=_("Ce qu'il faut corriger ; le message est envoyé par e-mail aux membres."),
        error_messages={"required": _("Écrivez ce qu'il faut corriger.")},
    )


# --- Catalogue ------------------------------------------------------------------------------------


class RechercheForm(forms.Form):
    """The catalogue's query string. Invalid values are ignored by the page and refused by the API."""

    q = forms.CharField(label=_("Rechercher"), required=False)
    categorie = forms.ModelChoiceField(Categorie.objects.all(), to_field_name="slug", required=False)
    enjeu = forms.ModelChoiceField(Enjeu.objects.all(), to_field_name="slug", required=False)
    service = forms.ModelChoiceField(Service.objects.all(), to_field_name="slug", required=False)
    type = forms.ChoiceField(choices=TYPES.items(), required=False)
    region = forms.ModelChoiceField(Region.objects.all(), to_field_name="code", required=False)
    departement = forms.ModelChoiceField(Departement.objects.all(), to_field_name="code", required=False)
    strate = forms.ChoiceField(choices=[(k, v[0]) for k, v in STRATES.items()], required=False)
    niveau = forms.TypedChoiceField(
        choices=[(str(n), "@" * n) for n in range(1, 6)], coerce=int, required=False, empty_value=None
    )
    annee = forms.IntegerField(min_value=1990, max_value=2100, required=False)
    collectivite = forms.ModelChoiceField(Collectivite.objects.all(), to_field_name="code", required=False)
    tri = forms.ChoiceField(choices=TRIS.items(), required=False)
    page = forms.IntegerField(min_value=1, required=False)

    FACETTES = FACETTES  # the facets of the query string, from catalogue.facettes

    def clean_q(self):
        text = "".join(c if c.isprintable() else " " for c in self.cleaned_data["q"])
        return " ".join(text.split())[:MAX_QUERY_LENGTH]

    def filtres(self):
        """The valid part of the query string (call after ``is_valid()``)."""
        data = getattr(self, "cleaned_data", {})
        return {name: value for name, value in data.items() if value not in (None, "")}


# --- API ------------------------------------------------------------------------------------------

PAR_PAGE_MAX = 100
MAX_LONGUEUR_Q = 200  # the collectivités' search
# An INSEE code (2A and 2B for Corsica) or a SIREN: what a collectivité's code can be.
CODE_COLLECTIVITE = r"[0-9][0-9AB][0-9]{3}|[0-9]{9}"


def _champ_par_page():
    return forms.IntegerField(min_value=1, max_value=PAR_PAGE_MAX, required=False)


def _champ_code():
    """A collectivité's code, kept as typed (the document's pattern is checked on what was sent)."""
    return forms.CharField(
        required=False,
        strip=False,
        validators=[
            RegexValidator(
                f"^(?:{CODE_COLLECTIVITE})?$",  # empty: not checked, but the document says so
                _("Saisissez un code INSEE (5 caractères) ou un SIREN (9 chiffres)."),
            )
        ],
    )


class FichesForm(RechercheForm):
    """The catalogue's query string, plus the size of a page. The collectivité is looked up by
    the view: a well-formed code that no collectivité has is a 404, like its own address."""

    collectivite = _champ_code()
    par_page = _champ_par_page()


class CollectivitesForm(forms.Form):
    # Not stripped: the lengths the document gives are those of what was sent (the search
    # itself ignores the spaces around the words).
    q = forms.CharField(min_length=MIN_LENGTH, max_length=MAX_LONGUEUR_Q, required=False, strip=False)
    type = forms.ChoiceField(choices=TYPES.items(), required=False)
    departement = forms.ModelChoiceField(Departement.objects.all(), to_field_name="code", required=False)
    region = forms.ModelChoiceField(Region.objects.all(), to_field_name="code", required=False)
    niveau = forms.TypedChoiceField(
        choices=[(str(n), "@" * n) for n in range(1, 6)], coerce=int, required=False, empty_value=None
    )
    page = forms.IntegerField(min_value=1, required=False)
    par_page = _champ_par_page()
