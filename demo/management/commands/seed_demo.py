"""Load the demo catalog and accounts. Idempotent: run it as often as you like.

The seed course's facts (title, price, credits, level, objectives, instructor) come from
`shared/seed/course-page.txt`; every longer text is written in our own words.
"""

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

from allauth.account.models import EmailAddress
from django.conf import settings
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand, CommandError
from django.db import transaction
from PIL import Image, ImageDraw
from simple_history.utils import bulk_create_with_history

from accounts.choices import Jurisdiction, Profession
from accounts.models import User
from courses.models import (
    ApprovingBody,
    AudioTrack,
    CEBrokerProfessionCode,
    Course,
    CourseApproval,
    CourseInstructor,
    CreditUnit,
    Instructor,
    LearningObjective,
    Level,
    ProgramPolicies,
    ProviderApproval,
    Section,
    Video,
)
from courses.services import audio_track_read_duration, course_publish
from courses.storage import private_storage
from demo.journeys import journey_enroll
from demo.media.questions import EVALUATION_ITEMS, QUESTIONS, SAMPLE_CONTENT
from enrollment.models import Enrollment
from programs.models import Program, ProgramCourse

MEDIA_DIR = Path(__file__).resolve().parents[2] / "media"

SEED_SLUG = "psychodynamics-of-the-therapeutic-relationship"

DEMO_ACCOUNTS = {
    "director": {
        "email": "director@example.com",
        "password": "demo-director-pass",
        "certificate_name": "Dana Director",
        "is_staff": True,
        "is_superuser": True,
    },
    "learner": {
        "email": "learner@example.com",
        "password": "demo-learner-pass",
        "certificate_name": "Lee Learner",
        "credentials": "PsyD",
        "profession": User.Profession.PSYCHOLOGIST,
        "license_number": "PSY 12345",
        "license_jurisdiction": "CA",
    },
}

POLICIES = {
    "sponsor_name": "Clinician CE Institute",
    "director_name": "Dana Director",
    "signatory_name": "Dana Director",
    "signatory_title": "Director of Continuing Education",
    "contact_email": "director@example.com",
    "contact_phone": "",
    "diversity_accessibility": (
        "We respect diversity in every form, including age, gender, gender identity, "
        "sexual orientation, race, ethnicity, culture, national origin, language, "
        "socioeconomic status, religion and disability.\n\n"
        "Every course can be studied with a screen reader or a keyboard alone: manuscripts "
        "are accessible web pages, audio comes with transcripts and video with captions. "
        "If you need an accommodation, such as extra time on a post-test, write to the "
        "Director and we will arrange it."
    ),
    "sources_relevance": (
        "Our courses draw on current, empirically grounded scientific and clinical "
        "literature. They are built to be relevant to psychological practice, education "
        "and research, so that clinicians can keep and extend their ability to serve the "
        "public and contribute to the profession."
    ),
    "refund_cancellation": (
        "If a course does not meet your expectations, tell us: we will cancel the order "
        "and refund the full price. Ask from your order page or write to the Director. "
        "A refund ends access to the course material, the post-test and any certificate "
        "issued for it."
    ),
    "grievance": (
        "If you have a concern about a course, an instructor or how we handled a request, "
        "write to the Director. We acknowledge every grievance within five business days, "
        "look into it, and tell you in writing what we decided and why. If you are not "
        "satisfied with the outcome, you may ask for a review by a second member of our "
        "staff."
    ),
}

