import pytest
from django.db import IntegrityError

from accounts.models import User


@pytest.mark.django_db
def test_email_is_the_login_and_is_normalised():
    user = User.objects.create_user(email="Jane@Example.COM", password="x" * 12)
    assert user.email == "Jane@example.com"
    assert User.USERNAME_FIELD == "email"
    assert not hasattr(user, "username") or user.username is None


@pytest.mark.django_db
def test_email_is_unique_whatever_its_case():
    User.objects.create_user(email="jane@example.com")
    with pytest.raises(IntegrityError):
        User.objects.create_user(email="JANE@example.com")


@pytest.mark.django_db
def test_profession_outside_the_choices_is_refused_by_the_database():
    user = User.objects.create_user(email="a@example.com")
    user.profession = "astrologer"
    with pytest.raises(IntegrityError):
        user.save()


@pytest.mark.django_db
def test_superuser_is_staff():
    user = User.objects.create_superuser(email="boss@example.com", password="x" * 12)
    assert user.is_staff
    assert user.is_superuser


def test_display_name_joins_name_and_credentials():
    user = User(email="a@example.com", certificate_name="Jane Q. Doe", credentials="PhD, LCSW")
    assert user.display_name == "Jane Q. Doe, PhD, LCSW"
    assert user.certificate_profile_complete


def test_profile_without_certificate_name_is_incomplete():
    user = User(email="a@example.com", certificate_name="  ")
    assert not user.certificate_profile_complete
    assert user.display_name == "a@example.com"
