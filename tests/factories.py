from datetime import date
from decimal import Decimal

import factory
from allauth.account.models import EmailAddress
from django.utils import timezone

from accounts.models import User
from courses.models import (
    ApprovingBody,
    Course,
    CourseApproval,
    CourseInstructor,
    Instructor,
    LearningObjective,
    Level,
    ProgramPolicies,
    ProviderApproval,
    Section,
)
from programs.models import Program, ProgramCourse
from testing.models import Choice, Question

PASSWORD = "correct-horse-battery-staple"


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"learner{n}@example.com")
    certificate_name = factory.Faker("name")
    credentials = "PhD"
    profession = User.Profession.PSYCHOLOGIST
    license_number = factory.Sequence(lambda n: f"PSY{10000 + n}")
    license_jurisdiction = "CA"

    @factory.post_generation
    def password(obj, create, extracted, **kwargs):
        obj.set_password(extracted or PASSWORD)
        if create:
            obj.save(update_fields=["password"])

    @factory.post_generation
    def verified(obj, create, extracted, **kwargs):
        if create and extracted is not False:
            EmailAddress.objects.create(user=obj, email=obj.email, verified=True, primary=True)


class StaffFactory(UserFactory):
    is_staff = True
    is_superuser = True


class InstructorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Instructor

    name = factory.Faker("name")
    slug = factory.Sequence(lambda n: f"instructor-{n}")
    credentials = "PhD"
    headline = "Psychologist"
    bio = "Teaches clinicians."


class CourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Course

    title = factory.Sequence(lambda n: f"Course number {n}")
    slug = factory.Sequence(lambda n: f"course-{n}")
    status = Course.Status.PUBLISHED
    published_at = factory.LazyFunction(timezone.now)
    summary = "A course summary."
    description = "A longer description."
    price_cents = 4900
    currency = "USD"
    ce_credits = Decimal("3.0")
    level = Level.INTRODUCTORY
    target_audience = "Psychologists."
    format_summary = "Manuscript and audio."

    class Params:
        draft = factory.Trait(status=Course.Status.DRAFT, published_at=None)


class LearningObjectiveFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = LearningObjective

    course = factory.SubFactory(CourseFactory)
    text = factory.Sequence(lambda n: f"describe concept number {n},")
    order = factory.Sequence(int)


class CourseInstructorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseInstructor

    course = factory.SubFactory(CourseFactory)
    instructor = factory.SubFactory(InstructorFactory)
    order = factory.Sequence(int)


class ProgramFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Program

    title = factory.Sequence(lambda n: f"Program {n}")
    slug = factory.Sequence(lambda n: f"program-{n}")


class ProgramCourseFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgramCourse

    program = factory.SubFactory(ProgramFactory)
    course = factory.SubFactory(CourseFactory)
    position = factory.Sequence(int)


class ProgramPoliciesFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProgramPolicies
        django_get_or_create = ["id"]

    id = 1
    sponsor_name = "Test CE Sponsor"
    director_name = "Dr. Director"
    contact_email = "director@example.com"
    diversity_accessibility = "We welcome everyone."
    sources_relevance = "Evidence based."
    refund_cancellation = "Full refund on request."
    grievance = "Write to the director."


class ApprovingBodyFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ApprovingBody
        django_get_or_create = ["name"]

    name = "American Psychological Association"
    abbreviation = "APA"
    credit_unit = "CE credits"


class ProviderApprovalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = ProviderApproval

    body = factory.SubFactory(ApprovingBodyFactory)
    provider_number = ""
    statement = "Test CE Sponsor is approved by the APA to sponsor continuing education."
    valid_from = date(2020, 1, 1)
    valid_until = None
    professions = factory.LazyFunction(lambda: ["psychologist"])
    jurisdictions = factory.LazyFunction(list)


class CourseApprovalFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CourseApproval

    course = factory.SubFactory(CourseFactory)
    approval = factory.SubFactory(ProviderApprovalFactory)
    credits = factory.LazyAttribute(lambda o: o.course.ce_credits)
    order = factory.Sequence(int)


class SectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Section

    course = factory.SubFactory(CourseFactory)
    order = factory.Sequence(int)
    title = factory.Sequence(lambda n: f"Section {n}")
    body = "Some *Markdown* to read."


class QuestionFactory(factory.django.DjangoModelFactory):
    """A post-test question with three choices, the first one correct."""

    class Meta:
        model = Question
        skip_postgeneration_save = True

    course = factory.SubFactory(CourseFactory)
    order = factory.Sequence(int)
    text = factory.Sequence(lambda n: f"Question number {n}?")

    @factory.post_generation
    def choices(obj, create, extracted, **kwargs):
        if create:
            Choice.objects.bulk_create(
                Choice(question=obj, order=i, text=text, is_correct=i == 0)
                for i, text in enumerate(extracted or ["right", "wrong", "also wrong"])
            )


def publishable_course(**kwargs) -> Course:
    """A course that passes every publishing rule (a draft unless told otherwise):
    an objective, an instructor, a manuscript section and two post-test questions."""
    course = CourseFactory(**{"draft": True, **kwargs})
    LearningObjectiveFactory(course=course, order=1)
    CourseInstructorFactory(course=course)
    SectionFactory(course=course, order=1)
    QuestionFactory.create_batch(2, course=course)
    return course
