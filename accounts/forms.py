from django import forms

from .models import User

CERTIFICATE_FIELDS = [
    "certificate_name",
    "credentials",
    "profession",
    "license_number",
    "license_jurisdiction",
]


class CertificateProfileForm(forms.ModelForm):
    """The fields printed on a CE certificate, edited by the learner."""

    class Meta:
        model = User
        fields = CERTIFICATE_FIELDS
        widgets = {
            "certificate_name": forms.TextInput(attrs={"autocomplete": "name"}),
            "license_jurisdiction": forms.TextInput(attrs={"list": "jurisdictions"}),
        }

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["certificate_name"].required = True

    def clean_certificate_name(self) -> str:
        return " ".join(self.cleaned_data["certificate_name"].split())


class SignupForm(CertificateProfileForm):
    """Extra fields on allauth's sign-up form (ACCOUNT_SIGNUP_FORM_CLASS)."""

    class Meta(CertificateProfileForm.Meta):
        pass

    def signup(self, request, user: User) -> None:
        for field in CERTIFICATE_FIELDS:
            setattr(user, field, self.cleaned_data.get(field, ""))
        user.save(update_fields=CERTIFICATE_FIELDS)
