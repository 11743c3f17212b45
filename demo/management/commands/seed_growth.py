"""Grow the demo data for the growth benchmark (bench/pages_rps.py --growth).

Adds 1,000 published courses, a learner (growth@example.com) with 100 paid enrollments
and 100 certificates, and a course with 40 sections that the learner is enrolled in.
Run after seed_demo; each run adds another set (slugs are unique per run).
"""

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction

from accounts.models import User
from demo import growth

EMAIL = "growth@example.com"
PASSWORD = "growth-learner-pass"  # noqa: S105 (a published benchmark account, like the demo's)


class Command(BaseCommand):
    help = "Add 1,000 courses, a learner with 100 enrollments and certificates, 40 sections."

    def add_arguments(self, parser):
        parser.add_argument("--courses", type=int, default=1000)
        parser.add_argument("--enrollments", type=int, default=100)
        parser.add_argument("--sections", type=int, default=40)
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even with DEBUG off (creates an account with a published password).",
        )

    def handle(self, *args, courses: int, enrollments: int, sections: int, **options):
        if not settings.DEBUG and not options["allow_production"]:
            raise CommandError(
                "seed_growth is for benchmarks: DJANGO_DEBUG=true or --allow-production."
            )
        if enrollments > courses:
            raise CommandError("--enrollments cannot exceed --courses.")
        with transaction.atomic():
            made = growth.courses_published(courses)
            user, created = User.objects.get_or_create(
                email=EMAIL, defaults={"certificate_name": "Grace Growth", "credentials": "PhD"}
            )
            if created:
                user.set_password(PASSWORD)
                user.save(update_fields=["password"])
                EmailAddress.objects.create(user=user, email=EMAIL, verified=True, primary=True)
            growth.learner_history(user, made[:enrollments])
            growth.sections_add(made[0], sections)
        self.stdout.write(
            f"Added {courses} courses; {EMAIL} has {enrollments} more enrollments and "
            f"certificates; /learn/{made[0].slug}/ has {sections} sections."
        )