# The approvals a sponsor like ours holds. Provider numbers and statements are demo data
# written in our own words; a real sponsor prints each body's required wording exactly.
APPROVALS = [
    {
        "body": {
            "name": "American Psychological Association",
            "abbreviation": "APA",
            "credit_unit": CreditUnit.CE_CREDITS,
            "website": "https://www.apa.org/",
        },
        "provider_number": "",
        "statement": (
            "Clinician CE Institute is approved by the American Psychological Association "
            "to sponsor continuing education for psychologists, and keeps responsibility for "
            "this program and its content. (Demo data.)"
        ),
        "valid_from": date(2024, 1, 1),
        "valid_until": None,
        "professions": [Profession.PSYCHOLOGIST],
        "jurisdictions": [],
    },
    {
        "body": {
            "name": "Association of Social Work Boards, Approved Continuing Education",
            "abbreviation": "ASWB ACE",
            "credit_unit": CreditUnit.CE_HOURS,
            "website": "https://www.aswb.org/",
        },
        "provider_number": "1787",
        "statement": (
            "Clinician CE Institute, provider 1787, is an ASWB Approved Continuing Education "
            "(ACE) provider for this course, for the approval period January 1, 2025 to "
            "January 1, 2028. Regulatory boards decide which courses they accept for "
            "continuing education credit. Social workers completing this course earn "
            "8 clinical CE hours. (Demo data.)"
        ),
        "valid_from": date(2025, 1, 1),
        "valid_until": date(2028, 1, 1),
        "professions": [Profession.SOCIAL_WORKER],
        "jurisdictions": [],
    },
    {
        "body": {
            "name": "National Board for Certified Counselors",
            "abbreviation": "NBCC",
            "credit_unit": CreditUnit.CONTACT_HOURS,
            "website": "https://www.nbcc.org/",
        },
        "provider_number": "ACEP 7103",
        "statement": (
            "Clinician CE Institute holds NBCC approval as an Approved Continuing Education "
            "Provider, ACEP No. 7103. Programs that do not qualify for NBCC credit are marked "
            "as such. Clinician CE Institute alone is responsible for every aspect of its "
            "programs. (Demo data.)"
        ),
        "valid_from": date(2024, 6, 1),
        "valid_until": None,
        "professions": [Profession.COUNSELOR],
        "jurisdictions": [],
    },
    {
        "body": {
            "name": "California Board of Behavioral Sciences",
            "abbreviation": "CA BBS",
            "credit_unit": CreditUnit.CE_HOURS,
            "website": "https://www.bbs.ca.gov/",
        },
        "provider_number": "PCE 5421",
        "statement": (
            "Clinician CE Institute is a continuing education provider recognized by the "
            "California Board of Behavioral Sciences (provider PCE 5421). This course meets "
            "the Board's requirements for LMFTs, LPCCs, LCSWs and LEPs. Clinician CE "
            "Institute is responsible for this program and its content. (Demo data.)"
        ),
        "valid_from": date(2025, 7, 1),
        "valid_until": date(2027, 6, 30),
        "professions": [Profession.MFT, Profession.COUNSELOR, Profession.SOCIAL_WORKER],
        "jurisdictions": [Jurisdiction.CA],
    },
    {
        "body": {
            "name": "Florida Board of Clinical Social Work, Marriage and Family Therapy "
            "and Mental Health Counseling",
            "abbreviation": "FL 491 Board",
            "credit_unit": CreditUnit.CE_HOURS,
            "website": "https://floridasmentalhealthprofessions.gov/",
            "reports_to_cebroker": True,
        },
        "cebroker_codes": {
            Profession.SOCIAL_WORKER: "CSW",
            Profession.MFT: "MFT",
            Profession.COUNSELOR: "MHC",
        },
        "provider_number": "50-31337",
        "statement": (
            "Clinician CE Institute is approved by the Florida Board of Clinical Social Work, "
            "Marriage and Family Therapy and Mental Health Counseling as a continuing "
            "education provider (50-31337); completions are reported to CE Broker. "
            "(Demo data.)"
        ),
        "valid_from": date(2025, 4, 1),
        "valid_until": date(2027, 3, 31),
        "professions": [Profession.MFT, Profession.COUNSELOR, Profession.SOCIAL_WORKER],
        "jurisdictions": [Jurisdiction.FL],
    },
]

# Which approvals each course carries: body abbreviation -> the body's course number.
SEED_COURSE_APPROVALS = {
    "APA": "",
    "ASWB ACE": "",
    "NBCC": "",
    "CA BBS": "",
    "FL 491 Board": "20-912345",
}
SAMPLE_COURSE_APPROVALS = {"APA": "", "ASWB ACE": ""}

