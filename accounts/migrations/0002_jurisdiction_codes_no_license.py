"""Licensing jurisdiction becomes a code; a learner can state that they hold no license.

Free-text values that match a state or province name or code become that code; any other
value is cleared, so that the certificate confirmation step asks the learner again.
"""

from django.db import migrations, models


def to_codes(apps, schema_editor):
    from accounts.choices import jurisdiction_code

    User = apps.get_model("accounts", "User")
    for user in User.objects.exclude(license_jurisdiction="").only("pk", "license_jurisdiction"):
        code = jurisdiction_code(user.license_jurisdiction)
        if code != user.license_jurisdiction:
            User.objects.filter(pk=user.pk).update(license_jurisdiction=code)


def to_names(apps, schema_editor):
    from accounts.choices import jurisdiction_name

    User = apps.get_model("accounts", "User")
    for user in User.objects.exclude(license_jurisdiction="").only("pk", "license_jurisdiction"):
        User.objects.filter(pk=user.pk).update(
            license_jurisdiction=jurisdiction_name(user.license_jurisdiction)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0001_initial"),
    ]

    operations = [
        migrations.AddField(
            model_name="user",
            name="no_license",
            field=models.BooleanField(
                default=False,
                help_text="Tick this only if you hold no license; your certificates then say so.",
                verbose_name="I do not hold a license",
            ),
        ),
        migrations.RunPython(to_codes, to_names),
        migrations.AlterField(
            model_name="user",
            name="license_jurisdiction",
            field=models.CharField(
                blank=True,
                choices=[
                    ("AL", "Alabama"), ("AK", "Alaska"), ("AZ", "Arizona"), ("AR", "Arkansas"),
                    ("CA", "California"), ("CO", "Colorado"), ("CT", "Connecticut"),
                    ("DE", "Delaware"), ("DC", "District of Columbia"), ("FL", "Florida"),
                    ("GA", "Georgia"), ("HI", "Hawaii"), ("ID", "Idaho"), ("IL", "Illinois"),
                    ("IN", "Indiana"), ("IA", "Iowa"), ("KS", "Kansas"), ("KY", "Kentucky"),
                    ("LA", "Louisiana"), ("ME", "Maine"), ("MD", "Maryland"),
                    ("MA", "Massachusetts"), ("MI", "Michigan"), ("MN", "Minnesota"),
                    ("MS", "Mississippi"), ("MO", "Missouri"), ("MT", "Montana"),
                    ("NE", "Nebraska"), ("NV", "Nevada"), ("NH", "New Hampshire"),
                    ("NJ", "New Jersey"), ("NM", "New Mexico"), ("NY", "New York"),
                    ("NC", "North Carolina"), ("ND", "North Dakota"), ("OH", "Ohio"),
                    ("OK", "Oklahoma"), ("OR", "Oregon"), ("PA", "Pennsylvania"),
                    ("RI", "Rhode Island"), ("SC", "South Carolina"), ("SD", "South Dakota"),
                    ("TN", "Tennessee"), ("TX", "Texas"), ("UT", "Utah"), ("VT", "Vermont"),
                    ("VA", "Virginia"), ("WA", "Washington"), ("WV", "West Virginia"),
                    ("WI", "Wisconsin"), ("WY", "Wyoming"), ("AB", "Alberta"),
                    ("BC", "British Columbia"), ("MB", "Manitoba"), ("NB", "New Brunswick"),
                    ("NL", "Newfoundland and Labrador"), ("NS", "Nova Scotia"),
                    ("NT", "Northwest Territories"), ("NU", "Nunavut"), ("ON", "Ontario"),
                    ("PE", "Prince Edward Island"), ("QC", "Quebec"), ("SK", "Saskatchewan"),
                    ("YT", "Yukon"),
                ],
                help_text="The state or province that issued your license.",
                max_length=2,
                verbose_name="licensing jurisdiction",
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    (
                        "license_jurisdiction__in",
                        [
                            "", "AL", "AK", "AZ", "AR", "CA", "CO", "CT", "DE", "DC", "FL", "GA",
                            "HI", "ID", "IL", "IN", "IA", "KS", "KY", "LA", "ME", "MD", "MA",
                            "MI", "MN", "MS", "MO", "MT", "NE", "NV", "NH", "NJ", "NM", "NY",
                            "NC", "ND", "OH", "OK", "OR", "PA", "RI", "SC", "SD", "TN", "TX",
                            "UT", "VT", "VA", "WA", "WV", "WI", "WY", "AB", "BC", "MB", "NB",
                            "NL", "NS", "NT", "NU", "ON", "PE", "QC", "SK", "YT",
                        ],
                    )
                ),
                name="user_jurisdiction_valid",
            ),
        ),
        migrations.AddConstraint(
            model_name="user",
            constraint=models.CheckConstraint(
                condition=models.Q(
                    ("no_license", False),
                    models.Q(("license_jurisdiction", ""), ("license_number", "")),
                    _connector="OR",
                ),
                name="user_no_license_means_no_license_fields",
            ),
        ),
    ]
