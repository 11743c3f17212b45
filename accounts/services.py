"""Account-wide changes that span models."""

from django.db import transaction

from records.events import event_log

from .models import User


def user_anonymise(*, user: User) -> User:
    """Erase a learner's personal data from their account, keeping the records boards
    rely on. The certificate (a snapshot of the name, credentials and license printed on
    it), the orders, attempts and evaluations stay, so verification pages and completion
    rosters keep working; the account loses its email, name, license details and
    password, and can no longer sign in. Irreversible."""
    with transaction.atomic():
        user = User.objects.select_for_update().get(pk=user.pk)
        user.email = f"anonymised-{user.pk}@invalid.example"
        user.certificate_name = ""
        user.credentials = ""
        user.profession = ""
        user.license_number = ""
        user.license_jurisdiction = ""
        user.is_active = False
        # Also ends every session: Django checks the password's hash on each request.
        user.set_unusable_password()
        user.save()
        user.emailaddress_set.all().delete()
    event_log("user.anonymised", user_id=user.pk)
    return user
