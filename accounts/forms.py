from django import forms

from .choices import JURISDICTION_GROUPS
from .models import User

CERTIFICATE_FIELDS = [
    "certificate_name",
    "credentials",
    "profession",
    "license_number",
    "license_jurisdiction",
    "no_license",
]


class CertificateProfileForm(forms.ModelForm):
    """The fields printed on a CE certificate, edited by the learner (account and sign-up).

    A license number goes with its jurisdiction; a learner who holds no license says so,
    and then neither is kept. The confirmation before the first certificate requires one
    or the other; here either may still be left for later.
    """

    license_jurisdiction = forms.ChoiceField(
        label="Licensing jurisdiction",
        required=False,
        choices=[("", "Choose a state or province"), *JURISDICTION_GROUPS],
        help_text="The state or province that issued your license.",
    )

    class Meta:
        model = User
        fields = CERTIFICATE_FIELDS
        widgets = {
            "certificate_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "license_number": forms.TextInput(attrs={"autocomplete": "off"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["certificate_name"].required = True

    def clean_certificate_name(self) -> str:
        return " ".join(self.cleaned_data["certificate_name"].split())

    def clean_license_number(self) -> str:
        return " ".join(self.cleaned_data["license_number"].split())

    def clean(self):
        data = super().clean()
        number, where = data.get("license_number"), data.get("license_jurisdiction")
        if data.get("no_license"):
            if number or where:
                raise forms.ValidationError(
                    "You ticked that you hold no license: clear the license number and "
                    "jurisdiction, or untick the box."
                )
        elif number and not where:
            self.add_error("license_jurisdiction", "Choose the state or province of the license.")
        elif where and not number:
            self.add_error("license_number", "Enter the license number, or clear the jurisdiction.")
        return data


class SignupForm(CertificateProfileForm):
    """Extra fields on allauth's sign-up form (ACCOUNT_SIGNUP_FORM_CLASS)."""

    class Meta(CertificateProfileForm.Meta):
        pass

    def signup(self, request, user: User) -> None:
        for field in CERTIFICATE_FIELDS:
            value = self.cleaned_data.get(field)
            setattr(user, field, "" if value is None else value)
        user.save(update_fields=CERTIFICATE_FIELDS)
