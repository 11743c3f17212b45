"""Which credit line a learner's profession earns from a course's approvals.

One rule, used by the course page (from the approvals in the database) and by
certificates (from the options frozen when the learner completed the course): an option
must be current on the day and cover the profession; where several do, one that names
the learner's own jurisdiction (a state board) wins, then the director's order.
"""

from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import Decimal

from accounts.choices import PROFESSION_PLURALS, Profession

from .models import Course, CourseApproval


@dataclass(frozen=True)
class CreditOption:
    """One approval a course carries, as plain values (JSON-safe through to_json)."""

    body: str
    body_abbreviation: str
    provider_number: str
    course_number: str
    credits: Decimal
    unit: str
    statement: str
    professions: tuple[str, ...]
    jurisdictions: tuple[str, ...] = ()
    valid_from: date | None = None
    valid_until: date | None = None
    approval_id: int | None = None
    reports_to_cebroker: bool = False
    extra: dict = field(default_factory=dict, compare=False)

    def covers(self, profession: str, jurisdiction: str) -> bool:
        if profession not in self.professions:
            return False
        return not self.jurisdictions or jurisdiction in self.jurisdictions

    def current_on(self, day: date) -> bool:
        started = self.valid_from is None or self.valid_from <= day
        return started and (self.valid_until is None or day <= self.valid_until)

    @property
    def line(self) -> str:
        """ "8 CE credits (APA)": the credit line as certificates print it."""
        amount = f"{self.credits:f}"
        amount = amount.rstrip("0").rstrip(".") if "." in amount else amount
        return f"{amount} {self.unit} ({self.body_abbreviation})"

    @property
    def professions_display(self) -> str:
        return ", ".join(PROFESSION_PLURALS.get(p, p) for p in self.professions)

    def to_json(self) -> dict:
        data = asdict(self)
        data.pop("extra")
        data["credits"] = str(self.credits)
        data["professions"] = list(self.professions)
        data["jurisdictions"] = list(self.jurisdictions)
        for key in ("valid_from", "valid_until"):
            data[key] = data[key].isoformat() if data[key] else None
        return data

    @classmethod
    def from_json(cls, data: dict) -> "CreditOption":
        values = dict(data)
        values["credits"] = Decimal(values["credits"])
        values["professions"] = tuple(values.get("professions") or ())
        values["jurisdictions"] = tuple(values.get("jurisdictions") or ())
        for key in ("valid_from", "valid_until"):
            values[key] = date.fromisoformat(values[key]) if values.get(key) else None
        known = cls.__dataclass_fields__.keys() - {"extra"}
        return cls(**{k: v for k, v in values.items() if k in known})


def option_from(link: CourseApproval) -> CreditOption:
    approval = link.approval
    return CreditOption(
        body=approval.body.name,
        body_abbreviation=approval.body.abbreviation,
        provider_number=approval.provider_number,
        course_number=link.course_number,
        credits=link.credits,
        unit=link.unit,
        statement=approval.statement,
        professions=tuple(approval.professions),
        jurisdictions=tuple(approval.jurisdictions),
        valid_from=approval.valid_from,
        valid_until=approval.valid_until,
        approval_id=approval.pk,
        reports_to_cebroker=approval.body.reports_to_cebroker,
    )


def course_credit_options(course: Course) -> list[CreditOption]:
    """Every approval the course carries (use Course.objects.with_approvals())."""
    return [option_from(link) for link in course.course_approvals.all()]


def current_options(options: list[CreditOption], *, on: date) -> list[CreditOption]:
    return [option for option in options if option.current_on(on)]


def credit_option_for(
    options: list[CreditOption], *, profession: str, jurisdiction: str, on: date
) -> CreditOption | None:
    """The option whose line prints for this learner, or None if none covers them."""
    covering = [o for o in options if o.current_on(on) and o.covers(profession, jurisdiction)]
    if not covering:
        return None
    own_board = [o for o in covering if jurisdiction and jurisdiction in o.jurisdictions]
    return (own_board or covering)[0]


def uncovered_professions(options: list[CreditOption], *, on: date) -> list[str]:
    """Professions (other than "other") that no current option covers."""
    covered = {p for o in options if o.current_on(on) for p in o.professions}
    return [p for p in Profession.values if p not in covered and p != Profession.OTHER]


def credit_for_learner(course: Course, user, *, on: date) -> CreditOption | None:
    """The line this learner's profession would earn from the course as it stands."""
    options = course_credit_options(Course.objects.with_approvals().get(pk=course.pk))
    return credit_option_for(
        options, profession=user.profession, jurisdiction=user.license_jurisdiction, on=on
    )