SEED_OBJECTIVES = [
    "list seven levels of ego defensive functions,",
    "describe several forms and functions of resistances in the clinical setting,",
    "describe several ways to manage resistances in the clinical setting,",
    "describe the nature and function of the transference in the clinical setting,",
    "distinguish between positive and negative transferences,",
    "describe how the transference neurosis can be used to facilitate treatment,",
    "distinguish between neurotic transference and psychotic, borderline, and narcissistic "
    "transferences,",
    "describe ways in which the clinician can effectively respond to clients' transferences "
    "relative to cultural, ethnic, and socio-economic diversity,",
    "compare and contrast the transference relationship with the working alliance relative "
    "to cultural, ethnic, and socio-economic diversity, and",
    "describe how the clinician can make use of the countertransference to benefit "
    "therapeutic work with diverse clients.",
]

INSTRUCTORS = {
    "michael-j-gerson": {
        "name": "Michael J. Gerson",
        "credentials": "PhD",
        "headline": "Psychologist and psychoanalyst, California",
        "bio": (
            "Dr. Michael J. Gerson is a psychologist and psychoanalyst in California who has "
            "trained clinicians for more than thirty years: in his private practice, in "
            "community counseling centers and as a professor of psychology in graduate "
            "programs.\n\n"
            "He is core faculty at the Graduate School of Psychology of California Lutheran "
            "University, and is known for making complex ideas about the therapeutic process "
            "clear enough to use in a clinician's own work."
        ),
    },
    "ana-ruiz": {
        "name": "Ana Ruiz",
        "credentials": "LCSW",
        "headline": "Clinical social worker and supervisor (sample instructor)",
        "bio": "Ana Ruiz supervises community mental-health clinicians. (Demo data.)",
    },
    "samuel-okafor": {
        "name": "Samuel Okafor",
        "credentials": "PhD, LMFT",
        "headline": "Family therapist and researcher (sample instructor)",
        "bio": "Samuel Okafor teaches systemic family therapy. (Demo data.)",
    },
}

SEED_COURSE = {
    "title": "Psychodynamics of the Therapeutic Relationship",
    "summary": (
        "Alliance, transference, countertransference, defenses and resistance: the "
        "cornerstones of psychodynamic psychotherapy, and how attending to them moves "
        "therapy from events to meanings. 8 CE credits, intermediate level."
    ),
    "description": (
        "Every clinician works inside a relationship. This course examines the forces that "
        "shape it: the therapeutic alliance, transference, countertransference, defenses "
        "and resistances. They are the cornerstones of psychodynamic psychotherapy, and "
        "they matter in nearly every other approach as well.\n\n"
        "Ideas about the mind, affect and behavior stay abstract until we see them at work "
        "between two people. As participant-observers, therapists take part in a living "
        "process that can foster healing and growth for everyone in the room, and the "
        "closeness this work allows with someone who began as a stranger carries real "
        "responsibility.\n\n"
        "The alliance is the conscious, openly stated agreement between client and "
        "therapist to pursue the aims of treatment, yet much of the process unfolds beyond "
        "that agreement. With clear explanations and case examples, Dr. Michael J. Gerson "
        "shows how to tell these components apart and how each can shape your clinical "
        "work."
    ),
    "price_cents": 11900,
    "currency": "USD",
    "ce_credits": Decimal("8.0"),
    "level": Level.INTERMEDIATE,
    "target_audience": (
        "Designed for postdoctoral-level psychologists; this is an intermediate-level "
        "course. Counselors, social workers, marriage and family therapists, educators and "
        "researchers are welcome. If you are unsure whether it suits your training, ask the "
        "Director before you enroll."
    ),
    "format_summary": (
        "An online written manuscript with accompanying audio files, so you can read, "
        "listen or both. A brief video gives opening remarks by Dr. Gerson. An online "
        "multiple-choice post-test and a Certificate of Completion for 8 CE credits follow "
        "the course. Intermediate level. $119, no additional fees.\n\n"
        "This course may be applied to the Certificate of Advanced Study in Psychoanalytic "
        "Psychotherapy."
    ),
    "schedule": (
        "The course is open 24 hours a day, 7 days a week. Study at the pace that suits "
        "you; there is no deadline."
    ),
    "conflict_of_interest": (
        "There is no commercial support and no other potential conflict of interest for "
        "this program, its presentation or its instructor."
    ),
}

