"""What a certificate prints: the course frozen at completion and the holder's details.

`course_facts` is taken once, when the learner completes the course, and travels
unchanged to every reissue; `printed_fields` combines it with the holder's details (the
learner's profession picks the credit line from the frozen options). Pure functions
apart from `course_facts_now`, which reads the course.
"""

import hashlib
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from accounts.choices import Profession, jurisdiction_name
from courses.credits import CreditOption, course_credit_options, credit_option_for
from courses.models import Course

from .models import UNAPPROVED_UNIT

DELIVERY_FORMAT = "Home study (self-paced, online)"


@dataclass(frozen=True)
class Holder:
    """The holder's details as printed; the learner confirms them, the director corrects."""

    name: str
    credentials: str = ""
    profession: str = ""
    license_number: str = ""
    jurisdiction: str = ""  # a code of accounts.choices.Jurisdiction
    no_license: bool = False

    @classmethod
    def of(cls, user) -> "Holder":
        return cls(
            name=" ".join(user.certificate_name.split()),
            credentials=user.credentials.strip(),
            profession=user.profession,
            license_number="" if user.no_license else user.license_number.strip(),
            jurisdiction="" if user.no_license else user.license_jurisdiction,
            no_license=user.no_license,
        )

    @property
    def profession_label(self) -> str:
        return Profession(self.profession).label if self.profession in Profession else ""

    @property
    def jurisdiction_label(self) -> str:
        return jurisdiction_name(self.jurisdiction) if self.jurisdiction else ""

    @property
    def fingerprint(self) -> str:
        """Changes whenever a printed detail changes (the confirmation form carries it)."""
        text = "\x1f".join(
            [self.name, self.credentials, self.profession, self.license_number,
             self.jurisdiction, str(self.no_license)]
        )  # fmt: skip
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def problems(self) -> list[str]:
        """What keeps these details from being printed; empty when they may be."""
        missing = []
        if not self.name:
            missing.append("the name to print")
        if not self.profession:
            missing.append("your profession")
        if not self.no_license and not (self.license_number and self.jurisdiction):
            missing.append(
                "your license number and its state or province (or that you hold no license)"
            )
        return missing


def course_facts_now(*, course: Course, completed_on: date, sponsor_name: str) -> dict:
    """The course as it stands, frozen into JSON for the certificate (reads the database)."""
    instructors = "; ".join(
        link.instructor.display_name
        for link in course.course_instructors.select_related("instructor").order_by("order", "pk")
    )
    options = course_credit_options(Course.objects.with_approvals().get(pk=course.pk))
    return {
        "course_title": course.title,
        "course_ce_credits": str(course.ce_credits),
        "instructors": instructors,
        "sponsor_name": sponsor_name,
        "delivery_format": DELIVERY_FORMAT,
        "completed_on": completed_on.isoformat(),
        # Only what was current on the day: an expired approval is never printed.
        "options": [o.to_json() for o in options if o.current_on(completed_on)],
    }


def credit_option(facts: dict, holder: Holder) -> CreditOption | None:
    options = [CreditOption.from_json(o) for o in facts.get("options", [])]
    completed_on = date.fromisoformat(facts["completed_on"])
    return credit_option_for(
        options, profession=holder.profession, jurisdiction=holder.jurisdiction, on=completed_on
    )


def printed_fields(facts: dict, holder: Holder) -> dict:
    """The Certificate columns printed for this holder from these frozen course facts."""
    option = credit_option(facts, holder)
    if option is not None:
        credit = {
            "ce_credits": option.credits,
            "credit_type": option.unit,
            "approving_body": option.body_abbreviation,
            "provider_number": option.provider_number,
            "course_number": option.course_number,
            "approval_statement": option.statement,
            "approval_id": option.approval_id,
        }
    else:
        credit = {
            "ce_credits": Decimal(facts.get("course_ce_credits") or "0")
            or Decimal(facts["options"][0]["credits"] if facts.get("options") else "0"),
            "credit_type": UNAPPROVED_UNIT,
            "approving_body": "",
            "provider_number": "",
            "course_number": "",
            "approval_statement": "",
            "approval_id": None,
        }
    return {
        "holder_name": holder.name,
        "holder_credentials": holder.credentials,
        "holder_profession": holder.profession,
        "license_number": holder.license_number,
        "license_jurisdiction": jurisdiction_name(holder.jurisdiction)
        if holder.jurisdiction
        else "",
        "license_jurisdiction_code": holder.jurisdiction,
        "no_license": holder.no_license,
        "course_facts": facts,
        "course_title": facts["course_title"],
        "instructors": facts["instructors"],
        "completed_on": date.fromisoformat(facts["completed_on"]),
        "delivery_format": facts.get("delivery_format") or DELIVERY_FORMAT,
        "sponsor_name": facts["sponsor_name"],
        **credit,
    }
