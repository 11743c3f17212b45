"""Data for the scale-out test, written by the servers' own code in their database.

Run in a process with the cluster's environment (tests/scaleout/cluster.py `seed`); prints
one JSON line with what the tests need to know.
"""

import io
import json

from allauth.account.models import EmailAddress
from django.contrib.auth.hashers import make_password
from django.core.files.base import ContentFile
from django.core.management import call_command
from PIL import Image

from accounts.models import User
from courses.models import Course, ProgramPolicies
from demo.journeys import journey_complete
from demo.management.commands.seed_demo import SEED_SLUG

PASSWORD = "scale-out-test-pass"
_hashed: list[str] = []


def password_hash() -> str:
    """The production hasher's deliberate cost, paid once for every test learner."""
    if not _hashed:
        _hashed.append(make_password(PASSWORD))
    return _hashed[0]


def png(width: int, height: int, colour: tuple[int, int, int]) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "PNG")
    return out.getvalue()


def learner(email: str) -> User:
    user = User.objects.create_user(
        email=email,
        password=None,
        certificate_name=email.split("@")[0].title(),
        profession=User.Profession.PSYCHOLOGIST,
        no_license=True,
    )
    user.password = password_hash()
    user.save(update_fields=["password"])
    EmailAddress.objects.create(user=user, email=email, verified=True, primary=True)
    return user


def main() -> None:
    call_command("seed_demo", "--allow-production", stdout=io.StringIO())
    policies = ProgramPolicies.objects.get()
    policies.certificate_logo.save("logo.png", ContentFile(png(160, 48, (11, 79, 138))))
    policies.certificate_signature.save("signature.png", ContentFile(png(120, 36, (20, 20, 20))))
    seed = Course.objects.get(slug=SEED_SLUG)
    holder = learner("holder@example.com")
    facts = {
        "seed_slug": SEED_SLUG,
        "seed_course_id": seed.pk,
        # Bought, read, passed, evaluated and confirmed; the PDF is the worker's job.
        "certificate_code": journey_complete(user=holder, course=seed).code,
        "holder": holder.email,
        "buyer": learner("buyer@example.com").email,
        "forgetful": learner("forgetful@example.com").email,
        "password": PASSWORD,
        "other_slug": "ethics-of-telehealth-practice",
    }
    print(json.dumps(facts))