SAMPLE_COURSES = [
    {
        "slug": "ethics-of-telehealth-practice",
        "title": "Ethics of Telehealth Practice",
        "summary": "Consent, privacy, jurisdiction and crisis planning when therapy happens "
        "on a screen. A sample course for the demo.",
        "price_cents": 4900,
        "ce_credits": Decimal("3.0"),
        "level": Level.INTRODUCTORY,
        "instructor": "ana-ruiz",
        "objectives": [
            "explain informed-consent elements specific to telehealth,",
            "identify licensure and jurisdiction questions raised by remote sessions, and",
            "plan for a client crisis during a video session.",
        ],
    },
    {
        "slug": "working-with-couples-in-conflict",
        "title": "Working with Couples in Conflict",
        "summary": "Systemic ways to slow escalation, name patterns and build repair in couples "
        "therapy. A sample course for the demo.",
        "price_cents": 8900,
        "ce_credits": Decimal("6.0"),
        "level": Level.ADVANCED,
        "instructor": "samuel-okafor",
        "objectives": [
            "describe the cycle of pursuit and withdrawal in couples,",
            "apply two de-escalation techniques in session, and",
            "evaluate when individual referral is indicated.",
        ],
    },
    {
        "slug": "supervision-essentials-draft",
        "title": "Supervision Essentials (draft)",
        "summary": "An unpublished draft, visible only to staff, to show previews.",
        "price_cents": 0,
        "ce_credits": Decimal("1.5"),
        "level": Level.INTRODUCTORY,
        "instructor": "ana-ruiz",
        "objectives": ["describe the supervisor's gatekeeping role."],
        "draft": True,
    },
]


PROGRAM = {
    "slug": "certificate-of-advanced-study-psychoanalytic-psychotherapy",
    "facts": {
        "title": "Certificate of Advanced Study in Psychoanalytic Psychotherapy",
        "description": "A track of home-study courses in psychoanalytic psychotherapy that "
        "together lead to a Certificate of Advanced Study: the therapeutic relationship, "
        "then two electives in clinical practice.",
        "credential_name": "Certificate of Advanced Study",
        "electives_required": 1,
        "discount_percent": 10,
        "recognition_statement": "The Certificate of Advanced Study is awarded by the "
        "Clinician CE Institute to clinicians who complete the program's courses. It is a "
        "certificate of completion of a course of study, not a license or a board "
        "certification; each course carries its own CE approvals. (Demo data.)",
    },
    # (course slug, required) in the intended order.
    "courses": [
        (SEED_SLUG, True),
        ("ethics-of-telehealth-practice", False),
        ("working-with-couples-in-conflict", False),
    ],
    "learner_owns": "working-with-couples-in-conflict",
}


def _portrait_png(initials: str) -> bytes:
    """A plain initials portrait, so the demo shows photos without shipping any."""
    image = Image.new("RGB", (320, 320), (11, 79, 138))
    draw = ImageDraw.Draw(image)
    draw.text((160, 160), initials, fill=(255, 255, 255), anchor="mm", font_size=120)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


