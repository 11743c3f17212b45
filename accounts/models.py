from django.contrib.auth.models import AbstractUser, BaseUserManager
from django.db import models
from django.db.models.functions import Lower
from django.urls import reverse

from .choices import NO_LICENSE_TEXT, Jurisdiction, Profession


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email: str, password: str | None, **extra_fields):
        if not email:
            raise ValueError("An email address is required.")
        user = self.model(email=self.normalize_email(email), **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email: str, password: str | None = None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if not (extra_fields["is_staff"] and extra_fields["is_superuser"]):
            raise ValueError("A superuser must have is_staff and is_superuser set.")
        return self._create_user(email, password, **extra_fields)


class User(AbstractUser):
    """A learner or a director. Email is the login; the certificate fields live here."""

    Profession = Profession
    Jurisdiction = Jurisdiction

    username = None
    first_name = None
    last_name = None
    email = models.EmailField("email address", unique=True)
    certificate_name = models.CharField(
        "name on certificates",
        max_length=150,
        blank=True,
        help_text="Exactly as it should print on your certificates, e.g. Jane Q. Doe.",
    )
    credentials = models.CharField(
        "post-nominal credentials",
        max_length=100,
        blank=True,
        help_text="Degrees and licenses after your name, e.g. PhD, LCSW.",
    )
    profession = models.CharField(max_length=32, choices=Profession.choices, blank=True)
    license_number = models.CharField(max_length=64, blank=True)
    license_jurisdiction = models.CharField(
        "licensing jurisdiction",
        max_length=2,
        choices=Jurisdiction.choices,
        blank=True,
        help_text="The state or province that issued your license.",
    )
    no_license = models.BooleanField(
        "I do not hold a license",
        default=False,
        help_text="Tick this only if you hold no license; your certificates then say so.",
    )

    USERNAME_FIELD = "email"
    EMAIL_FIELD = "email"
    REQUIRED_FIELDS: list[str] = []

    objects = UserManager()

    class Meta:
        constraints = [
            models.UniqueConstraint(Lower("email"), name="user_email_ci_unique"),
            models.CheckConstraint(
                condition=models.Q(profession__in=["", *Profession.values]),
                name="user_profession_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(license_jurisdiction__in=["", *Jurisdiction.values]),
                name="user_jurisdiction_valid",
            ),
            models.CheckConstraint(
                condition=models.Q(no_license=False)
                | models.Q(license_number="", license_jurisdiction=""),
                name="user_no_license_means_no_license_fields",
            ),
        ]

    def __str__(self) -> str:
        return self.email

    def get_absolute_url(self) -> str:
        return reverse("accounts:profile")

    def get_full_name(self) -> str:
        return self.certificate_name or self.email

    def get_short_name(self) -> str:
        return self.certificate_name or self.email

    @property
    def display_name(self) -> str:
        """The name as printed, with credentials: "Jane Q. Doe, PhD"."""
        name = self.certificate_name.strip() or self.email
        return f"{name}, {self.credentials}" if self.credentials else name

    @property
    def certificate_profile_complete(self) -> bool:
        return bool(self.certificate_name.strip())

    @property
    def license_complete(self) -> bool:
        """A license number and its jurisdiction, or the statement that there is none."""
        return self.no_license or bool(self.license_number.strip() and self.license_jurisdiction)

    @property
    def license_display(self) -> str:
        """The license line as certificates print it."""
        if self.no_license:
            return NO_LICENSE_TEXT
        if not self.license_number:
            return ""
        name = self.get_license_jurisdiction_display()
        return f"License {self.license_number}" + (f", {name}" if name else "")
