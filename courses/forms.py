from decimal import Decimal

from django import forms

from .models import CourseQuerySet, Level

CREDIT_RANGES = {
    "lt3": ("Fewer than 3", {"ce_credits__lt": Decimal(3)}),
    "3to6": ("3 to 6", {"ce_credits__gte": Decimal(3), "ce_credits__lte": Decimal(6)}),
    "gt6": ("More than 6", {"ce_credits__gt": Decimal(6)}),
}


class CatalogFilterForm(forms.Form):
    """The catalog's search box and filters (GET). Unknown values are simply ignored."""

    q = forms.CharField(
        label="Search courses",
        required=False,
        max_length=200,
        # SearchInput renders type="search" once; an attrs "type" would print a second one.
        widget=forms.SearchInput(attrs={"placeholder": "e.g. transference"}),
    )
    level = forms.ChoiceField(
        label="Level", required=False, choices=[("", "Any level"), *Level.choices]
    )
    credits = forms.ChoiceField(
        label="CE credits",
        required=False,
        choices=[("", "Any number"), *[(k, v[0]) for k, v in CREDIT_RANGES.items()]],
    )

    def apply(self, qs: CourseQuerySet) -> CourseQuerySet:
        if not self.is_valid():
            return qs
        data = self.cleaned_data
        if data["q"]:
            qs = qs.search(data["q"])
        if data["level"]:
            qs = qs.filter(level=data["level"])
        if data["credits"]:
            qs = qs.filter(**CREDIT_RANGES[data["credits"]][1])
        return qs

    @property
    def is_filtered(self) -> bool:
        return self.is_valid() and any(self.cleaned_data.values())