class Command(BaseCommand):
    help = "Load the demo catalog, policies and the demo director and learner accounts."

    def add_arguments(self, parser):
        parser.add_argument(
            "--allow-production",
            action="store_true",
            help="Run even with DEBUG off (creates accounts with published passwords).",
        )
        parser.add_argument(
            "--learner-progress",
            action="store_true",
            help="Also enroll the demo learner in one elective of the demo program, so that "
            "My courses and the program page show progress (make demo passes it; the tests "
            "start from a learner who owns nothing).",
        )

    def handle(
        self, *args, allow_production: bool = False, learner_progress: bool = False, **options
    ):
        if not settings.DEBUG and not allow_production:
            raise CommandError(
                "seed_demo creates accounts with well-known passwords; it runs only with "
                "DJANGO_DEBUG=true (or --allow-production if you really mean it)."
            )
        with transaction.atomic():
            ProgramPolicies.objects.update_or_create(pk=1, defaults=POLICIES)
            approvals = self._approvals()
            instructors = {slug: self._instructor(slug, data) for slug, data in INSTRUCTORS.items()}
            seed = self._course(
                SEED_SLUG, SEED_COURSE, SEED_OBJECTIVES, [instructors["michael-j-gerson"]]
            )
            self._course_approvals(seed, approvals, SEED_COURSE_APPROVALS)
            self._content(seed)
            self._post_test(seed, QUESTIONS)
            published = [seed]
            for sample in SAMPLE_COURSES:
                facts = {
                    **SEED_COURSE,
                    "title": sample["title"],
                    "summary": sample["summary"],
                    "description": sample["summary"],
                    "price_cents": sample["price_cents"],
                    "ce_credits": sample["ce_credits"],
                    "level": sample["level"],
                    "format_summary": "An online manuscript with audio, an online "
                    "multiple-choice post-test and a Certificate of Completion.",
                }
                course = self._course(
                    sample["slug"],
                    facts,
                    sample["objectives"],
                    [instructors[sample["instructor"]]],
                    publish=not sample.get("draft"),
                )
                content = SAMPLE_CONTENT.get(sample["slug"])
                if content:
                    self._sample_content(course, content)
                if not sample.get("draft"):
                    self._course_approvals(course, approvals, SAMPLE_COURSE_APPROVALS)
                    published.append(course)
            # Published through the service, so the demo passes the publishing rules that
            # the director's admin enforces.
            for course in published:
                blockers = course_publish(course=course)
                if blockers:
                    raise CommandError(f"“{course}” cannot be published: {', '.join(blockers)}.")
            accounts = {role: self._account(dict(data)) for role, data in DEMO_ACCOUNTS.items()}
            self._program(seed, accounts["learner"] if learner_progress else None)
        self.stdout.write(self.style.SUCCESS("Demo data loaded."))
        for role, data in DEMO_ACCOUNTS.items():
            self.stdout.write(f"  {role:<8} {data['email']} / {data['password']}")

    def _program(self, seed: Course, learner: User | None) -> None:
        """The seed page's program, with the seed course required and the two sample
        courses as electives; with `learner` (--learner-progress) the demo learner owns
        one elective, so "My courses" and the program page show progress."""
        program, _ = Program.objects.update_or_create(
            slug=PROGRAM["slug"], defaults=PROGRAM["facts"]
        )
        for position, (slug, required) in enumerate(PROGRAM["courses"], start=1):
            ProgramCourse.objects.update_or_create(
                program=program,
                course=seed if slug == SEED_SLUG else Course.objects.get(slug=slug),
                defaults={"position": position, "required": required},
            )
        if learner is None:
            return
        owned = Course.objects.get(slug=PROGRAM["learner_owns"])
        if not Enrollment.objects.active().filter(user=learner, course=owned).exists():
            journey_enroll(user=learner, course=owned)

    def _approvals(self) -> dict[str, ProviderApproval]:
        """The approving bodies and our approvals by each, keyed by abbreviation."""
        found = {}
        for data in APPROVALS:
            facts = dict(data)
            body_facts = facts.pop("body")
            codes = facts.pop("cebroker_codes", {})
            body, _ = ApprovingBody.objects.update_or_create(
                name=body_facts["name"], defaults=body_facts
            )
            for profession, code in codes.items():
                CEBrokerProfessionCode.objects.update_or_create(
                    body=body, profession=profession, defaults={"code": code}
                )
            approval, _ = ProviderApproval.objects.update_or_create(
                body=body, provider_number=facts.pop("provider_number"), defaults=facts
            )
            found[body.abbreviation] = approval
        return found

    def _course_approvals(self, course: Course, approvals, numbers: dict[str, str]) -> None:
        for order, (abbreviation, number) in enumerate(numbers.items(), start=1):
            CourseApproval.objects.update_or_create(
                course=course,
                approval=approvals[abbreviation],
                defaults={"credits": course.ce_credits, "course_number": number, "order": order},
            )

    def _content(self, course: Course) -> None:
        """Sample manuscript, narrated audio with transcripts, a captioned intro video."""
        course.sections.all().delete()
        course.audio_tracks.all().delete()
        course.videos.all().delete()
        sections = {}
        for order, path in enumerate(sorted((MEDIA_DIR / "sections").glob("*.md")), start=1):
            title, _, body = path.read_text().partition("\n")
            sections[path.stem.split("-", 1)[1]] = Section.objects.create(
                course=course, order=order, title=title.lstrip("# ").strip(), body=body.strip()
            )
        for order, stem in enumerate(["alliance", "transference"], start=1):
            heading, _, transcript = (
                (MEDIA_DIR / f"{stem}.txt").read_text().partition("\nTRANSCRIPT\n")
            )
            track = AudioTrack.objects.create(
                course=course,
                section=sections[stem],
                order=order,
                title=heading.strip(),
                file=self._private_file(f"{stem}.mp3", "audio"),
                transcript=transcript.strip(),
            )
            audio_track_read_duration(track=track)
        captions = (MEDIA_DIR / "intro.vtt").read_text()
        Video.objects.create(
            course=course,
            title="Opening remarks (sample video)",
            file=self._private_file("intro.mp4", "video"),
            poster=self._private_file("intro-poster.jpg", "video/posters"),
            captions=self._private_file("intro.vtt", "video/captions"),
            transcript=" ".join(
                line
                for line in captions.splitlines()[1:]
                if line and "-->" not in line and not line.isdigit()
            ),
        )

    def _sample_content(self, course: Course, content: dict) -> None:
        """A sample course's one manuscript section and its small question bank."""
        title, body = content["section"]
        if not course.sections.filter(title=title).exists():
            course.sections.all().delete()
            Section.objects.create(course=course, order=1, title=title, body=body)
        self._post_test(course, content["questions"])

    def _post_test(self, course: Course, questions: list) -> None:
        """Question bank, default test rules and the default evaluation items.

        The testing app sits to the right of courses; the demo seeder is the one place
        that fills every app, so it imports it here rather than at module level.
        """
        from testing.models import Choice, EvaluationItem, Question, TestRules

        TestRules.objects.get_or_create(course=course)
        if course.questions.filter(answers__isnull=False).exists():
            return  # keep a bank that learners have answered (history)
        course.questions.all().delete()
        objectives = {o.order: o for o in course.objectives.all()}
        for order, (objective, text, correct, wrong) in enumerate(questions, start=1):
            question = Question.objects.create(
                course=course, order=order, text=text, objective=objectives.get(objective)
            )
            Choice.objects.bulk_create(
                Choice(question=question, order=i, text=choice, is_correct=i == 0)
                for i, choice in enumerate([correct, *wrong])
            )
        for order, (kind, prompt) in enumerate(EVALUATION_ITEMS, start=1):
            EvaluationItem.objects.update_or_create(
                course=None,
                prompt=prompt,
                defaults={"kind": kind, "order": order, "required": kind == "rating"},
            )

    def _private_file(self, filename: str, folder: str) -> str:
        storage = private_storage()
        name = f"{folder}/demo-{filename}"
        if not storage.exists(name):
            with (MEDIA_DIR / filename).open("rb") as source:
                storage.save(name, source)
        return name

    def _instructor(self, slug: str, data: dict) -> Instructor:
        disclosure = {
            "conflict_disclosure": "No relevant financial or other relationships. (Demo data.)",
            "conflict_disclosed_on": date(2026, 1, 5),
        }
        instructor, _ = Instructor.objects.update_or_create(
            slug=slug, defaults={**data, **disclosure}
        )
        if not instructor.photo or not instructor.photo.storage.exists(instructor.photo.name):
            initials = "".join(part[0] for part in data["name"].split() if part[0].isupper())[:2]
            instructor.photo.save(f"{slug}.png", ContentFile(_portrait_png(initials)))
        return instructor

    def _course(self, slug, facts, objectives, instructors, publish=True) -> Course:
        course, _ = Course.objects.update_or_create(slug=slug, defaults=facts)
        if not publish:
            course.unpublish()
            course.save()
        course.objectives.all().delete()
        # With history, like every content edit: the demo's as-of view has versions.
        bulk_create_with_history(
            [
                LearningObjective(course=course, text=text, order=i)
                for i, text in enumerate(objectives, start=1)
            ],
            LearningObjective,
        )
        CourseInstructor.objects.filter(course=course).delete()
        bulk_create_with_history(
            [
                CourseInstructor(course=course, instructor=instructor, order=i)
                for i, instructor in enumerate(instructors, start=1)
            ],
            CourseInstructor,
        )
        return course

    def _account(self, data: dict) -> User:
        password = data.pop("password")
        email = data.pop("email")
        user, _ = User.objects.update_or_create(email=email, defaults=data)
        user.set_password(password)
        user.save()
        EmailAddress.objects.update_or_create(
            user=user, email=email, defaults={"verified": True, "primary": True}
        )
        return user
